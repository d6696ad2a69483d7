// Change deadlines (JR/T 0079—2025 §7.2.5.1 i, §7.2.6): the lead-time check per grade with the
// emergency exemption, and the regulator and summary report due dates for major changes, a
// data-centre move and a new data centre. Expected dates were counted by hand on a wall calendar.

import { ValidationError } from '../../src/platform/errors';
import { DEFAULT_CALENDAR, type OperationsCalendar } from '../../src/changes/calendar';
import { computeDeadlines, DEFAULT_LEAD_TIMES, type DeadlineInput } from '../../src/changes/deadlines';

/** Thu 1 Oct – Wed 7 Oct 2026 off, Sun 20 Sep and Sat 10 Oct worked; Asia/Shanghai. */
const NATIONAL_DAY: OperationsCalendar = {
  timeZone: 'Asia/Shanghai',
  holidays: ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'],
  workingWeekends: ['2026-09-20', '2026-10-10'],
  windows: [],
};

// Shanghai is UTC+8 all year: local 10:00 is 02:00 UTC on the same date.
const THU_12_MAR_10AM = Date.UTC(2026, 2, 12, 2);
const MON_12_OCT_9AM = Date.UTC(2026, 9, 12, 1);

function change(overrides: Partial<DeadlineInput>): DeadlineInput {
  return {
    grade: 'NORMAL',
    emergency: false,
    subtype: 'APPLICATION_RELEASE',
    submittedAt: Date.UTC(2026, 2, 2, 2),
    plannedStart: THU_12_MAR_10AM,
    plannedEnd: THU_12_MAR_10AM + 2 * 3_600_000,
    ...overrides,
  };
}

describe('DEFAULT_LEAD_TIMES', () => {
  it('asks 10 working days for a major change, 3 for a normal one, 1 for a standard one', () => {
    expect(DEFAULT_LEAD_TIMES).toEqual({ MAJOR: 10, NORMAL: 3, STANDARD: 1 });
  });
});

describe('lead time (§7.2.5.1 i)', () => {
  it('is met when a normal change is submitted 3 working days ahead, across a weekend', () => {
    // Start Thu 12 Mar: Wed 11, Tue 10, Mon 9 → latest submission Mon 9 Mar.
    const submittedMon5pm = Date.UTC(2026, 2, 9, 9);
    const { leadTime } = computeDeadlines(change({ submittedAt: submittedMon5pm }), DEFAULT_CALENDAR);
    expect(leadTime).toMatchObject({
      exempt: false,
      requiredWorkingDays: 3,
      latestSubmission: '2026-03-09',
      met: true,
    });
  });

  it('is missed by a submission half an hour into the next Shanghai day', () => {
    const submittedTue0030Shanghai = Date.UTC(2026, 2, 9, 16, 30); // still Mon 9 Mar in UTC
    const { leadTime } = computeDeadlines(change({ submittedAt: submittedTue0030Shanghai }), DEFAULT_CALENDAR);
    expect(leadTime.latestSubmission).toBe('2026-03-09');
    expect(leadTime.met).toBe(false);
    expect(leadTime.reason).toContain('2026-03-10');
  });

  it('counts back over the National Day week for a major change', () => {
    // Start Mon 12 Oct: Sat 10 (make-up), Fri 9, Thu 8, Wed 30 Sep, Tue 29, Mon 28, Fri 25, Thu 24, Wed 23, Tue 22.
    const input = change({ grade: 'MAJOR', plannedStart: MON_12_OCT_9AM, plannedEnd: MON_12_OCT_9AM + 3_600_000 });
    const onTime = computeDeadlines({ ...input, submittedAt: Date.UTC(2026, 8, 22, 8) }, NATIONAL_DAY);
    expect(onTime.leadTime).toMatchObject({ requiredWorkingDays: 10, latestSubmission: '2026-09-22', met: true });
    const late = computeDeadlines({ ...input, submittedAt: Date.UTC(2026, 8, 23, 1) }, NATIONAL_DAY);
    expect(late.leadTime.met).toBe(false);
  });

  it('exempts an emergency change', () => {
    const { leadTime } = computeDeadlines(
      change({ emergency: true, submittedAt: THU_12_MAR_10AM - 3_600_000 }),
      DEFAULT_CALENDAR,
    );
    expect(leadTime).toMatchObject({ exempt: true, latestSubmission: null, met: null });
    expect(leadTime.reason).toMatch(/[Ee]mergency.*exempt/);
  });

  it('cannot be checked before there is a planned start', () => {
    const { leadTime } = computeDeadlines(change({ plannedStart: null, plannedEnd: null }), DEFAULT_CALENDAR);
    expect(leadTime).toMatchObject({ exempt: false, requiredWorkingDays: 3, latestSubmission: null, met: null });
    expect(leadTime.reason).toMatch(/planned start/i);
  });

  it('uses configured lead times, where 0 allows submission on the day', () => {
    const rules = { MAJOR: 5, NORMAL: 2, STANDARD: 0 };
    const sameDay = change({ grade: 'STANDARD', submittedAt: THU_12_MAR_10AM - 3_600_000 });
    expect(computeDeadlines(sameDay, DEFAULT_CALENDAR, rules).leadTime).toMatchObject({
      requiredWorkingDays: 0,
      latestSubmission: '2026-03-12',
      met: true,
    });
    expect(computeDeadlines(change({}), DEFAULT_CALENDAR, rules).leadTime.latestSubmission).toBe('2026-03-10');
  });
});

