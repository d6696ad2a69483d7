// CIs and relationships through the GraphQL API against the real Neo4j: every refusal names its
// code and field and writes nothing; concurrent writers cannot create duplicates or lose updates.

import { Role } from '../../src/platform/auth/roles';
import { createTeam, ctxFor, startTestApp, TEST_TICKET, tokenFor, uniq, type TestApp } from '../support/harness';

let app: TestApp;
let team: string;
const manager = tokenFor([Role.CONFIG_MANAGER], 'user:cm');
// Writes go under the test's initialisation ticket: the configuration roles' work (§7.1.4.2.2).
const admin = tokenFor([Role.CONFIG_ADMIN], 'user:ops');

const CREATE = `mutation($input: CreateCIInput!) { createCI(input: $input) { id code version lifecycle attributes } }`;
const CI_BY_CODE = `query($code: String!) { ci(code: $code) { id code version lifecycle owner attributes relations { type direction other { code } } } }`;

function vm(code: string, hostname: string, extra: Record<string, unknown> = {}) {
  return {
    class: 'VirtualMachine',
    code,
    name: `虚拟机 ${code}`,
    owner: team,
    attributes: { hostname, ...extra },
    ticket: TEST_TICKET,
  };
}

async function exists(code: string): Promise<boolean> {
  const rows = await app.executor.query('MATCH (n:CI {code: $code}) RETURN count(n) AS n', { code });
  return (rows[0].n as number) > 0;
}

async function activeRelations(code: string): Promise<number> {
  const rows = await app.executor.query(
    'MATCH (n:CI {code: $code})-[r]-(:CI) WHERE r.until IS NULL RETURN count(r) AS n',
    { code },
  );
  return rows[0].n as number;
}

function expectRefusal(
  res: { errors?: { extensions?: { code?: string; field?: string } }[] },
  code: string,
  field?: string,
) {
  expect(res.errors?.[0]?.extensions?.code).toBe(code);
  if (field !== undefined) expect(res.errors?.[0]?.extensions?.field).toBe(field);
}

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
});

afterAll(async () => {
  await app.close();
});

