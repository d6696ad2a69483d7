// Change impact analysis (§7.2.4–§7.2.6) on a hand-built estate whose blast radii are known exactly:
// a SAN array under two hosts, their VMs, databases, applications and business systems; a core switch
// under a core system; a lone desktop.

import { Role } from '../../src/platform/auth/roles';
import type { NewCI, NewRelation } from '../../src/cis/ci.batch';
import {
  createTeam,
  ctxFor,
  freeSystemIds,
  openServices,
  startTestApp,
  tokenFor,
  uniq,
  type TestApp,
} from '../support/harness';

let app: TestApp;
const s = uniq();
const c = (prefix: string, name: string) => `${prefix}-IMP-${name}-${s}`;
const reader = tokenFor([Role.AUDITOR], 'user:auditor');
const initiator = tokenFor([Role.OPS_ENGINEER], 'user:li.initiator');
const assessor = tokenFor([Role.CHANGE_ASSESSOR], 'user:wang.assessor');
const configManager = tokenFor([Role.CONFIG_MANAGER], 'user:config.manager');

const SAN = c('SA', 'SAN');
const H1 = c('SRV', 'H1');
const H2 = c('SRV', 'H2');
const H3 = c('SRV', 'H3');
const CLUSTER = c('CL', 'VMW');
const VM1 = c('VM', 'VM1');
const VM2 = c('VM', 'VM2');
const VM3 = c('VM', 'VM3');
const VM4 = c('VM', 'VM4');
const DB1 = c('DB', 'DB1');
const DB3 = c('DB', 'DB3');
const CMP1 = c('CMP', 'CMP1');
const APP1 = c('APP', 'APP1');
const APP2 = c('APP', 'APP2');
const APP3 = c('APP', 'APP3');
const APP4 = c('APP', 'APP4');
const BS1 = c('BS', 'CLAIMS');
const BS2 = c('BS', 'IMAGING');
const BS4 = c('BS', 'OA');
const SWITCH = c('SW', 'CORE');
const DESKTOP = c('DT', 'DESK');
const SAN_DR = c('SA', 'SANDR');

let team: string;
let addedLater: number;

const BLAST = `query($i: BlastRadiusInput!, $first: Int, $after: String) {
  blastRadius(input: $i, first: $first, after: $after) {
    asOf maxDepth depthReached totalCount
    seeds { code distance }
    summary { byClass { key count } byLifecycle { key count } byImportance { key count } byDistance { key count } }
    businessSystems { code importance owner ownerName internetFacing distance }
    internetFacing { code }
    drCounterparts { of code via }
    impacted { totalCount edges { cursor node { code name class distance path { code via forward } } } pageInfo { hasNextPage endCursor } }
  }
}`;

async function blast(input: Record<string, unknown>, first = 500) {
  const res = await app.gql(BLAST, { i: input, first }, reader);
  expect(res.errors).toBeUndefined();
  return res.data!.blastRadius;
}

