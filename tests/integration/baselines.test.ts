// Baselines (§3.15, §7.1.4.2.3) on a small hand-built estate: a business system with an application,
// its database, VMs, hosts, a switch and a SAN array. Known edits give exactly known differences.

import { Role } from '../../src/platform/auth/roles';
import {
  approveFully,
  ASSESS,
  finishChange,
  MOVE,
  PEOPLE,
  raiseChange,
  SCOPE,
  tokenOf,
  walkChange,
} from '../support/changes';
import type { NewCI, NewRelation } from '../../src/cis/ci.batch';
import { createTeam, ctxFor, freeSystemIds, startTestApp, tokenFor, uniq, type TestApp } from '../support/harness';

let app: TestApp;
const s = uniq();
const c = (prefix: string, name: string) => `${prefix}-BL-${name}-${s}`;
const reader = tokenFor([Role.AUDITOR], 'user:auditor');
const manager = tokenFor([Role.CONFIG_MANAGER], 'user:zhou.cm');

const BS = c('BS', 'CLAIMS');
const APP = c('APP', 'CLAIMS');
const DB = c('DB', 'CLAIMS');
const DB2 = c('DB', 'NEW');
const VM1 = c('VM', 'VM1');
const VM2 = c('VM', 'VM2');
const H1 = c('SRV', 'H1');
const H2 = c('SRV', 'H2');
const SAN = c('SA', 'SAN');
const SW = c('SW', 'CORE');
const VMC = c('VM', 'COMPLY');
const VMC2 = c('VM', 'COMPLY2');
let team: string;

const CAPTURE = `mutation($i: CaptureBaselineInput!) { captureBaseline(input: $i) {
  id name capturedAt asOf createdBy scope ticket ciCount relationCount } }`;
const COMPARE = `query($b: ID!, $a: BaselineCompareInput, $classes: [String!], $first: Int, $after: String) {
  compareBaseline(baseline: $b, against: $a, classes: $classes) {
    from { asOf ciCount baseline { id } } to { asOf ciCount baseline { id } }
    counts { total ciAdded ciRemoved ciChanged lifecycleChanges attributeChanges relationsAdded relationsRemoved }
    byClass { key count }
    differences(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { kind code class changes { field old new } relation { type source target }
              relations { type source target } before { lifecycle version } after { lifecycle version } }
    }
  }
}`;

async function capture(input: Record<string, unknown>, token = manager) {
  const res = await app.gql(CAPTURE, { i: input }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.captureBaseline;
}

async function compare(baseline: string, against: Record<string, unknown> | null = null, extra = {}) {
  const res = await app.gql(COMPARE, { b: baseline, a: against, first: 100, ...extra }, reader);
  expect(res.errors).toBeUndefined();
  return res.data!.compareBaseline;
}

async function version(code: string): Promise<number> {
  return (await app.services.cis.get({ code })).version;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
  const hw = (code: string) => ({ serialNumber: `SN${code.replace(/-/g, '')}`, vendorModel: 'Huawei 2288H V6' });
  const ci = (cls: string, code: string, attributes: Record<string, unknown>, lifecycle = 'PLANNED'): NewCI => ({
    class: cls,
    code,
    name: `名称 ${code}`,
    owner: team,
    lifecycle,
    attributes,
  });
  const [systemId] = await freeSystemIds(app.services, 1);
  const cis: NewCI[] = [
    ci('BusinessSystem', BS, { systemId, importance: 'CORE', internetFacing: true }),
    ci('Application', APP, { appType: 'WEB' }),
    ci('Database', DB, { engine: 'ORACLE' }),
    ci('VirtualMachine', VM1, { hostname: `vm1-${s.toLowerCase()}` }),
    ci('VirtualMachine', VM2, { hostname: `vm2-${s.toLowerCase()}` }),
    ci('PhysicalServer', H1, hw(H1)),
    ci('PhysicalServer', H2, hw(H2)),
    ci('StorageArray', SAN, { ...hw(SAN), storageType: 'SAN_BLOCK' }),
    ci('Switch', SW, hw(SW)),
    ci('VirtualMachine', VMC, { hostname: `vmc-${s.toLowerCase()}`, ipAddress: '10.9.8.7' }, 'IN_SERVICE'),
    ci('VirtualMachine', VMC2, { hostname: `vmc2-${s.toLowerCase()}`, ipAddress: '10.9.8.8' }, 'IN_SERVICE'),
  ];
  const rel = (source: string, type: string, target: string): NewRelation => ({ source, type, target });
  const relations: NewRelation[] = [
    rel(APP, 'BELONGS_TO', BS),
    rel(APP, 'RUNS_ON', VM1),
    rel(APP, 'DEPENDS_ON', DB),
    rel(DB, 'RUNS_ON', VM2),
    rel(VM1, 'RUNS_ON', H1),
    rel(VM2, 'RUNS_ON', H2),
    rel(H1, 'USES_STORAGE', SAN),
    rel(H2, 'USES_STORAGE', SAN),
    rel(H1, 'CONNECTS_TO', SW),
    rel(VMC, 'RUNS_ON', H1),
    rel(VMC2, 'RUNS_ON', H1),
  ];
  await app.services.cis.createBatch(ctxFor(), { cis, relations });
});