describe('creating CIs', () => {
  it('creates a CI that follows the model and reads it back with owner, lifecycle and version', async () => {
    const s = uniq();
    const res = await app.gql(
      CREATE,
      { input: vm(`VM-OK-${s}`, `ok-${s.toLowerCase()}`, { ipAddress: '10.1.2.3', cpuCores: 8 }) },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.createCI).toMatchObject({ code: `VM-OK-${s}`, version: 1, lifecycle: 'PLANNED' });
    const read = await app.gql(CI_BY_CODE, { code: `VM-OK-${s}` }, admin);
    expect(read.data!.ci).toMatchObject({
      owner: team,
      attributes: { hostname: `ok-${s.toLowerCase()}`, ipAddress: '10.1.2.3', cpuCores: 8 },
    });
  });

  it.each([
    ['unknown class', { class: 'Mainframe' }, 'VALIDATION_FAILED', 'class'],
    ['abstract class', { class: 'Server' }, 'VALIDATION_FAILED', 'class'],
    ['missing required attribute', { attributes: {} }, 'VALIDATION_FAILED', 'attributes.hostname'],
    [
      'wrong type',
      { attributes: { hostname: 'wrongtype', cpuCores: 'eight' } },
      'VALIDATION_FAILED',
      'attributes.cpuCores',
    ],
    [
      'attribute pattern violation',
      { attributes: { hostname: 'Bad_Host!' } },
      'VALIDATION_FAILED',
      'attributes.hostname',
    ],
    [
      'invalid IP address',
      { attributes: { hostname: 'badip', ipAddress: '999.1.1.1' } },
      'VALIDATION_FAILED',
      'attributes.ipAddress',
    ],
    [
      'unknown attribute',
      { attributes: { hostname: 'unknownattr', colour: 'red' } },
      'VALIDATION_FAILED',
      'attributes.colour',
    ],
    ['naming rule violation', { code: 'vm-lowercase' }, 'VALIDATION_FAILED', 'code'],
    ['owner that is not a person or team', { owner: 'VM-NOBODY' }, 'VALIDATION_FAILED', 'owner'],
    ['creation in a non-initial state', { lifecycle: 'RETIRED' }, 'VALIDATION_FAILED', 'lifecycle'],
  ])('refuses %s and writes nothing', async (_name, override, code, field) => {
    const s = uniq();
    const input = { ...vm(`VM-BAD-${s}`, `bad-${s.toLowerCase()}`), ...override };
    const res = await app.gql(CREATE, { input }, admin);
    expectRefusal(res, code, field);
    expect(await exists(String(input.code))).toBe(false);
  });

  it('refuses a duplicate identification key, naming the CI that holds it', async () => {
    const s = uniq();
    const host = `dup-${s.toLowerCase()}`;
    expect((await app.gql(CREATE, { input: vm(`VM-A-${s}`, host) }, admin)).errors).toBeUndefined();
    const res = await app.gql(CREATE, { input: vm(`VM-B-${s}`, host) }, admin);
    expectRefusal(res, 'CONFLICT', 'attributes.hostname');
    expect(res.errors![0].message).toContain(`VM-A-${s}`);
    expect(await exists(`VM-B-${s}`)).toBe(false);
  });

  it('refuses a duplicate business code', async () => {
    const s = uniq();
    await app.gql(CREATE, { input: vm(`VM-C-${s}`, `c1-${s.toLowerCase()}`) }, admin);
    const res = await app.gql(CREATE, { input: vm(`VM-C-${s}`, `c2-${s.toLowerCase()}`) }, admin);
    expectRefusal(res, 'CONFLICT', 'code');
  });

  it('two concurrent creates with the same identification keys leave exactly one CI', async () => {
    const s = uniq();
    const host = `race-${s.toLowerCase()}`;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => app.gql(CREATE, { input: vm(`VM-R${i}-${s}`, host) }, admin)),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0].extensions?.code === 'CONFLICT')).toHaveLength(5);
    const rows = await app.executor.query(
      'MATCH (n:CI {class: "VirtualMachine"}) WHERE n.hostname = $host RETURN count(n) AS n',
      { host },
    );
    expect(rows[0].n).toBe(1);
  });
});