const codesOf = (r: { impacted: { edges: { node: { code: string } }[] } }) =>
  r.impacted.edges.map((e) => e.node.code).sort();

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
  const [sys1, sys2, sys4] = await freeSystemIds(app.services, 3);
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
    ci('StorageArray', SAN_DR, { ...hw(SAN_DR), storageType: 'SAN_BLOCK' }),
    ci('PhysicalServer', H1, hw(H1)),
    ci('PhysicalServer', H2, hw(H2)),
    ci('PhysicalServer', H3, hw(H3)),
    ci('ServerCluster', CLUSTER, { clusterType: 'VIRTUALIZATION' }),
    ...[VM1, VM2, VM3, VM4].map((v) => ci('VirtualMachine', v, { hostname: v.toLowerCase() })),
    ci('Database', DB1, { engine: 'ORACLE' }),
    ci('Database', DB3, { engine: 'MYSQL' }),
    ci('ApplicationComponent', CMP1, { componentType: 'SERVICE' }),
    ...[APP1, APP2, APP3, APP4].map((a) => ci('Application', a, { appType: 'WEB' })),
    ci('BusinessSystem', BS1, {
      systemId: sys1,
      importance: 'CORE',
      internetFacing: true,
      branchScope: 'SINGLE_PROVINCE',
    }),
    ci('BusinessSystem', BS2, {
      systemId: sys2,
      importance: 'IMPORTANT',
      internetFacing: false,
      branchScope: 'HEAD_OFFICE',
    }),
    ci('BusinessSystem', BS4, { systemId: sys4, importance: 'GENERAL', internetFacing: false }),
    ci('Switch', SWITCH, hw(SWITCH)),
    ci('Desktop', DESKTOP, { ...hw(DESKTOP), deviceType: 'DESKTOP' }),
  ];
  const rel = (source: string, type: string, target: string): NewRelation => ({ source, type, target });
  const relations: NewRelation[] = [
    rel(H1, 'USES_STORAGE', SAN),
    rel(H2, 'USES_STORAGE', SAN),
    rel(H1, 'PART_OF', CLUSTER),
    rel(VM1, 'RUNS_ON', H1),
    rel(VM2, 'RUNS_ON', H2),
    rel(VM3, 'RUNS_ON', H1),
    rel(VM4, 'RUNS_ON', H3),
    rel(DB1, 'RUNS_ON', VM1),
    rel(DB3, 'RUNS_ON', VM3),
    rel(CMP1, 'RUNS_ON', VM2),
    rel(CMP1, 'PART_OF', APP2),
    rel(APP1, 'DEPENDS_ON', DB1),
    rel(APP3, 'DEPENDS_ON', DB1),
    rel(APP1, 'BELONGS_TO', BS1),
    rel(APP2, 'BELONGS_TO', BS2),
    rel(APP4, 'RUNS_ON', VM4),
    rel(APP4, 'BELONGS_TO', BS4),
    rel(H1, 'CONNECTS_TO', SWITCH),
    rel(H3, 'CONNECTS_TO', SWITCH),
    rel(SAN_DR, 'DR_COUNTERPART_OF', SAN),
  ];
  await app.services.cis.createBatch(ctxFor(), { cis, relations });

  // VM3 is retired and APP3's dependency on DB1 has ended: neither propagates any more.
  const vm3 = await app.services.cis.get({ code: VM3 });
  await app.services.cis.changeLifecycle(ctxFor(), { code: VM3, expectedVersion: vm3.version, state: 'RETIRED' });
  await app.services.cis.endRelation(ctxFor(), { source: APP3, type: 'DEPENDS_ON', target: DB1 });

  // A relationship added after this moment: the blast radius as of before it must not contain what it reaches.
  await new Promise((r) => setTimeout(r, 5));
  addedLater = Date.now();
  await new Promise((r) => setTimeout(r, 5));
  await app.services.cis.createRelation(ctxFor(), { source: H3, type: 'USES_STORAGE', target: SAN });
});

afterAll(async () => {
  await app?.close();
});