describe('regulator and summary reports (§7.2.6)', () => {
  it('are not required for a normal or standard change', () => {
    for (const grade of ['NORMAL', 'STANDARD'] as const) {
      const d = computeDeadlines(change({ grade }), DEFAULT_CALENDAR);
      expect(d.regulatorReport).toEqual({ required: false, dueBy: null, rule: null });
      expect(d.summaryReport).toEqual({ required: false, dueBy: null, rule: null });
    }
  });

  it('want a major change reported 10 working days ahead and summarised within a month', () => {
    const d = computeDeadlines(
      change({ grade: 'MAJOR', plannedStart: MON_12_OCT_9AM, plannedEnd: MON_12_OCT_9AM + 4 * 3_600_000 }),
      NATIONAL_DAY,
    );
    expect(d.regulatorReport).toMatchObject({ required: true, dueBy: '2026-09-22' });
    expect(d.regulatorReport.rule).toMatch(/^§7\.2\.6 a\/c: .*10 working days/);
    expect(d.summaryReport).toMatchObject({ required: true, dueBy: '2026-11-12' });
    expect(d.summaryReport.rule).toMatch(/^§7\.2\.6 a: .*1 month/);
  });

  it('count the summary month from the local end date, clamped to month end', () => {
    // Ends 01:00 on Sat 31 Jan 2026 in Shanghai (17:00 UTC on the 30th) → due 28 Feb.
    const d = computeDeadlines(
      change({ grade: 'MAJOR', plannedStart: Date.UTC(2026, 0, 30, 12), plannedEnd: Date.UTC(2026, 0, 30, 17) }),
      DEFAULT_CALENDAR,
    );
    expect(d.summaryReport.dueBy).toBe('2026-02-28');
  });

  it('count the summary month from the planned start when there is no planned end', () => {
    const d = computeDeadlines(change({ grade: 'MAJOR', plannedEnd: null }), DEFAULT_CALENDAR);
    expect(d.summaryReport.dueBy).toBe('2026-04-12');
  });

  it('want a data-centre move reported 2 calendar months ahead, whatever its grade', () => {
    const moveOn30Apr = Date.UTC(2026, 3, 29, 16); // 2026-04-30 00:00 Shanghai
    const d = computeDeadlines(
      change({ grade: 'NORMAL', subtype: 'DATA_CENTER_MOVE', plannedStart: moveOn30Apr, plannedEnd: null }),
      DEFAULT_CALENDAR,
    );
    expect(d.regulatorReport).toMatchObject({ required: true, dueBy: '2026-02-28' });
    expect(d.regulatorReport.rule).toMatch(/^§7\.2\.6 c: .*2 months/);
    expect(d.summaryReport).toMatchObject({ required: true, dueBy: '2026-05-30' });

    const moveOn31May = Date.UTC(2026, 4, 30, 16); // 2026-05-31 00:00 Shanghai
    const later = computeDeadlines(
      change({ grade: 'MAJOR', subtype: 'DATA_CENTER_MOVE', plannedStart: moveOn31May, plannedEnd: null }),
      DEFAULT_CALENDAR,
    );
    expect(later.regulatorReport.dueBy).toBe('2026-03-31');
  });

  it('want a new data centre reported 20 working days before operation starts', () => {
    // From Mon 12 Oct: the 10 days to Tue 22 Sep as above, then Mon 21, Sun 20 (make-up), Fri 18, Thu 17,
    // Wed 16, Tue 15, Mon 14, Fri 11, Thu 10, Wed 9.
    const d = computeDeadlines(
      change({ grade: 'STANDARD', subtype: 'NEW_DATA_CENTER', plannedStart: MON_12_OCT_9AM, plannedEnd: null }),
      NATIONAL_DAY,
    );
    expect(d.regulatorReport).toMatchObject({ required: true, dueBy: '2026-09-09' });
    expect(d.regulatorReport.rule).toMatch(/^§7\.2\.6 b: .*20 working days/);
  });

  it('are still required, without a date, before there is a planned start', () => {
    const d = computeDeadlines(change({ grade: 'MAJOR', plannedStart: null, plannedEnd: null }), DEFAULT_CALENDAR);
    expect(d.regulatorReport).toMatchObject({ required: true, dueBy: null });
    expect(d.summaryReport).toMatchObject({ required: true, dueBy: null });
  });

  it('still apply to an emergency major change, which is exempt only from the lead time', () => {
    const d = computeDeadlines(change({ grade: 'MAJOR', emergency: true }), DEFAULT_CALENDAR);
    expect(d.leadTime.exempt).toBe(true);
    // Thu 12 Mar back 10 working days: Wed 11 … Mon 2, Fri 27, Thu 26 Feb.
    expect(d.regulatorReport).toMatchObject({ required: true, dueBy: '2026-02-26' });
  });
});

describe('input validation', () => {
  function field(fn: () => unknown): string | undefined {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      return (e as ValidationError).details.field;
    }
    throw new Error('expected a ValidationError');
  }

  it('names the bad field', () => {
    expect(field(() => computeDeadlines(change({ grade: 'HUGE' as never }), DEFAULT_CALENDAR))).toBe('grade');
    expect(field(() => computeDeadlines(change({}), DEFAULT_CALENDAR, { MAJOR: 10, NORMAL: -1, STANDARD: 1 }))).toBe(
      'leadTimes.NORMAL',
    );
    expect(field(() => computeDeadlines(change({ submittedAt: Number.NaN }), DEFAULT_CALENDAR))).toBe('submittedAt');
    expect(field(() => computeDeadlines(change({ plannedEnd: THU_12_MAR_10AM - 1 }), DEFAULT_CALENDAR))).toBe(
      'plannedEnd',
    );
  });
});