describe('relationships', () => {
  let hostA: string;
  let hostB: string;
  beforeAll(async () => {
    const s = uniq();
    hostA = `SRV-A-${s}`;
    hostB = `SRV-B-${s}`;
    for (const code of [hostA, hostB]) {
      await app.services.cis.create(ctxFor(), {
        class: 'PhysicalServer',
        code,
        name: code,
        owner: team,
        attributes: { serialNumber: `SN-${code}`, vendorModel: 'Inspur NF5280M6' },
      });
    }
  });

  it('creates a relationship with the CI and shows it from both ends', async () => {
    const s = uniq();
    const res = await app.gql(
      CREATE,
      { input: { ...vm(`VM-REL-${s}`, `rel-${s.toLowerCase()}`), relations: [{ type: 'RUNS_ON', target: hostA }] } },
      admin,
    );
    expect(res.errors).toBeUndefined();
    const hostView = await app.gql(CI_BY_CODE, { code: hostA }, admin);
    expect(hostView.data!.ci.relations).toEqual(
      expect.arrayContaining([{ type: 'RUNS_ON', direction: 'IN', other: { code: `VM-REL-${s}` } }]),
    );
  });

  it('refuses a relationship between classes the model does not allow', async () => {
    const res = await app.gql(
      `mutation($i: RelationInput!) { createRelation(input: $i) { id } }`,
      { i: { type: 'RUNS_ON', source: team, target: hostA, ticket: TEST_TICKET } },
      admin,
    );
    expectRefusal(res, 'VALIDATION_FAILED', 'type');
    expect(await activeRelations(team)).toBe(0);
  });

  it('refuses a second RUNS_ON where the model allows one, and keeps the first', async () => {
    const s = uniq();
    const code = `VM-CARD-${s}`;
    await app.gql(
      CREATE,
      { input: { ...vm(code, `card-${s.toLowerCase()}`), relations: [{ type: 'RUNS_ON', target: hostA }] } },
      admin,
    );
    const res = await app.gql(
      `mutation($i: RelationInput!) { createRelation(input: $i) { id } }`,
      { i: { type: 'RUNS_ON', source: code, target: hostB, ticket: TEST_TICKET } },
      admin,
    );
    expectRefusal(res, 'VALIDATION_FAILED', 'type');
    expect(res.errors![0].message).toContain('MANY_TO_ONE');
    expect(await activeRelations(code)).toBe(1);
  });

  it('ends a relationship; it stays readable as of before the end', async () => {
    const s = uniq();
    const code = `VM-END-${s}`;
    await app.gql(
      CREATE,
      { input: { ...vm(code, `end-${s.toLowerCase()}`), relations: [{ type: 'RUNS_ON', target: hostB }] } },
      admin,
    );
    await new Promise((r) => setTimeout(r, 5));
    const beforeEnd = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const ended = await app.gql(
      `mutation($i: RelationInput!) { endRelation(input: $i) { until } }`,
      { i: { type: 'RUNS_ON', source: code, target: hostB, ticket: TEST_TICKET } },
      admin,
    );
    expect(ended.data!.endRelation.until).not.toBeNull();
    const now = await app.gql(CI_BY_CODE, { code }, admin);
    expect(now.data!.ci.relations).toEqual([]);
    const then = await app.gql(
      `query($code: String!, $at: DateTimeISO) { ci(code: $code, asOf: $at) { relations { type other { code } } } }`,
      { code, at: beforeEnd },
      admin,
    );
    expect(then.data!.ci.relations).toEqual([{ type: 'RUNS_ON', other: { code: hostB } }]);
  });
});