afterAll(async () => {
  await app?.close();
});

describe('capture and compare', () => {
  let baseline: any;

  it('captures a business system with everything under it', async () => {
    baseline = await capture({ name: `理赔系统基线 ${s}`, scope: { businessSystem: BS } });
    expect(baseline.ciCount).toBe(9);
    // BELONGS_TO, 2×RUNS_ON from APP/DB, DEPENDS_ON, 2×RUNS_ON of VMs, 2×USES_STORAGE, CONNECTS_TO
    expect(baseline.relationCount).toBe(9);
    expect(baseline.createdBy).toBe('user:zhou.cm');
    expect(baseline.scope).toMatchObject({ businessSystem: BS });
    const res = await app.gql(
      `query($id: ID!) { baseline(id: $id) { cis(first: 3, classes: ["Server"]) { totalCount nodes { code lifecycle version } } relations(first: 100) { totalCount } } }`,
      { id: baseline.id },
      reader,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.baseline.cis.totalCount).toBe(4);
    expect(res.data!.baseline.cis.nodes.map((n: any) => n.code)).toEqual([H1, H2, VM1].sort());
    expect(res.data!.baseline.relations.totalCount).toBe(9);
    // The capture is in the operation log, by whom and of what.
    const [entry] = await app.services.executor.query(
      `MATCH (o:OpLog {action: 'BASELINE_CAPTURE', targetId: $id}) RETURN o.actor AS actor, o.after AS after`,
      { id: baseline.id },
    );
    expect(entry.actor).toBe('user:zhou.cm');
    expect(JSON.parse(entry.after as string)).toMatchObject({ ciCount: 9, relationCount: 9 });
  });

  it('finds nothing when nothing was touched', async () => {
    const r = await compare(baseline.id);
    expect(r.counts.total).toBe(0);
    expect(r.differences.nodes).toEqual([]);
  });

  it('reports exactly an attribute edit, a new CI, an ended relationship and a retirement, with old and new values', async () => {
    await tick();
    await app.services.cis.update(ctxFor(), {
      code: VM1,
      expectedVersion: await version(VM1),
      attributes: { hostname: `vm1-new-${s.toLowerCase()}` },
    });
    await app.services.cis.createBatch(ctxFor(), {
      cis: [
        { class: 'Database', code: DB2, name: DB2, owner: team, lifecycle: 'PLANNED', attributes: { engine: 'MYSQL' } },
      ],
      relations: [
        { source: DB2, type: 'RUNS_ON', target: VM2 },
        { source: APP, type: 'DEPENDS_ON', target: DB2 },
      ],
    });
    await app.services.cis.endRelation(ctxFor(), { source: H2, type: 'USES_STORAGE', target: SAN });
    await app.services.cis.changeLifecycle(ctxFor(), {
      code: SW,
      expectedVersion: await version(SW),
      state: 'RETIRED',
    });

    const r = await compare(baseline.id);
    expect(r.counts).toEqual({
      total: 4,
      ciAdded: 1,
      ciRemoved: 0,
      ciChanged: 2,
      lifecycleChanges: 1,
      attributeChanges: 1,
      relationsAdded: 0,
      relationsRemoved: 1,
    });
    const byCode = new Map<string, any>(r.differences.nodes.map((d: any) => [`${d.kind}:${d.code}`, d]));
    expect(byCode.get(`CI_ADDED:${DB2}`).relations).toEqual(
      expect.arrayContaining([
        { type: 'RUNS_ON', source: DB2, target: VM2 },
        { type: 'DEPENDS_ON', source: APP, target: DB2 },
      ]),
    );
    expect(byCode.get(`CI_CHANGED:${VM1}`).changes).toEqual([
      { field: 'attributes.hostname', old: `vm1-${s.toLowerCase()}`, new: `vm1-new-${s.toLowerCase()}` },
    ]);
    expect(byCode.get(`CI_CHANGED:${SW}`).changes).toEqual([{ field: 'lifecycle', old: 'PLANNED', new: 'RETIRED' }]);
    expect(byCode.get(`RELATION_REMOVED:${H2}`).relation).toEqual({ type: 'USES_STORAGE', source: H2, target: SAN });
    expect(r.to.ciCount).toBe(10);
  });

  it('filters by class and pages the details', async () => {
    const vms = await compare(baseline.id, null, { classes: ['Server'] });
    expect(vms.counts.total).toBe(2); // VM1's hostname, H2's ended storage
    expect(vms.byClass).toEqual(
      expect.arrayContaining([
        { key: 'VirtualMachine', count: 1 },
        { key: 'PhysicalServer', count: 1 },
      ]),
    );
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await compare(baseline.id, null, { first: 1, after });
      seen.push(`${page.differences.nodes[0].kind}:${page.differences.nodes[0].code}`);
      expect(page.differences.totalCount).toBe(4);
      if (!page.differences.pageInfo.hasNextPage) break;
      after = page.differences.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(4);
  });

  it('a baseline captured as of a past moment equals the one captured at that moment', async () => {
    const asOf = await capture({ name: `追溯基线 ${s}`, scope: { businessSystem: BS }, asOf: baseline.asOf });
    expect(asOf.ciCount).toBe(baseline.ciCount);
    expect(asOf.relationCount).toBe(baseline.relationCount);
    expect((await compare(baseline.id, { baseline: asOf.id })).counts.total).toBe(0);
    expect((await compare(baseline.id, { at: baseline.asOf })).counts.total).toBe(0);
    // And a baseline now compared with the first one shows the same four differences.
    const now = await capture({ name: `当前基线 ${s}`, scope: { businessSystem: BS } });
    const r = await compare(baseline.id, { baseline: now.id });
    expect(r.counts.total).toBe(4);
    expect(r.to.baseline.id).toBe(now.id);
  });

  it('captures CIs with their dependencies to a depth, and classes alone', async () => {
    const shallow = await capture({ name: `应用 ${s}`, scope: { cis: [APP], depth: 1 } });
    expect(shallow.ciCount).toBe(4); // APP and what it depends on directly: VM1, DB, DB2 (its system is above it, not under)
    const classes = await capture({ name: `交换机 ${s}`, scope: { classes: ['Switch'] } });
    expect(classes.ciCount).toBeGreaterThanOrEqual(1);
  });

  it('refuses empty scopes, unknown CIs, classes and a non-system as business system, naming the field', async () => {
    const empty = await app.gql(CAPTURE, { i: { name: 'x', scope: {} } }, manager);
    expect(empty.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'scope' });
    const unknown = await app.gql(CAPTURE, { i: { name: 'x', scope: { cis: ['VM-NO-SUCH'] } } }, manager);
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'scope.cis' });
    const cls = await app.gql(CAPTURE, { i: { name: 'x', scope: { classes: ['Spaceship'] } } }, manager);
    expect(cls.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'scope.classes[0]' });
    const notBs = await app.gql(CAPTURE, { i: { name: 'x', scope: { businessSystem: VM1 } } }, manager);
    expect(notBs.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'scope.businessSystem' });
    const future = await app.gql(
      CAPTURE,
      { i: { name: 'x', scope: { cis: [VM1] }, asOf: new Date(Date.now() + 3_600_000).toISOString() } },
      manager,
    );
    expect(future.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'asOf' });
  });

  it('cannot be altered or deleted through the API; readers cannot capture', async () => {
    const res = await app.gql(`{ __schema { mutationType { fields { name } } } }`, {}, manager);
    const names = res.data!.__schema.mutationType.fields.map((f: any) => f.name as string);
    expect(names.filter((n: string) => /baseline/i.test(n))).toEqual(['captureBaseline']);
    const denied = await app.gql(CAPTURE, { i: { name: 'x', scope: { cis: [VM1] } } }, reader);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('with changes', () => {
  it('a change moved to implementing has its baseline; after closing, its drift lists what was done under it', async () => {
    const ref = await raiseChange(app, [VM2], { complexity: 'HIGH' });
    await walkChange(app, ref, 'IMPLEMENTING');
    const got = await app.gql(
      `query($r: String!) { ticket(ref: $r) { baseline { ticket ciCount relationCount scope } } }`,
      { r: ref },
      reader,
    );
    expect(got.errors).toBeUndefined();
    // VM2 and one level of dependents: DB and DB2 run on it.
    expect(got.data!.ticket.baseline).toMatchObject({ ticket: ref, ciCount: 3, relationCount: 2 });

    await app.services.cis.update(ctxFor(PEOPLE.implementer.sub, ref), {
      code: VM2,
      expectedVersion: await version(VM2),
      attributes: { cpuCores: 16 },
    });
    await finishChange(app, ref);
    await tick();
    // Done after the change closed, under another ticket: not the change's drift.
    await app.services.cis.update(ctxFor(), {
      code: VM2,
      expectedVersion: await version(VM2),
      attributes: { cpuCores: 32 },
    });

    expect(await driftOf(ref)).toEqual([
      { kind: 'CI_CHANGED', code: VM2, changes: [{ field: 'attributes.cpuCores', old: null, new: 16 }] },
    ]);
  });

  it('after a scope change (back to assessment, assessed again), the drift shows the fields changed, not an addition', async () => {
    const ref = await raiseChange(app, [VM2], { complexity: 'HIGH' });
    await walkChange(app, ref, 'APPROVED');
    for (const [query, variables, person] of [
      [MOVE, { t: ref, s: 'ASSESSING' }, 'initiator'],
      [SCOPE, { i: { ticket: ref, add: [VM1] } }, 'initiator'],
      [ASSESS, { t: ref }, 'assessor'],
      [MOVE, { t: ref, s: 'APPROVAL' }, 'assessor'],
    ] as const) {
      expect((await app.gql(query, variables, tokenOf(person))).errors).toBeUndefined();
    }
    await approveFully(app, ref);
    expect((await app.gql(MOVE, { t: ref, s: 'IMPLEMENTING' }, tokenOf('implementer'))).errors).toBeUndefined();
    await app.services.cis.update(ctxFor(PEOPLE.implementer.sub, ref), {
      code: VM1,
      expectedVersion: await version(VM1),
      attributes: { memoryGb: 48 },
    });
    await finishChange(app, ref);
    const drift = await driftOf(ref);
    expect(drift.map((d: { kind: string }) => d.kind)).not.toContain('CI_ADDED');
    expect(drift).toEqual([
      { kind: 'CI_CHANGED', code: VM1, changes: [{ field: 'attributes.memoryGb', old: null, new: 48 }] },
    ]);
  });
});

async function driftOf(ref: string) {
  const drift = await app.gql(
    `query($r: String!) { ticket(ref: $r) { drift { counts { total } differences { nodes { kind code changes { field old new } } } } } }`,
    { r: ref },
    reader,
  );
  expect(drift.errors).toBeUndefined();
  expect(drift.data!.ticket.drift.counts.total).toBe(drift.data!.ticket.drift.differences.nodes.length);
  return drift.data!.ticket.drift.differences.nodes;
}

describe('lifecycle-baseline compliance', () => {
  const REPORT = `query($f: ComplianceFilterInput, $first: Int, $after: String) {
    baselineCompliance(filter: $f, first: $first, after: $after) {
      totalCount groups { class owner count }
      nodes { code class owner lifecycle missing missingAttributes missingRelations { type direction } }
      pageInfo { hasNextPage endCursor }
    } }`;

  it('lists a CI whose required attribute was cleared by a correction, naming the attribute', async () => {
    const before = await app.gql(REPORT, { f: { owner: team } }, reader);
    expect(before.errors).toBeUndefined();
    expect(before.data!.baselineCompliance.nodes.map((n: any) => n.code)).not.toContain(VMC);

    await app.services.cis.update(ctxFor(), {
      code: VMC,
      expectedVersion: await version(VMC),
      attributes: { ipAddress: null },
    });
    await app.services.cis.endRelation(ctxFor(), { source: VMC2, type: 'RUNS_ON', target: H1 });

    const after = await app.gql(REPORT, { f: { owner: team, classes: ['Server'] }, first: 1 }, reader);
    expect(after.errors).toBeUndefined();
    const report = after.data!.baselineCompliance;
    expect(report.totalCount).toBe(2);
    expect(report.groups).toEqual([{ class: 'VirtualMachine', owner: team, count: 2 }]);
    expect(report.nodes).toEqual([
      {
        code: VMC,
        class: 'VirtualMachine',
        owner: team,
        lifecycle: 'IN_SERVICE',
        missing: ['attribute ipAddress'],
        missingAttributes: ['ipAddress'],
        missingRelations: [],
      },
    ]);
    expect(report.pageInfo.hasNextPage).toBe(true);
    const next = await app.gql(REPORT, { f: { owner: team }, first: 10, after: report.pageInfo.endCursor }, reader);
    expect(next.data!.baselineCompliance.nodes).toEqual([
      expect.objectContaining({
        code: VMC2,
        missingAttributes: [],
        missingRelations: [{ type: 'RUNS_ON', direction: 'OUT' }],
      }),
    ]);
    expect(next.data!.baselineCompliance.nodes[0].missing[0]).toMatch(/^relation RUNS_ON/);
  });
});
