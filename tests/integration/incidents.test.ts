// Incidents, problems and root-cause lookup (§9.1, §9.2) on a hand-built estate: the claims and imaging
// applications run on two VMs of one host, which uses one SAN array and connects to one switch.

import { Role } from '../../src/platform/auth/roles';
import type { NewCI, NewRelation } from '../../src/cis/ci.batch';
import { createTeam, ctxFor, freeSystemIds, startTestApp, tokenFor, uniq, type TestApp } from '../support/harness';

let app: TestApp;
const s = uniq();
const c = (prefix: string, name: string) => `${prefix}-INC-${name}-${s}`;
const responder = tokenFor([Role.OPS_ENGINEER], 'user:li.ops');
const reader = tokenFor([Role.AUDITOR], 'user:auditor');

const SAN = c('SA', 'SAN');
const HOST = c('SRV', 'HOST');
const SWITCH = c('SW', 'SW');
const VM_C = c('VM', 'CLAIMS');
const VM_I = c('VM', 'IMAGING');
const APP_C = c('APP', 'CLAIMS');
const APP_I = c('APP', 'IMAGING');
const BS_C = c('BS', 'CLAIMS');
const BS_I = c('BS', 'IMAGING');
const DB_LATE = c('DB', 'LATE');
const HOST_X = c('SRV', 'HOSTX');
const VM_X = c('VM', 'OTHER');
const APP_X = c('APP', 'OTHER');
const BS_X = c('BS', 'OTHER');

let beforeLink: number;
const minutes = 60_000;

const ROOT = `query($i: RootCauseInput!) { rootCauses(input: $i) {
  symptoms totalCount
  candidates { rank code explains score { symptomsExplained evidence distance explanation }
    evidence { changes { ref on } upstreamChanges { ref on } problems { ref knownError } incidents { ref } }
    paths { code via } }
} }`;
const RECORD = `mutation($i: RecordIncidentInput!) { recordIncident(input: $i) {
  ref status durationMinutes highestImportance
  level { level reason nextLevel escalatesAt }
  affected { code importance recoveredAt }
  deadlines { report writtenReport }
} }`;

async function rootCauses(input: Record<string, unknown>) {
  const res = await app.gql(ROOT, { i: input }, reader);
  expect(res.errors).toBeUndefined();
  return res.data!.rootCauses;
}

async function record(input: Record<string, unknown>) {
  const res = await app.gql(RECORD, { i: { classification: 'OTHER', title: '业务中断', ...input } }, responder);
  expect(res.errors).toBeUndefined();
  return res.data!.recordIncident;
}

beforeAll(async () => {
  app = await startTestApp();
  const team = await createTeam(app.services);
  const [sc, si, sx] = await freeSystemIds(app.services, 3);
  const hw = (code: string) => ({ serialNumber: `SN${code.replace(/-/g, '')}`, vendorModel: 'Huawei 2288H V6' });
  const ci = (cls: string, code: string, attributes: Record<string, unknown>): NewCI => ({
    class: cls,
    code,
    name: `名称 ${code}`,
    owner: team,
    lifecycle: 'PLANNED',
    attributes,
  });
  const cis: NewCI[] = [
    ci('StorageArray', SAN, { ...hw(SAN), storageType: 'SAN_BLOCK' }),
    ci('PhysicalServer', HOST, hw(HOST)),
    ci('PhysicalServer', HOST_X, hw(HOST_X)),
    ci('Switch', SWITCH, hw(SWITCH)),
    ...[VM_C, VM_I, VM_X].map((v) => ci('VirtualMachine', v, { hostname: v.toLowerCase() })),
    ...[APP_C, APP_I, APP_X].map((a) => ci('Application', a, { appType: 'WEB' })),
    ci('Database', DB_LATE, { engine: 'MYSQL' }),
    ci('BusinessSystem', BS_C, { systemId: sc, importance: 'CORE', internetFacing: true }),
    ci('BusinessSystem', BS_I, { systemId: si, importance: 'CORE', internetFacing: false }),
    ci('BusinessSystem', BS_X, { systemId: sx, importance: 'GENERAL', internetFacing: false }),
  ];
  const rel = (source: string, type: string, target: string): NewRelation => ({ source, type, target });
  const relations = [
    rel(HOST, 'USES_STORAGE', SAN),
    rel(HOST, 'CONNECTS_TO', SWITCH),
    rel(VM_C, 'RUNS_ON', HOST),
    rel(VM_I, 'RUNS_ON', HOST),
    rel(APP_C, 'RUNS_ON', VM_C),
    rel(APP_I, 'RUNS_ON', VM_I),
    rel(APP_C, 'BELONGS_TO', BS_C),
    rel(APP_I, 'BELONGS_TO', BS_I),
    rel(VM_X, 'RUNS_ON', HOST_X),
    rel(APP_X, 'RUNS_ON', VM_X),
    rel(APP_X, 'BELONGS_TO', BS_X),
  ];
  await app.services.cis.createBatch(ctxFor(), { cis, relations });
  await new Promise((r) => setTimeout(r, 5));
  beforeLink = Date.now();
  await new Promise((r) => setTimeout(r, 5));
  // Added after `beforeLink`: as of then it must not be a candidate.
  await app.services.cis.createRelation(ctxFor(), { source: APP_C, type: 'DEPENDS_ON', target: DB_LATE });
});