describe('bulk create (createBatch)', () => {
  const server = (code: string) => ({
    class: 'PhysicalServer',
    code,
    name: code,
    owner: team,
    attributes: { serialNumber: `SN-${code}`, vendorModel: 'Inspur NF5280M6' },
  });
  const newVm = (code: string) => ({
    class: 'VirtualMachine',
    code,
    name: code,
    owner: team,
    attributes: { hostname: code.toLowerCase() },
  });

  it('refuses two RUNS_ON from one new VM to two new hosts in the same batch, and writes nothing', async () => {
    const s = uniq();
    const [vmCode, a, b] = [`VM-BULK-${s}`, `SRV-BULK-A-${s}`, `SRV-BULK-B-${s}`];
    const refusal = app.services.cis.createBatch(ctxFor(), {
      cis: [server(a), server(b), newVm(vmCode)],
      relations: [
        { type: 'RUNS_ON', source: vmCode, target: a },
        { type: 'RUNS_ON', source: vmCode, target: b },
      ],
    });
    await expect(refusal).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'relations[1].type' },
      message: expect.stringContaining('MANY_TO_ONE'),
    });
    for (const code of [vmCode, a, b]) expect(await exists(code)).toBe(false);
  });

  it('refuses the same relationship twice in one batch between new CIs', async () => {
    const s = uniq();
    const [vmCode, a] = [`VM-BULK-${s}`, `SRV-BULK-${s}`];
    await expect(
      app.services.cis.createBatch(ctxFor(), {
        cis: [server(a), newVm(vmCode)],
        relations: [
          { type: 'RUNS_ON', source: vmCode, target: a },
          { type: 'RUNS_ON', source: vmCode, target: a },
        ],
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { field: 'relations[1].type' } });
    expect(await exists(vmCode)).toBe(false);
  });

  it('refuses a relationship between stored CIs that already exists', async () => {
    const s = uniq();
    const [vmCode, a] = [`VM-BULK-${s}`, `SRV-BULK-${s}`];
    await app.services.cis.createBatch(ctxFor(), {
      cis: [server(a), newVm(vmCode)],
      relations: [{ type: 'RUNS_ON', source: vmCode, target: a }],
    });
    await expect(
      app.services.cis.createBatch(ctxFor(), {
        cis: [],
        relations: [{ type: 'RUNS_ON', source: vmCode, target: a }],
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { field: 'relations[0].type' } });
    expect(await activeRelations(vmCode)).toBe(1);
  });

  it('refuses a second RUNS_ON from a new VM when one of its hosts is stored', async () => {
    const s = uniq();
    const [vmCode, a, b] = [`VM-BULK-${s}`, `SRV-BULK-A-${s}`, `SRV-BULK-B-${s}`];
    await app.services.cis.createBatch(ctxFor(), { cis: [server(a)], relations: [] });
    await expect(
      app.services.cis.createBatch(ctxFor(), {
        cis: [server(b), newVm(vmCode)],
        relations: [
          { type: 'RUNS_ON', source: vmCode, target: a },
          { type: 'RUNS_ON', source: vmCode, target: b },
        ],
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'relations[1].type' } });
    expect(await exists(vmCode)).toBe(false);
  });

  it('creates each CI with its first version, in the scope of the ticket the batch cites', async () => {
    const s = uniq();
    const [vmCode, a] = [`VM-BULK-${s}`, `SRV-BULK-${s}`];
    const result = await app.services.cis.createBatch(ctxFor(), {
      cis: [server(a), newVm(vmCode)],
      relations: [{ type: 'RUNS_ON', source: vmCode, target: a }],
    });
    expect(result.cis.map((c) => c.code)).toEqual([a, vmCode]);
    expect(result.relations).toHaveLength(1);
    for (const ci of result.cis) {
      const versions = await app.services.cis.versions(ci.id);
      expect(versions.map((v) => v.version)).toEqual([1]);
      expect(JSON.parse(versions[0].state as string)).toMatchObject({ code: ci.code, version: 1 });
    }
    const [scope] = await app.executor.query(
      'MATCH (t:Ticket {ref: $ref})-[s:SCOPE]->(c:CI) WHERE c.id IN $ids RETURN count(s) AS n',
      { ref: TEST_TICKET, ids: result.cis.map((c) => c.id) },
    );
    expect(scope.n).toBe(2);
    const view = await app.gql(CI_BY_CODE, { code: vmCode }, admin);
    expect(view.data!.ci.relations).toEqual([{ type: 'RUNS_ON', direction: 'OUT', other: { code: a } }]);
  });
});

