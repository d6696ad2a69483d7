// Incident levels (§9.1.4.3) to the minute, report deadlines (§9.1.6.3) and the candidate order.

import {
  compareCandidates,
  explainRank,
  incidentLevel,
  reportDeadlines,
  validateIncidentPolicy,
  type RankInput,
} from '../../src/incidents/incident.rules';

const level = (highestImportance: string | null, provinces: number, minutes: number) =>
  incidentLevel({ highestImportance, provinces, minutes, declared: null }).level;

describe('incident level', () => {
  it('follows §9.1.4.3 for important systems', () => {
    expect(level('CORE', 2, 210)).toBe('EXTRA_MAJOR');
    expect(level('CORE', 2, 40)).toBe('MAJOR');
    expect(level('CORE', 1, 40)).toBe('LARGER');
    expect(level('IMPORTANT', 1, 360)).toBe('EXTRA_MAJOR');
    expect(level('IMPORTANT', 1, 180)).toBe('MAJOR');
  });

  it('holds each threshold to the minute', () => {
    expect(level('CORE', 2, 29)).toBe('GENERAL');
    expect(level('CORE', 2, 30)).toBe('MAJOR');
    expect(level('CORE', 2, 179)).toBe('MAJOR');
    expect(level('CORE', 2, 180)).toBe('EXTRA_MAJOR');
    expect(level('CORE', 1, 29)).toBe('GENERAL');
    expect(level('CORE', 1, 30)).toBe('LARGER');
    expect(level('CORE', 1, 359)).toBe('MAJOR');
    expect(level('CORE', 1, 360)).toBe('EXTRA_MAJOR');
  });

  it('stays GENERAL for systems that are not important, however long', () => {
    expect(level('GENERAL', 5, 10_000)).toBe('GENERAL');
    expect(level(null, 2, 500)).toBe('GENERAL');
    expect(level('CORE', 0, 500)).toBe('GENERAL');
  });

  it('says when it rises next, and never goes below a declared level', () => {
    expect(incidentLevel({ highestImportance: 'CORE', provinces: 1, minutes: 40, declared: null }).next).toEqual({
      level: 'MAJOR',
      atMinutes: 180,
    });
    expect(incidentLevel({ highestImportance: 'CORE', provinces: 2, minutes: 200, declared: null }).next).toBeNull();
    const declared = incidentLevel({ highestImportance: null, provinces: 0, minutes: 1, declared: 'MAJOR' });
    expect(declared.level).toBe('MAJOR');
    expect(declared.reason).toContain('declared');
  });
});

describe('report deadlines', () => {
  it('are 1 hour and 12 hours after occurrence for MAJOR and above, none below', () => {
    const t = Date.UTC(2026, 10, 28, 1, 0);
    expect(reportDeadlines('MAJOR', t)).toEqual({
      report: Date.UTC(2026, 10, 28, 2, 0),
      writtenReport: Date.UTC(2026, 10, 28, 13, 0),
    });
    expect(reportDeadlines('EXTRA_MAJOR', t)).not.toBeNull();
    expect(reportDeadlines('LARGER', t)).toBeNull();
    expect(reportDeadlines('GENERAL', t)).toBeNull();
  });
});

describe('candidate order', () => {
  const c = (
    code: string,
    explains: number,
    distance: number,
    changes = 0,
    upstreamChanges = 0,
    unplannedWrites = 0,
  ): RankInput => ({
    code,
    explains,
    distance,
    evidence: { unplannedWrites, changes, upstreamChanges, problems: 0, incidents: 0 },
  });

  it('puts symptoms explained first, then evidence, then distance', () => {
    const host = c('SRV-1', 2, 4);
    const san = c('SA-1', 2, 6, 1);
    const vm = c('VM-1', 1, 1, 3);
    expect([vm, host, san].sort(compareCandidates).map((x) => x.code)).toEqual(['SA-1', 'SRV-1', 'VM-1']);
    expect([c('B', 1, 2), c('A', 1, 2), c('C', 1, 1)].sort(compareCandidates).map((x) => x.code)).toEqual([
      'C',
      'A',
      'B',
    ]);
    expect([c('UP', 1, 1, 0, 5), c('ON', 1, 3, 1)].sort(compareCandidates).map((x) => x.code)).toEqual(['ON', 'UP']);
  });

  it('ranks an unplanned write above planned changes, and says so', () => {
    const planned = c('PLANNED', 1, 1, 3, 2);
    const touched = c('TOUCHED', 1, 4, 0, 0, 1);
    expect([planned, touched].sort(compareCandidates).map((x) => x.code)).toEqual(['TOUCHED', 'PLANNED']);
    expect(explainRank(touched, 1)).toContain('1 unplanned write(s) to it in the window');
  });
});

describe('incident policy', () => {
  it('refuses a bad rule naming the field', () => {
    expect(() =>
      validateIncidentPolicy({ levels: [{ level: 'HUGE', minImportance: 'CORE', minProvinces: 1, minMinutes: 1 }] }),
    ).toThrow(/levels\[0\]\.level/);
    expect(() => validateIncidentPolicy({ evidenceWindowHours: 0 })).toThrow(/evidenceWindowHours/);
    expect(validateIncidentPolicy({}).evidenceWindowHours).toBe(72);
  });
});