afterAll(async () => {
  await app?.close();
});

describe('root-cause candidates', () => {
  it('rank the shared host first for symptoms on claims and imaging, with the score and paths', async () => {
    const r = await rootCauses({ cis: [APP_C, APP_I], at: new Date(beforeLink).toISOString() });
    expect(r.symptoms).toEqual([APP_C, APP_I]);
    const [top, ...rest] = r.candidates;
    expect(top.code).toBe(HOST);
    expect(top.explains).toEqual([APP_C, APP_I]);
    expect(top.score).toMatchObject({ symptomsExplained: 2, evidence: 0, distance: 4 });
    expect(top.paths.map((p: any[]) => p.map((step) => step.code))).toEqual([
      [APP_C, VM_C, HOST],
      [APP_I, VM_I, HOST],
    ]);
    // The SAN array and the switch explain both too, but from further away.
    expect(
      rest
        .slice(0, 2)
        .map((x: any) => x.code)
        .sort(),
    ).toEqual([SAN, SWITCH].sort());
    expect(r.candidates.find((x: any) => x.code === VM_C).explains).toEqual([APP_C]);
  });

  it('as of the incident time, a relationship added after it does not create a candidate', async () => {
    const then = await rootCauses({ cis: [APP_C], at: new Date(beforeLink).toISOString() });
    expect(then.candidates.map((x: any) => x.code)).not.toContain(DB_LATE);
    const now = await rootCauses({ cis: [APP_C] });
    expect(now.candidates.map((x: any) => x.code)).toContain(DB_LATE);
  });

  it('refuses unknown CIs, an empty symptom set and a moment in the future', async () => {
    const unknown = await app.gql(ROOT, { i: { cis: [APP_C, 'APP-NO-SUCH'] } }, reader);
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(unknown.errors?.[0].message).toContain('APP-NO-SUCH');
    const empty = await app.gql(ROOT, { i: { cis: [] } }, reader);
    expect(empty.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'cis' });
    const future = await app.gql(
      ROOT,
      { i: { cis: [APP_C], at: new Date(Date.now() + 3_600_000).toISOString() } },
      reader,
    );
    expect(future.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'at' });
  });

  it('with a change on the SAN array two hours before, rank the SAN array first and cite the change', async () => {
    const at = Date.now();
    const ref = `CHG-INC-${uniq()}`;
    await app.services.tickets.open(ctxFor('user:li.initiator', null), {
      kind: 'CHANGE',
      ref,
      title: 'SAN 阵列微码升级',
      scope: [SAN],
      change: {
        category: 'INFRASTRUCTURE',
        subtype: 'STORAGE',
        assessor: 'user:wang.assessor',
        plannedStart: at - 120 * minutes,
        plannedEnd: at - 90 * minutes,
      },
    });
    await app.services.tickets.transition(ctxFor('user:li.initiator', null), ref, 'ASSESSING');
    const r = await rootCauses({ cis: [APP_C, APP_I], at: new Date(at).toISOString() });
    const [top, second] = r.candidates;
    expect(top.code).toBe(SAN);
    expect(top.evidence.changes).toEqual([{ ref, on: SAN }]);
    expect(top.score.explanation).toContain('change');
    // The host is just downstream of the SAN array: its change is evidence for the host too, weighing less.
    expect(second.code).toBe(HOST);
    expect(second.evidence.upstreamChanges).toEqual([{ ref, on: SAN }]);
    // Outside the 72-hour window the change is no evidence.
    const later = await rootCauses({ cis: [APP_C, APP_I], windowHours: 1, at: new Date(at).toISOString() });
    expect(later.candidates[0].code).toBe(HOST);
  });
});