describe('updates and lifecycle', () => {
  const UPDATE = `mutation($i: UpdateCIInput!) { updateCI(input: $i) { version attributes } }`;
  const LIFECYCLE = `mutation($i: ChangeLifecycleInput!) { changeLifecycle(input: $i) { version lifecycle } }`;

  it('refuses a stale version with CONFLICT and keeps the newer value', async () => {
    const s = uniq();
    const created = await app.services.cis.create(ctxFor(), vm(`VM-V-${s}`, `v-${s.toLowerCase()}`));
    const first = await app.gql(
      UPDATE,
      { i: { id: created.id, expectedVersion: 1, attributes: { cpuCores: 4 }, ticket: TEST_TICKET } },
      admin,
    );
    expect(first.data!.updateCI.version).toBe(2);
    const stale = await app.gql(
      UPDATE,
      { i: { id: created.id, expectedVersion: 1, attributes: { cpuCores: 16 }, ticket: TEST_TICKET } },
      admin,
    );
    expectRefusal(stale, 'CONFLICT', 'expectedVersion');
    const read = await app.services.cis.get({ id: created.id });
    expect(read.attributes.cpuCores).toBe(4);
  });

  it('refuses a transition the lifecycle does not allow', async () => {
    const s = uniq();
    const created = await app.services.cis.create(ctxFor(), vm(`VM-T-${s}`, `t-${s.toLowerCase()}`));
    const res = await app.gql(
      LIFECYCLE,
      { i: { id: created.id, expectedVersion: 1, state: 'MAINTENANCE', ticket: TEST_TICKET } },
      admin,
    );
    expectRefusal(res, 'VALIDATION_FAILED', 'state');
    expect((await app.services.cis.get({ id: created.id })).lifecycle).toBe('PLANNED');
  });

  it('refuses going into service without the baseline, naming what is missing', async () => {
    const s = uniq();
    const created = await app.services.cis.create(ctxFor(), {
      ...vm(`VM-BL-${s}`, `bl-${s.toLowerCase()}`),
      lifecycle: 'BUILDING',
    });
    const res = await app.gql(
      LIFECYCLE,
      { i: { id: created.id, expectedVersion: 1, state: 'IN_SERVICE', ticket: TEST_TICKET } },
      admin,
    );
    expectRefusal(res, 'VALIDATION_FAILED', 'state');
    expect(res.errors![0].message).toMatch(/ipAddress/);
    expect(res.errors![0].message).toMatch(/RUNS_ON/);
    expect(res.errors![0].extensions!.missing).toEqual(['attribute ipAddress', expect.stringContaining('RUNS_ON')]);
    expect((await app.services.cis.get({ id: created.id })).lifecycle).toBe('BUILDING');
  });

  it('retires a CI as a state, keeps it readable, and frees its identification keys', async () => {
    const s = uniq();
    const host = `ret-${s.toLowerCase()}`;
    const created = await app.services.cis.create(ctxFor(), vm(`VM-RET-${s}`, host));
    const res = await app.gql(
      `mutation($i: RetireCIInput!) { retireCI(input: $i) { lifecycle retiredAt } }`,
      { i: { id: created.id, expectedVersion: 1, ticket: TEST_TICKET } },
      admin,
    );
    expect(res.data!.retireCI.lifecycle).toBe('RETIRED');
    expect((await app.services.cis.get({ id: created.id })).attributes.hostname).toBe(host);
    const again = await app.gql(CREATE, { input: vm(`VM-RET2-${s}`, host) }, admin);
    expect(again.errors).toBeUndefined();
  });

  it('reads a CI as of each moment of its history', async () => {
    const s = uniq();
    const created = await app.services.cis.create(
      ctxFor(),
      vm(`VM-ASOF-${s}`, `asof-${s.toLowerCase()}`, { cpuCores: 2 }),
    );
    const moments: [string, number][] = [];
    let version = 1;
    for (const cores of [4, 8, 16]) {
      await new Promise((r) => setTimeout(r, 5));
      moments.push([new Date().toISOString(), cores === 4 ? 2 : cores / 2]);
      await new Promise((r) => setTimeout(r, 5));
      version = (
        await app.services.cis.update(ctxFor(), {
          id: created.id,
          expectedVersion: version,
          attributes: { cpuCores: cores },
        })
      ).version;
    }
    for (const [at, cores] of moments) {
      const res = await app.gql(
        `query($id: ID!, $at: DateTimeISO) { ci(id: $id, asOf: $at) { attributes version } }`,
        { id: created.id, at },
        admin,
      );
      expect(res.data!.ci.attributes.cpuCores).toBe(cores);
    }
    const history = await app.gql(
      `query($id: ID!) { ci(id: $id) { history { action actor before after } } }`,
      { id: created.id },
      admin,
    );
    expect(history.data!.ci.history.map((h: { action: string }) => h.action)).toEqual([
      'CI_CREATE',
      'CI_UPDATE',
      'CI_UPDATE',
      'CI_UPDATE',
    ]);
  });
});