describe('blast radius', () => {
  it('of a SAN array is exactly its hosts, their VMs, the software on them and the systems above', async () => {
    const r = await blast({ cis: [SAN], at: new Date(addedLater).toISOString() });
    expect(r.seeds).toEqual([{ code: SAN, distance: 0 }]);
    expect(codesOf(r)).toEqual([H1, H2, CLUSTER, VM1, VM2, DB1, CMP1, APP2, APP1, BS1, BS2].sort());
    expect(r.totalCount).toBe(11);
    expect(r.impacted.totalCount).toBe(11);
    const byCode = new Map<string, any>(r.impacted.edges.map((e: any) => [e.node.code, e.node]));
    expect(byCode.get(H1).distance).toBe(1);
    expect(byCode.get(BS1).distance).toBe(5); // SAN ← H1 ← VM1 ← DB1 ← APP1 → BS1
    expect(byCode.get(BS1).path).toEqual([
      { code: SAN, via: null, forward: true },
      { code: H1, via: 'USES_STORAGE', forward: false },
      { code: VM1, via: 'RUNS_ON', forward: false },
      { code: DB1, via: 'RUNS_ON', forward: false },
      { code: APP1, via: 'DEPENDS_ON', forward: false },
      { code: BS1, via: 'BELONGS_TO', forward: true },
    ]);
    // PART_OF propagates from the part to the whole: the cluster of H1, and APP2 through its component.
    expect(byCode.get(CLUSTER).path.map((p: any) => p.code)).toEqual([SAN, H1, CLUSTER]);
    expect(byCode.get(APP2).path.map((p: any) => p.via)).toEqual([
      null,
      'USES_STORAGE',
      'RUNS_ON',
      'RUNS_ON',
      'PART_OF',
    ]);
    expect(r.summary.byClass).toEqual(
      expect.arrayContaining([
        { key: 'PhysicalServer', count: 2 },
        { key: 'VirtualMachine', count: 2 },
        { key: 'BusinessSystem', count: 2 },
      ]),
    );
    expect(r.summary.byDistance.map((d: any) => d.key)).toEqual(['1', '2', '3', '4', '5']);
    expect(r.summary.byImportance).toEqual([
      { key: 'CORE', count: 1 },
      { key: 'IMPORTANT', count: 1 },
    ]);
    expect(r.businessSystems.map((b: any) => [b.code, b.importance, b.owner])).toEqual([
      [BS1, 'CORE', team],
      [BS2, 'IMPORTANT', team],
    ]);
    expect(r.businessSystems[0].ownerName).toContain('测试团队');
    expect(r.internetFacing).toEqual([{ code: BS1 }]);
    expect(r.drCounterparts).toEqual([{ of: SAN, code: SAN_DR, via: 'DR_COUNTERPART_OF' }]);
  });

  it('now, lists the same systems with owners, DR counterparts and names as recorded, and what was added since', async () => {
    const then = await blast({ cis: [SAN], at: new Date(addedLater).toISOString() });
    const now = await blast({ cis: [SAN] });
    const thenSystems = new Map(then.businessSystems.map((b: any) => [b.code, b]));
    for (const b of now.businessSystems.filter((x: any) => x.code !== BS4)) expect(b).toEqual(thenSystems.get(b.code));
    expect(now.businessSystems.map((b: any) => b.code)).toEqual(expect.arrayContaining([BS1, BS2, BS4]));
    expect(now.businessSystems[0].ownerName).toContain('测试团队');
    expect(now.internetFacing).toEqual([{ code: BS1 }]);
    expect(now.drCounterparts).toEqual([{ of: SAN, code: SAN_DR, via: 'DR_COUNTERPART_OF' }]);
    const thenNames = new Map(then.impacted.edges.map((e: any) => [e.node.code, e.node.name]));
    for (const e of now.impacted.edges.filter((x: any) => thenNames.has(x.node.code))) {
      expect(e.node.name).toBe(thenNames.get(e.node.code));
    }
    expect(now.impacted.edges.every((e: any) => typeof e.node.name === 'string' && e.node.name.length > 0)).toBe(true);
  });

  it('describes the same radius from the topology in memory as from Neo4j', async () => {
    const inNeo4j = await openServices({ topology: false });
    try {
      const shown = async (services: TestApp['services']) => {
        const r = await services.impact.blastRadius({ cis: [SAN, BS1] }, { first: 500, after: null });
        return {
          impacted: r.impacted.map((c) => `${c.code}@${c.distance}`),
          summary: r.summary,
          businessSystems: r.businessSystems,
          drCounterparts: r.drCounterparts,
          described: [...r.page.described].sort(([a], [b]) => (a < b ? -1 : 1)),
        };
      };
      const memory = await shown(app.services);
      expect(memory.businessSystems.length).toBeGreaterThan(0);
      expect(memory.drCounterparts.length).toBeGreaterThan(0);
      expect(memory.described.length).toBe(memory.impacted.length + 2);
      expect(memory).toEqual(await shown(inNeo4j.services));
    } finally {
      await inNeo4j.close();
    }
  });

  it('does not pass through a retired VM or an ended relationship', async () => {
    const r = await blast({ cis: [SAN] });
    const codes = codesOf(r);
    expect(codes).not.toContain(VM3);
    expect(codes).not.toContain(DB3);
    expect(codes).not.toContain(APP3);
  });

  it('as of before a relationship was added does not contain what it now reaches', async () => {
    const now = codesOf(await blast({ cis: [SAN] }));
    expect(now).toEqual(expect.arrayContaining([H3, VM4, APP4, BS4]));
    const before = codesOf(await blast({ cis: [SAN], at: new Date(addedLater).toISOString() }));
    for (const code of [H3, VM4, APP4, BS4]) expect(before).not.toContain(code);
  });

  it('follows PART_OF from the part to the whole, never back', async () => {
    const r = await blast({ cis: [APP2] });
    expect(codesOf(r)).toEqual([BS2]);
    const part = await blast({ cis: [CMP1] });
    expect(codesOf(part)).toEqual([APP2, BS2].sort());
  });

  it('honours depth, relation types to follow or skip, and classes to stop at', async () => {
    expect(codesOf(await blast({ cis: [SAN], maxDepth: 1 }))).toEqual([H1, H2, H3].sort());
    const onlyStorage = await blast({ cis: [SAN], relationTypes: ['USES_STORAGE'] });
    expect(codesOf(onlyStorage)).toEqual([H1, H2, H3].sort());
    const noCluster = await blast({ cis: [SAN], skipRelationTypes: ['PART_OF'] });
    expect(codesOf(noCluster)).not.toContain(CLUSTER);
    expect(codesOf(noCluster)).not.toContain(APP2);
    const stopAtVMs = await blast({ cis: [SAN], stopAtClasses: ['Server'] });
    expect(codesOf(stopAtVMs)).toEqual([H1, H2, H3].sort());
  });

  it('pages the impacted CIs with exact totals, nearest first', async () => {
    const first = await app.gql(BLAST, { i: { cis: [SAN] }, first: 4 }, reader);
    const page1 = first.data!.blastRadius.impacted;
    expect(page1.totalCount).toBe(15);
    expect(page1.edges).toHaveLength(4);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const seen = page1.edges.map((e: any) => e.node.code);
    let after = page1.pageInfo.endCursor;
    for (;;) {
      const next = await app.gql(BLAST, { i: { cis: [SAN] }, first: 4, after }, reader);
      const page = next.data!.blastRadius.impacted;
      seen.push(...page.edges.map((e: any) => e.node.code));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(15);
    expect(new Set(seen).size).toBe(15);
    expect(seen.slice(0, 3).sort()).toEqual([H1, H2, H3].sort());
  });

  it('refuses depth over the cap, unknown relation types and unknown CIs, naming the field', async () => {
    const deep = await app.gql(BLAST, { i: { cis: [SAN], maxDepth: 11 } }, reader);
    expect(deep.errors?.[0].extensions?.code).toBe('VALIDATION_FAILED');
    expect(deep.errors?.[0].extensions?.field).toBe('maxDepth');
    const badType = await app.gql(BLAST, { i: { cis: [SAN], relationTypes: ['FEEDS'] } }, reader);
    expect(badType.errors?.[0].extensions?.code).toBe('VALIDATION_FAILED');
    expect(badType.errors?.[0].extensions?.field).toBe('relationTypes[0]');
    expect(badType.errors?.[0].message).toContain('FEEDS');
    const unknown = await app.gql(BLAST, { i: { cis: [SAN, 'SA-NO-SUCH-ARRAY'] } }, reader);
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(unknown.errors?.[0].message).toContain('SA-NO-SUCH-ARRAY');
    const badClass = await app.gql(BLAST, { i: { cis: [SAN], stopAtClasses: ['Spaceship'] } }, reader);
    expect(badClass.errors?.[0].extensions?.field).toBe('stopAtClasses[0]');
  });
});

const OPEN = `mutation($i: OpenTicketInput!) { openTicket(input: $i) { ref } }`;
const ASSESS = `mutation($t: String!) { assessChange(ticket: $t) {
  grade impactLevel likelihood highestImportance
  rules { id grade clause detail }
  impact { scope totalCount businessSystems { code } drCounterparts { code } }
  conflicts { ref kind shared sharedCount }
  calendarWindows { name kind }
  scopeCheck { groups separable proposals { code dependsOn via } proposalCount }
  deadlines { leadTime { exempt requiredWorkingDays latestSubmission met } regulatorReport { required dueBy rule } summaryReport { required dueBy } drFollowUpBy }
} }`;

async function openChange(scope: string[], change: Record<string, unknown>): Promise<string> {
  const ref = `CHG-IMP-${uniq()}`;
  const res = await app.gql(
    OPEN,
    {
      i: {
        kind: 'CHANGE',
        ref,
        title: '变更影响分析测试',
        scope,
        change: { category: 'INFRASTRUCTURE', subtype: 'NETWORK', assessor: 'user:wang.assessor', ...change },
      },
    },
    initiator,
  );
  expect(res.errors).toBeUndefined();
  return ref;
}

async function assess(ref: string) {
  const res = await app.gql(ASSESS, { t: ref }, assessor);
  expect(res.errors).toBeUndefined();
  return res.data!.assessChange;
}

describe('change assessment', () => {
  it('grades a change to a core switch under a core system MAJOR, naming the rule', async () => {
    const ref = await openChange([SWITCH], { complexity: 'LOW' });
    const a = await assess(ref);
    expect(a.grade).toBe('MAJOR');
    const rule = a.rules.find((r: any) => r.id === 'infrastructure-under-important-system');
    expect(rule).toMatchObject({ grade: 'MAJOR', clause: '§7.2.4.2.2 a' });
    expect(rule.detail).toContain(SWITCH);
    expect(a.highestImportance).toBe('CORE');
    expect(a.impact.businessSystems.map((b: any) => b.code)).toEqual(expect.arrayContaining([BS1, BS4]));
  });

  it('grades a change to one desktop STANDARD', async () => {
    const ref = await openChange([DESKTOP], { category: 'APPLICATION', subtype: 'OTHER', complexity: 'LOW' });
    const a = await assess(ref);
    expect(a.grade).toBe('STANDARD');
    expect(a.impact.totalCount).toBe(0);
    expect(a.rules.map((r: any) => r.id)).toEqual(['risk-matrix']);
    expect(a.deadlines.regulatorReport.required).toBe(false);
  });

  it('stores the assessment on the change for approval and review', async () => {
    const ref = await openChange([DESKTOP], { category: 'APPLICATION', subtype: 'OTHER', complexity: 'LOW' });
    await assess(ref);
    const res = await app.gql(
      `query($r: String!) { ticket(ref: $r) { assessment { grade assessedBy } assessments { grade } } }`,
      { r: ref },
      reader,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.ticket.assessment).toEqual({ grade: 'STANDARD', assessedBy: 'user:wang.assessor' });
    expect(res.data!.ticket.assessments).toHaveLength(1);
  });

  it('reports overlapping changes whose blast radii share a database, and not those that do not overlap', async () => {
    const day = 24 * 3_600_000;
    const base = Date.UTC(2031, 2, 4, 14); // a Tuesday, 22:00 in Shanghai
    const window = (start: number, hours: number) => ({
      plannedStart: new Date(start).toISOString(),
      plannedEnd: new Date(start + hours * 3_600_000).toISOString(),
    });
    const mine = await openChange([VM1], { subtype: 'VIRTUALIZATION', ...window(base, 2) });
    const overlapping = await openChange([H1], { subtype: 'OPERATING_SYSTEM', ...window(base + 3_600_000, 2) });
    const later = await openChange([H1], { subtype: 'OPERATING_SYSTEM', ...window(base + 7 * day, 2) });
    const a = await assess(mine);
    const refs = a.conflicts.map((x: any) => x.ref);
    expect(refs).toContain(overlapping);
    expect(refs).not.toContain(later);
    const conflict = a.conflicts.find((x: any) => x.ref === overlapping);
    expect(conflict.shared).toContain(DB1);
    expect(conflict.kind).toBe('IMPACT');
  });

  it('shows the freeze window a change falls in, deadlines to the day, and what belongs in separate changes', async () => {
    const pol = await app.gql(`{ changePolicy { version policy } }`, {}, reader);
    const version = pol.data!.changePolicy.version;
    const policy = pol.data!.changePolicy.policy;
    const saved = await app.gql(
      `mutation($p: JSONObject!, $v: Int!) { setChangePolicy(policy: $p, expectedVersion: $v) { version } }`,
      {
        p: {
          ...policy,
          calendar: {
            ...policy.calendar,
            holidays: [...new Set([...policy.calendar.holidays, '2031-05-01', '2031-05-02'])],
            windows: [
              ...policy.calendar.windows.filter((w: any) => w.name !== `test-freeze-${s}`),
              {
                name: `test-freeze-${s}`,
                kind: 'FREEZE',
                start: Date.UTC(2031, 4, 10),
                end: Date.UTC(2031, 4, 12),
              },
            ],
          },
        },
        v: version,
      },
      configManager,
    );
    expect(saved.errors).toBeUndefined();
    // Implementation Monday 2031-05-12 02:00 Shanghai (Sunday 18:00 UTC): inside the freeze window.
    const start = Date.UTC(2031, 4, 11, 18);
    const ref = await openChange([SWITCH, DESKTOP], {
      complexity: 'HIGH',
      plannedStart: new Date(start).toISOString(),
      plannedEnd: new Date(start + 2 * 3_600_000).toISOString(),
    });
    const a = await assess(ref);
    expect(a.calendarWindows.map((w: any) => w.name)).toContain(`test-freeze-${s}`);
    expect(a.grade).toBe('MAJOR');
    // 10 working days before Mon 12 May, skipping two weekends and the 1–2 May holidays: Thu 24 April.
    expect(a.deadlines.regulatorReport).toMatchObject({ required: true, dueBy: '2031-04-24' });
    expect(a.deadlines.summaryReport).toMatchObject({ required: true, dueBy: '2031-06-12' });
    // The switch and the desktop have no dependency between them: two changes.
    expect(a.scopeCheck.separable).toBe(true);
    expect(a.scopeCheck.groups).toEqual([[DESKTOP], [SWITCH]]);
    expect(a.scopeCheck.proposals.map((p: any) => p.code).sort()).toEqual([H1, H3].sort());
  });

  it('refuses a policy with a bad field, naming it', async () => {
    const pol = await app.gql(`{ changePolicy { version policy } }`, {}, reader);
    const { version, policy } = pol.data!.changePolicy;
    const res = await app.gql(
      `mutation($p: JSONObject!, $v: Int!) { setChangePolicy(policy: $p, expectedVersion: $v) { version } }`,
      { p: { ...policy, leadTimes: { ...policy.leadTimes, MAJOR: -1 } }, v: version },
      configManager,
    );
    expect(res.errors?.[0].extensions?.code).toBe('VALIDATION_FAILED');
    expect(res.errors?.[0].extensions?.field).toBe('leadTimes.MAJOR');
    const after = await app.gql(`{ changePolicy { version } }`, {}, reader);
    expect(after.data!.changePolicy.version).toBe(version);
  });
});