describe('incidents', () => {
  it('level: a core system down in two provinces for 3.5 hours is EXTRA_MAJOR', async () => {
    const i = await record({
      ref: `INC-${uniq()}`,
      symptoms: [APP_C],
      provinces: ['上海', '江苏'],
      occurredAt: new Date(Date.now() - 210 * minutes).toISOString(),
    });
    expect(i.level.level).toBe('EXTRA_MAJOR');
    expect(i.affected.map((a: any) => a.code)).toEqual([BS_C]);
    expect(i.highestImportance).toBe('CORE');
    // It opened the scenario audit of a major incident (§7.1.4.3 b), once, however often it is updated.
    const again = await app.gql(
      `mutation($i: UpdateIncidentInput!) { updateIncident(input: $i) { level { level } } }`,
      { i: { ref: i.ref, provinces: ['上海', '江苏', '浙江'] } },
      responder,
    );
    expect(again.errors).toBeUndefined();
    const [audits] = await app.services.executor.query(
      'MATCH (a:Audit {scenarioKey: $key}) RETURN count(a) AS n, collect(a.scenario) AS scenarios',
      { key: `MAJOR_INCIDENT:${i.ref}` },
    );
    expect(audits).toEqual({ n: 1, scenarios: ['MAJOR_INCIDENT'] });
  });

  it('level: the same for 40 minutes is MAJOR, with its report deadlines 1 h and 12 h after occurrence', async () => {
    const occurred = Date.now() - 40 * minutes;
    const i = await record({
      ref: `INC-${uniq()}`,
      symptoms: [APP_C],
      provinces: ['上海', '江苏'],
      occurredAt: new Date(occurred).toISOString(),
    });
    expect(i.level.level).toBe('MAJOR');
    expect(i.level.nextLevel).toBe('EXTRA_MAJOR');
    expect(new Date(i.level.escalatesAt).getTime()).toBe(occurred + 180 * minutes);
    expect(new Date(i.deadlines.report).getTime()).toBe(occurred + 60 * minutes);
    expect(new Date(i.deadlines.writtenReport).getTime()).toBe(occurred + 12 * 60 * minutes);
    const due = await app.gql(`{ incidentReportsDue { incident { ref } nextDue overdue } }`, {}, reader);
    expect(due.errors).toBeUndefined();
    const mine = due.data!.incidentReportsDue.find((d: any) => d.incident.ref === i.ref);
    expect(new Date(mine.nextDue).getTime()).toBe(occurred + 60 * minutes);
  });

  it('level: one province for 40 minutes is LARGER, and it rises when the duration crosses a threshold', async () => {
    const occurred = Date.now() - 40 * minutes;
    const i = await record({
      ref: `INC-${uniq()}`,
      symptoms: [APP_I],
      provinces: ['上海'],
      occurredAt: new Date(occurred).toISOString(),
    });
    expect(i.level.level).toBe('LARGER');
    expect(i.deadlines).toBeNull();
    const at179 = await app.services.incidents.get(i.ref, occurred + 179 * minutes);
    expect(at179.level.level).toBe('LARGER');
    const at180 = await app.services.incidents.get(i.ref, occurred + 180 * minutes);
    expect(at180.level.level).toBe('MAJOR');
    expect(at180.deadlines).not.toBeNull();
  });

  it('offers two incidents with the same top cause as duplicates, not an unrelated one, and merges them', async () => {
    // Root causes are read as of each incident's occurrence: these occur after the estate was built.
    const occurred = () => new Date().toISOString();
    const a = await record({ ref: `INC-A-${s}`, symptoms: [APP_C, APP_I], occurredAt: occurred() });
    const b = await record({ ref: `INC-B-${s}`, symptoms: [VM_C, VM_I], occurredAt: occurred() });
    const x = await record({ ref: `INC-X-${s}`, symptoms: [APP_X], occurredAt: occurred() });
    const res = await app.gql(`{ incidentDuplicates { cause incidents { ref } } }`, {}, reader);
    expect(res.errors).toBeUndefined();
    const groups = res.data!.incidentDuplicates.map((g: any) => ({
      cause: g.cause,
      refs: g.incidents.map((i: any) => i.ref),
    }));
    const withA = groups.find((g: any) => g.refs.includes(a.ref));
    expect(withA.refs).toContain(b.ref);
    // The shared top cause: the SAN array when its change (above) is in the window, else the shared host.
    const top = (await rootCauses({ incident: a.ref })).candidates[0].code;
    expect([SAN, HOST]).toContain(top);
    expect(withA.cause).toBe(top);
    for (const g of groups) if (g.refs.includes(x.ref)) expect(g.refs).not.toContain(a.ref);

    const merged = await app.gql(
      `mutation($into: String!, $from: [String!]!) { mergeIncidents(into: $into, from: $from) { ref symptoms { code } } }`,
      { into: a.ref, from: [b.ref] },
      responder,
    );
    expect(merged.errors).toBeUndefined();
    expect(merged.data!.mergeIncidents.symptoms.map((x: any) => x.code).sort()).toEqual(
      [APP_C, APP_I, VM_C, VM_I].sort(),
    );
    const old = await app.gql(`query($r: String!) { incident(ref: $r) { status mergedInto } }`, { r: b.ref }, reader);
    expect(old.data!.incident).toEqual({ status: 'MERGED', mergedInto: a.ref });
  });

  it('resolves only when every affected system is confirmed recovered', async () => {
    const i = await record({
      ref: `INC-R-${s}`,
      symptoms: [HOST],
      occurredAt: new Date(Date.now() - 5 * minutes).toISOString(),
    });
    expect(i.affected.map((a: any) => a.code).sort()).toEqual([BS_C, BS_I].sort());
    const RESOLVE = `mutation($r: String!) { resolveIncident(incident: $r) { status resolvedAt } }`;
    const early = await app.gql(RESOLVE, { r: i.ref }, responder);
    expect(early.errors?.[0].extensions?.code).toBe('VALIDATION_FAILED');
    expect(early.errors?.[0].message).toContain(BS_C);
    const CONFIRM = `mutation($r: String!, $s: String!) { confirmRecovery(incident: $r, system: $s) { affected { code recoveredAt } } }`;
    for (const sys of [BS_C, BS_I])
      expect((await app.gql(CONFIRM, { r: i.ref, s: sys }, responder)).errors).toBeUndefined();
    const done = await app.gql(RESOLVE, { r: i.ref }, responder);
    expect(done.errors).toBeUndefined();
    expect(done.data!.resolveIncident.status).toBe('RESOLVED');
  });

  it('a problem with a known error on a CI is evidence for it', async () => {
    const ref = `PRB-${uniq()}`;
    const res = await app.gql(
      `mutation($i: ProblemInput!) { openProblem(input: $i) { ref status } }`,
      { i: { ref, title: '宿主机内存条故障', rootCause: VM_X, knownError: 'ECC 错误累积', workaround: '迁移虚拟机' } },
      tokenFor([Role.PROBLEM_MANAGER], 'user:problem.mgr'),
    );
    expect(res.errors).toBeUndefined();
    const r = await rootCauses({ cis: [APP_X] });
    expect(r.candidates[0].code).toBe(VM_X);
    expect(r.candidates[0].evidence.problems).toEqual([{ ref, knownError: 'ECC 错误累积' }]);
  });
});