describe('lists', () => {
  it('filters by class including subclasses, owner and text, with an exact total and cursors', async () => {
    const s = uniq();
    const owner = await createTeam(app.services, `L${s}`);
    for (let i = 0; i < 5; i++) {
      await app.services.cis.create(ctxFor(), { ...vm(`VM-L${i}-${s}`, `l${i}-${s.toLowerCase()}`), owner });
    }
    await app.services.cis.create(ctxFor(), {
      class: 'PhysicalServer',
      code: `SRV-L-${s}`,
      name: 'host',
      owner,
      attributes: { serialNumber: `SNL-${s}`, vendorModel: 'x' },
    });
    const Q = `query($f: CIFilter, $after: String) { cis(filter: $f, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { code } } } }`;
    const codes: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await app.gql(Q, { f: { classes: ['Server'], owner }, after }, admin);
      expect(res.data.cis.totalCount).toBe(6);
      codes.push(...res.data.cis.edges.map((e: { node: { code: string } }) => e.node.code));
      if (!res.data.cis.pageInfo.hasNextPage) break;
      after = res.data.cis.pageInfo.endCursor;
    }
    expect(codes).toHaveLength(6);
    expect(new Set(codes).size).toBe(6);
    const text = await app.gql(
      `query($f: CIFilter) { cis(filter: $f) { totalCount } }`,
      { f: { text: `L3-${s}` } },
      admin,
    );
    expect(text.data!.cis.totalCount).toBe(1);
    const attr = await app.gql(
      `query($f: CIFilter) { cis(filter: $f) { totalCount } }`,
      { f: { owner, attributes: [{ name: 'hostname', equals: `l2-${s.toLowerCase()}` }] } },
      admin,
    );
    expect(attr.data!.cis.totalCount).toBe(1);
  });

  it('refuses a page size over the cap', async () => {
    const res = await app.gql(`{ cis(first: 501) { totalCount } }`, {}, admin);
    expectRefusal(res, 'VALIDATION_FAILED', 'first');
  });
});

describe('access control', () => {
  it('refuses a write without a token and writes nothing', async () => {
    const s = uniq();
    const res = await app.gql(CREATE, { input: vm(`VM-NOAUTH-${s}`, `noauth-${s.toLowerCase()}`) }, null);
    expectRefusal(res, 'UNAUTHENTICATED');
    expect(await exists(`VM-NOAUTH-${s}`)).toBe(false);
  });

  it('refuses a read without a token', async () => {
    const res = await app.gql(`{ cis { totalCount } }`, {}, null);
    expectRefusal(res, 'UNAUTHENTICATED');
    expect(res.data?.cis ?? null).toBeNull();
  });

  it('refuses a write by a read-only auditor and writes nothing', async () => {
    const s = uniq();
    const res = await app.gql(CREATE, { input: vm(`VM-AUD-${s}`, `aud-${s.toLowerCase()}`) }, tokenFor([Role.AUDITOR]));
    expectRefusal(res, 'FORBIDDEN');
    expect(await exists(`VM-AUD-${s}`)).toBe(false);
  });

  it('refuses a model edit by anyone but the configuration manager', async () => {
    const res = await app.gql(`mutation { removeClass(name: "Desktop") { version } }`, {}, admin);
    expectRefusal(res, 'FORBIDDEN');
  });

  it('refuses an over-deep query', async () => {
    const nest = (depth: number): string => (depth === 0 ? 'code' : `code relations { other { ${nest(depth - 1)} } }`);
    const ok = await app.gql(`query($code: String!) { ci(code: $code) { ${nest(3)} } }`, { code: team }, manager);
    expect(ok.errors).toBeUndefined();
    const res = await app.gql(`query($code: String!) { ci(code: $code) { ${nest(6)} } }`, { code: team }, manager);
    expectRefusal(res, 'QUERY_TOO_COMPLEX');
    expect(res.data ?? null).toBeNull();
  });

  it('refuses an over-costly query', async () => {
    const wide = Array.from(
      { length: 15 },
      (_, i) =>
        `a${i}: cis(first: 500) { edges { node { code attributes relations { type other { code relations { type other { code } } } } } } }`,
    ).join(' ');
    const res = await app.gql(`{ ${wide} }`, {}, manager);
    expectRefusal(res, 'QUERY_TOO_COMPLEX');
  });
});
