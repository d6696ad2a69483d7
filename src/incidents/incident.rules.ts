// Incident levels (§9.1.4.3), regulatory report deadlines (§9.1.6.3) and the ranking of root-cause
// candidates. Pure: no database. The level rules are data (IncidentPolicy) with the standard's as default.

import { IMPORTANCES, type Importance } from '../changes/risk';
import { fail, isObject } from '../platform/document-checks';

export const INCIDENT_LEVELS = ['EXTRA_MAJOR', 'MAJOR', 'LARGER', 'GENERAL'] as const;
export type IncidentLevel = (typeof INCIDENT_LEVELS)[number];

/** §9.1.4.2: configuration change, security, network, third party, traffic surge. */
export const INCIDENT_CLASSIFICATIONS = [
  'CONFIGURATION_CHANGE',
  'SECURITY',
  'NETWORK',
  'THIRD_PARTY',
  'TRAFFIC_SURGE',
  'OTHER',
] as const;
export const INCIDENT_STATUSES = ['OPEN', 'RESOLVED', 'CLOSED', 'MERGED'] as const;
export const PROBLEM_STATUSES = ['OPEN', 'KNOWN_ERROR', 'RESOLVED', 'CLOSED'] as const;

/** A level reached when a system at least this important is down in at least this many provinces this long. */
export interface LevelRule {
  level: Exclude<IncidentLevel, 'GENERAL'>;
  minImportance: Importance;
  minProvinces: number;
  minMinutes: number;
  clause: string;
}

export interface IncidentPolicy {
  levels: LevelRule[];
  /** How far before an incident changes and releases count as evidence (§9.1.4.2 a). */
  evidenceWindowHours: number;
  /** Open incidents occurring this close together, with the same top cause, are offered as duplicates. */
  duplicateWindowHours: number;
  /** §9.1.6.3: first report and written report, after occurrence, for MAJOR and above. */
  reportDueMinutes: number;
  writtenReportDueMinutes: number;
}

// §9.1.4.3 a/b/c: 重要信息系统 in business hours — two or more provinces 3 h / 0.5 h, one province 6 h / 3 h / 0.5 h.
export const DEFAULT_INCIDENT_POLICY: IncidentPolicy = {
  levels: [
    { level: 'EXTRA_MAJOR', minImportance: 'IMPORTANT', minProvinces: 2, minMinutes: 180, clause: '§9.1.4.3 a' },
    { level: 'EXTRA_MAJOR', minImportance: 'IMPORTANT', minProvinces: 1, minMinutes: 360, clause: '§9.1.4.3 a' },
    { level: 'MAJOR', minImportance: 'IMPORTANT', minProvinces: 2, minMinutes: 30, clause: '§9.1.4.3 b' },
    { level: 'MAJOR', minImportance: 'IMPORTANT', minProvinces: 1, minMinutes: 180, clause: '§9.1.4.3 b' },
    { level: 'LARGER', minImportance: 'IMPORTANT', minProvinces: 1, minMinutes: 30, clause: '§9.1.4.3 c' },
  ],
  evidenceWindowHours: 72,
  duplicateWindowHours: 4,
  reportDueMinutes: 60,
  writtenReportDueMinutes: 12 * 60,
};

export interface LevelFacts {
  highestImportance: string | null;
  provinces: number;
  minutes: number;
  /** A level declared by the responders (data loss, security): the computed level never goes below it. */
  declared: IncidentLevel | null;
}

export interface LevelResult {
  level: IncidentLevel;
  /** Why: the rule that set it, in words. */
  reason: string;
  /** The next level this incident reaches if it lasts, and after how many minutes in all. */
  next: { level: IncidentLevel; atMinutes: number } | null;
}

const severity = (l: IncidentLevel) => INCIDENT_LEVELS.length - INCIDENT_LEVELS.indexOf(l);
const important = (i: string | null, min: Importance) =>
  i !== null &&
  IMPORTANCES.includes(i as Importance) &&
  IMPORTANCES.indexOf(i as Importance) <= IMPORTANCES.indexOf(min);

/** The level now; thresholds hold to the minute (30 minutes is 30, not 29). */
export function incidentLevel(facts: LevelFacts, rules: LevelRule[] = DEFAULT_INCIDENT_POLICY.levels): LevelResult {
  let level: IncidentLevel = 'GENERAL';
  let reason = '§9.1.4.3 d: no rule for a larger level holds';
  let next: LevelResult['next'] = null;
  for (const r of rules) {
    if (!important(facts.highestImportance, r.minImportance) || facts.provinces < r.minProvinces) continue;
    if (facts.minutes >= r.minMinutes) {
      if (severity(r.level) > severity(level)) {
        level = r.level;
        reason = `${r.clause}: a ${facts.highestImportance} system down in ${facts.provinces} province(s) for ${facts.minutes} min ≥ ${r.minMinutes} min`;
      }
    }
  }
  for (const r of rules) {
    if (!important(facts.highestImportance, r.minImportance) || facts.provinces < r.minProvinces) continue;
    if (facts.minutes < r.minMinutes && severity(r.level) > severity(level)) {
      if (
        !next ||
        r.minMinutes < next.atMinutes ||
        (r.minMinutes === next.atMinutes && severity(r.level) > severity(next.level))
      ) {
        next = { level: r.level, atMinutes: r.minMinutes };
      }
    }
  }
  if (facts.declared && severity(facts.declared) > severity(level)) {
    level = facts.declared;
    reason = `declared ${facts.declared} by the responders (§9.1.4.3: data loss, security or other impact)`;
  }
  if (next && severity(next.level) <= severity(level)) next = null;
  return { level, reason, next };
}

