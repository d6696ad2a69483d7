// Deadlines a change must meet, counted on the operations calendar:
// - the lead time (前导时间) from submission to implementation, per change grade, from which
//   emergency changes are exempt (JR/T 0079—2025 §7.2.5.1 i);
// - the report to the insurance regulator for major changes, and the summary report after them
//   (§7.2.6 a–c).
// Pure: the caller supplies the instants and the calendar.

import { ValidationError } from '../platform/errors';
import { addMonths, addWorkingDays, localDate, type OperationsCalendar } from './calendar';

export type ChangeGrade = 'MAJOR' | 'NORMAL' | 'STANDARD';

export const CHANGE_GRADES: readonly ChangeGrade[] = ['MAJOR', 'NORMAL', 'STANDARD'];

/** Minimum working days between submission and implementation, per grade (§7.2.5.1 i). */
export interface LeadTimeRules {
  MAJOR: number;
  NORMAL: number;
  STANDARD: number;
}

// The standard leaves the numbers to each institution; these are configurable defaults.
export const DEFAULT_LEAD_TIMES: LeadTimeRules = Object.freeze({ MAJOR: 10, NORMAL: 3, STANDARD: 1 });

/** Subtypes that are major by nature and have their own reporting rules (§7.2.6 b, c). */
export const DATA_CENTER_MOVE = 'DATA_CENTER_MOVE';
export const NEW_DATA_CENTER = 'NEW_DATA_CENTER';

export interface DeadlineInput {
  grade: ChangeGrade;
  emergency: boolean;
  /** 'DATA_CENTER_MOVE' and 'NEW_DATA_CENTER' are special (§7.2.6 b, c). */
  subtype: string;
  /** When the change was raised, epoch ms. */
  submittedAt: number;
  /** For NEW_DATA_CENTER, the start of operation (正式运营). */
  plannedStart: number | null;
  plannedEnd: number | null;
}

export interface LeadTimeDeadline {
  exempt: boolean;
  requiredWorkingDays: number;
  /** 'YYYY-MM-DD', the last day the change could have been submitted. */
  latestSubmission: string | null;
  met: boolean | null;
  reason: string;
}

export interface ReportDeadline {
  required: boolean;
  /** 'YYYY-MM-DD', the last day the report may be filed. */
  dueBy: string | null;
  rule: string | null;
}

export interface Deadlines {
  leadTime: LeadTimeDeadline;
  regulatorReport: ReportDeadline;
  summaryReport: ReportDeadline;
}

export const REPORT_RULES = {
  dataCenterMove: '§7.2.6 c: at least 2 months before changing the data-centre site',
  newDataCenter: '§7.2.6 b: at least 20 working days before the data centre starts operation',
  major: '§7.2.6 a/c: at least 10 working days before implementation',
  summary: '§7.2.6 a: summary report within 1 month after implementation',
} as const;

function validateInput(input: DeadlineInput, leadTimes: LeadTimeRules): void {
  if (!CHANGE_GRADES.includes(input.grade)) {
    throw new ValidationError(`grade must be one of ${CHANGE_GRADES.join(', ')}, got ${JSON.stringify(input.grade)}`, {
      field: 'grade',
    });
  }
  for (const grade of CHANGE_GRADES) {
    const days = leadTimes[grade];
    if (!Number.isSafeInteger(days) || days < 0) {
      throw new ValidationError(`leadTimes.${grade} must be a whole number of working days, 0 or more`, {
        field: `leadTimes.${grade}`,
      });
    }
  }
  for (const key of ['submittedAt', 'plannedStart', 'plannedEnd'] as const) {
    const v = input[key];
    if (!(v === null && key !== 'submittedAt') && !Number.isFinite(v)) {
      throw new ValidationError(`${key} must be an epoch-ms instant${key === 'submittedAt' ? '' : ' or null'}`, {
        field: key,
      });
    }
  }
  if (input.plannedStart !== null && input.plannedEnd !== null && input.plannedEnd < input.plannedStart) {
    throw new ValidationError('plannedEnd must not be before plannedStart', { field: 'plannedEnd' });
  }
}