export interface ReportDeadlines {
  report: number;
  writtenReport: number;
}

/** §9.1.6.3: MAJOR and above are reported within 1 hour of occurrence, in writing within 12 hours. */
export function reportDeadlines(
  level: IncidentLevel,
  occurredAt: number,
  policy: IncidentPolicy = DEFAULT_INCIDENT_POLICY,
): ReportDeadlines | null {
  if (severity(level) < severity('MAJOR')) return null;
  return {
    report: occurredAt + policy.reportDueMinutes * 60_000,
    writtenReport: occurredAt + policy.writtenReportDueMinutes * 60_000,
  };
}

// ------------------------------------------------------------------ root-cause ranking

export interface CandidateEvidence {
  /** Writes to it in the window that no change or release planned for then: the strongest sign. */
  unplannedWrites: number;
  changes: number;
  /** Changes on a CI just upstream of the candidate. */
  upstreamChanges: number;
  problems: number;
  incidents: number;
}

export interface RankInput {
  code: string;
  /** Symptoms this CI is upstream of (or is). */
  explains: number;
  /** Sum over the symptoms it explains of the distance to each. */
  distance: number;
  evidence: CandidateEvidence;
}

/**
 * Changes on the CI weigh most (most outages follow a change), then changes just upstream of it, then
 * known problems, then other open incidents: each a decimal digit, so one of a kind outranks any number of the next.
 */
export function evidenceScore(e: CandidateEvidence): number {
  const d = (n: number) => Math.min(n, 9);
  return (
    10_000 * d(e.unplannedWrites) +
    1000 * d(e.changes) +
    100 * d(e.upstreamChanges) +
    10 * d(e.problems) +
    d(e.incidents)
  );
}

/** Orders candidates: symptoms explained first, then evidence, then distance, then code. */
export function compareCandidates(a: RankInput, b: RankInput): number {
  return (
    b.explains - a.explains ||
    evidenceScore(b.evidence) - evidenceScore(a.evidence) ||
    a.distance - b.distance ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)
  );
}

export function explainRank(c: RankInput, symptoms: number): string {
  const e = c.evidence;
  const parts = [`explains ${c.explains} of ${symptoms} symptom(s)`];
  const ev = [
    e.unplannedWrites && `${e.unplannedWrites} unplanned write(s) to it in the window`,
    e.changes && `${e.changes} change(s)/release(s) on it in the window`,
    e.upstreamChanges && `${e.upstreamChanges} change(s) just upstream`,
    e.problems && `${e.problems} open problem(s)`,
    e.incidents && `${e.incidents} other open incident(s)`,
  ].filter(Boolean);
  parts.push(ev.length ? `evidence ${evidenceScore(e)}: ${ev.join(', ')}` : 'no evidence');
  parts.push(`total distance ${c.distance}`);
  return parts.join('; ');
}

// ------------------------------------------------------------------ policy validation

function wholeNumber(v: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    fail(field, `must be a whole number from ${min} to ${max}`);
  return v as number;
}

export function validateIncidentPolicy(input: unknown): IncidentPolicy {
  if (!isObject(input)) fail('policy', 'must be an object');
  const d = DEFAULT_INCIDENT_POLICY;
  const levels =
    input.levels === undefined
      ? d.levels
      : (() => {
          if (!Array.isArray(input.levels)) fail('levels', 'must be a list of rules');
          return input.levels.map((r: unknown, i: number): LevelRule => {
            const at = `levels[${i}]`;
            if (!isObject(r)) fail(at, 'must be an object');
            if (!['EXTRA_MAJOR', 'MAJOR', 'LARGER'].includes(r.level as string))
              fail(`${at}.level`, 'must be EXTRA_MAJOR, MAJOR or LARGER');
            if (!IMPORTANCES.includes(r.minImportance as Importance))
              fail(`${at}.minImportance`, `must be one of ${IMPORTANCES.join(', ')}`);
            return {
              level: r.level as LevelRule['level'],
              minImportance: r.minImportance as Importance,
              minProvinces: wholeNumber(r.minProvinces, `${at}.minProvinces`, 0, 100),
              minMinutes: wholeNumber(r.minMinutes, `${at}.minMinutes`, 0, 100_000),
              clause: typeof r.clause === 'string' ? r.clause : '',
            };
          });
        })();
  const num = (key: keyof Omit<IncidentPolicy, 'levels'>, max: number) =>
    input[key] === undefined ? d[key] : wholeNumber(input[key], key, 1, max);
  for (const key of Object.keys(input)) {
    if (
      ![
        'levels',
        'evidenceWindowHours',
        'duplicateWindowHours',
        'reportDueMinutes',
        'writtenReportDueMinutes',
      ].includes(key)
    )
      fail(key, 'unknown setting');
  }
  return {
    levels,
    evidenceWindowHours: num('evidenceWindowHours', 24 * 90),
    duplicateWindowHours: num('duplicateWindowHours', 24 * 30),
    reportDueMinutes: num('reportDueMinutes', 24 * 60),
    writtenReportDueMinutes: num('writtenReportDueMinutes', 7 * 24 * 60),
  };
}