/** Major for reporting: graded MAJOR, or a data-centre move / new data centre (§7.2.6 b, c). */
export function isReportable(input: Pick<DeadlineInput, 'grade' | 'subtype'>): boolean {
  return input.grade === 'MAJOR' || input.subtype === DATA_CENTER_MOVE || input.subtype === NEW_DATA_CENTER;
}

function leadTimeDeadline(input: DeadlineInput, cal: OperationsCalendar, leadTimes: LeadTimeRules): LeadTimeDeadline {
  const required = leadTimes[input.grade];
  // §7.2.5.1 i: emergency changes go straight to approval, no lead time applies.
  if (input.emergency) {
    return {
      exempt: true,
      requiredWorkingDays: required,
      latestSubmission: null,
      met: null,
      reason: 'Emergency change: exempt from the lead-time rule (§7.2.5.1 i)',
    };
  }
  if (input.plannedStart === null) {
    return {
      exempt: false,
      requiredWorkingDays: required,
      latestSubmission: null,
      met: null,
      reason: `No planned start yet: cannot check the ${required}-working-day lead time for a ${input.grade} change`,
    };
  }
  const startDate = localDate(cal, input.plannedStart);
  const latestSubmission = addWorkingDays(cal, startDate, -required);
  const submitted = localDate(cal, input.submittedAt);
  const met = submitted <= latestSubmission;
  return {
    exempt: false,
    requiredWorkingDays: required,
    latestSubmission,
    met,
    reason: met
      ? `Submitted ${submitted}, on or before ${latestSubmission}: ${required} working days before the planned start ${startDate}`
      : `Submitted ${submitted}, after ${latestSubmission}: a ${input.grade} change needs ${required} working days before the planned start ${startDate}`,
  };
}

function regulatorReport(input: DeadlineInput, cal: OperationsCalendar): ReportDeadline {
  if (!isReportable(input)) return { required: false, dueBy: null, rule: null };
  const startDate = input.plannedStart === null ? null : localDate(cal, input.plannedStart);
  if (input.subtype === DATA_CENTER_MOVE) {
    return { required: true, dueBy: startDate && addMonths(startDate, -2), rule: REPORT_RULES.dataCenterMove };
  }
  if (input.subtype === NEW_DATA_CENTER) {
    return {
      required: true,
      dueBy: startDate && addWorkingDays(cal, startDate, -20),
      rule: REPORT_RULES.newDataCenter,
    };
  }
  return { required: true, dueBy: startDate && addWorkingDays(cal, startDate, -10), rule: REPORT_RULES.major };
}

function summaryReport(input: DeadlineInput, cal: OperationsCalendar): ReportDeadline {
  if (!isReportable(input)) return { required: false, dueBy: null, rule: null };
  // §7.2.6 a counts the month from the end of implementation; the planned start stands in for it.
  const implemented = input.plannedEnd ?? input.plannedStart;
  return {
    required: true,
    dueBy: implemented === null ? null : addMonths(localDate(cal, implemented), 1),
    rule: REPORT_RULES.summary,
  };
}

/**
 * The lead-time check and the regulatory report deadlines for one change. Report deadlines apply
 * to emergency changes too: §7.2.5.1 i exempts them from the lead time only.
 */
export function computeDeadlines(
  input: DeadlineInput,
  cal: OperationsCalendar,
  leadTimes: LeadTimeRules = DEFAULT_LEAD_TIMES,
): Deadlines {
  validateInput(input, leadTimes);
  return {
    leadTime: leadTimeDeadline(input, cal, leadTimes),
    regulatorReport: regulatorReport(input, cal),
    summaryReport: summaryReport(input, cal),
  };
}
