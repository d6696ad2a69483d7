// Change control (§7.1.3 c): manual writes need an active ticket whose scope holds the CI; a
// change's duties are separated (§7.2.5.2, §7.2.5.4); concurrent writers lose nothing.

import { Role } from '../../src/platform/auth/roles';
import { createTeam, ctxFor, startTestApp, TEST_TICKET, tokenFor, uniq, type TestApp } from '../support/harness';

let app: TestApp;
let team: string;
const initiator = tokenFor([Role.OPS_ENGINEER], 'user:li.initiator');
const assessor = tokenFor([Role.CHANGE_ASSESSOR], 'user:wang.assessor');
const implementer = tokenFor([Role.OPS_ENGINEER], 'user:zhao.implementer');
const reviewer = tokenFor([Role.OPS_MANAGER], 'user:chen.reviewer');

const OPEN = `mutation($i: OpenTicketInput!) { openTicket(input: $i) { id ref state active change { initiator assessor } } }`;
const MOVE = `mutation($t: String!, $s: TicketState!) { transitionTicket(ticket: $t, state: $s) { state active } }`;
const ROLES = `mutation($i: AssignChangeRolesInput!) { assignChangeRoles(input: $i) { change { assessor implementer reviewer } } }`;
const UPDATE = `mutation($i: UpdateCIInput!) { updateCI(input: $i) { version attributes } }`;

let vmCode: string;
let vmId: string;
let otherCode: string;

async function version(id: string): Promise<number> {
  return (await app.services.cis.get({ id })).version;
}

/** An approved change over the given CIs, taken through its states by the right people. */
async function approvedChange(scope: string[]): Promise<string> {
  const ref = `CHG-${uniq()}`;
  const opened = await app.gql(
    OPEN,
    {
      i: {
        kind: 'CHANGE',
        ref,
        title: '扩容虚拟机内存',
        scope,
        change: {
          category: 'INFRASTRUCTURE',
          subtype: 'VIRTUALIZATION',
          assessor: 'user:wang.assessor',
          implementer: 'user:zhao.implementer',
          reviewer: 'user:chen.reviewer',
        },
      },
    },
    initiator,
  );
  expect(opened.errors).toBeUndefined();
  for (const [state, token] of [
    ['ASSESSING', initiator],
    ['APPROVED', assessor],
  ] as const) {
    const moved = await app.gql(MOVE, { t: ref, s: state }, token);
    expect(moved.errors).toBeUndefined();
  }
  return ref;
}

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
  const s = uniq();
  vmCode = `VM-CC-${s}`;
  otherCode = `VM-CCO-${s}`;
  vmId = (
    await app.services.cis.create(ctxFor(), {
      class: 'VirtualMachine',
      code: vmCode,
      name: vmCode,
      owner: team,
      attributes: { hostname: `cc-${s.toLowerCase()}` },
    })
  ).id;
  await app.services.cis.create(ctxFor(), {
    class: 'VirtualMachine',
    code: otherCode,
    name: otherCode,
    owner: team,
    attributes: { hostname: `cco-${s.toLowerCase()}` },
  });
});

afterAll(async () => {
  await app.close();
});

describe('writes need a ticket that covers them', () => {
  it('refuses a write without a ticket, naming the CI, and writes nothing', async () => {
    const before = await version(vmId);
    const res = await app.gql(
      UPDATE,
      { i: { id: vmId, expectedVersion: before, attributes: { cpuCores: 2 } } },
      implementer,
    );
    expect(res.errors![0].extensions).toMatchObject({ code: 'CHANGE_REQUIRED', field: 'ticket', ci: vmCode });
    expect(res.errors![0].message).toContain(vmCode);
    expect(await version(vmId)).toBe(before);
  });

  it('refuses a ticket whose scope does not hold the CI', async () => {
    const ref = await approvedChange([otherCode]);
    const before = await version(vmId);
    const res = await app.gql(
      UPDATE,
      { i: { id: vmId, expectedVersion: before, attributes: { cpuCores: 2 }, ticket: ref } },
      implementer,
    );
    expect(res.errors![0].extensions).toMatchObject({ code: 'CHANGE_REQUIRED', ci: vmCode });
    expect(await version(vmId)).toBe(before);
  });

  it('refuses a change that is not yet approved, and one that is closed', async () => {
    const draft = `CHG-${uniq()}`;
    await app.gql(
      OPEN,
      {
        i: {
          kind: 'CHANGE',
          ref: draft,
          title: 'draft',
          scope: [vmCode],
          change: { category: 'INFRASTRUCTURE', subtype: 'OPERATING_SYSTEM' },
        },
      },
      initiator,
    );
    const before = await version(vmId);
    const res = await app.gql(
      UPDATE,
      { i: { id: vmId, expectedVersion: before, attributes: { cpuCores: 2 }, ticket: draft } },
      implementer,
    );
    expect(res.errors![0].extensions).toMatchObject({ code: 'CHANGE_REQUIRED', field: 'ticket' });
    expect(res.errors![0].message).toMatch(/DRAFT/);

    const closed = await approvedChange([vmCode]);
    for (const [state, token] of [
      ['IMPLEMENTING', implementer],
      ['CLOSED', reviewer],
    ] as const) {
      expect((await app.gql(MOVE, { t: closed, s: state }, token)).errors).toBeUndefined();
    }
    const late = await app.gql(
      UPDATE,
      { i: { id: vmId, expectedVersion: before, attributes: { cpuCores: 2 }, ticket: closed } },
      implementer,
    );
    expect(late.errors![0].extensions).toMatchObject({ code: 'CHANGE_REQUIRED' });
    expect(late.errors![0].message).toMatch(/CLOSED/);
    expect(await version(vmId)).toBe(before);
  });

  it('accepts the same write under an approved change that covers it, and its history names the ticket', async () => {
    const ref = await approvedChange([vmCode]);
    const before = await version(vmId);
    const res = await app.gql(
      UPDATE,
      { i: { id: vmId, expectedVersion: before, attributes: { memoryGb: 64 }, ticket: ref } },
      implementer,
    );
    expect(res.errors).toBeUndefined();
    const history = await app.gql(
      `query($id: ID!) { ci(id: $id) { history { action ticket actor } tickets { ref kind } } }`,
      { id: vmId },
      reviewer,
    );
    expect(history.data!.ci.history.at(-1)).toEqual({
      action: 'CI_UPDATE',
      ticket: ref,
      actor: 'user:zhao.implementer',
    });
    expect(history.data!.ci.tickets).toEqual(expect.arrayContaining([{ ref, kind: 'CHANGE' }]));
  });

  it('lets an open incident authorise the CIs in its scope', async () => {
    const ref = `INC-${uniq()}`;
    await app.gql(OPEN, { i: { kind: 'INCIDENT', ref, title: '理赔系统响应慢', scope: [otherCode] } }, initiator);
    const other = await app.services.cis.get({ code: otherCode });
    const res = await app.gql(
      UPDATE,
      { i: { code: otherCode, expectedVersion: other.version, attributes: { cpuCores: 16 }, ticket: ref } },
      implementer,
    );
    expect(res.errors).toBeUndefined();
  });

  it('puts CIs created under a ticket into its scope', async () => {
    const ref = `SR-${uniq()}`;
    await app.gql(OPEN, { i: { kind: 'SERVICE_REQUEST', ref, title: '新建虚拟机' } }, initiator);
    const s = uniq();
    const code = `VM-NEW-${s}`;
    const res = await app.gql(
      `mutation($i: CreateCIInput!) { createCI(input: $i) { id } }`,
      {
        i: {
          class: 'VirtualMachine',
          code,
          name: code,
          owner: team,
          attributes: { hostname: `new-${s.toLowerCase()}` },
          ticket: ref,
        },
      },
      implementer,
    );
    expect(res.errors).toBeUndefined();
    const ticket = await app.gql(`query($r: String!) { ticket(ref: $r) { scope { code } } }`, { r: ref }, reviewer);
    expect(ticket.data!.ticket.scope).toEqual([{ code }]);
  });

  it('needs one end of a new relationship in the scope', async () => {
    const s = uniq();
    const host = `SRV-CC-${s}`;
    await app.services.cis.create(ctxFor(), {
      class: 'PhysicalServer',
      code: host,
      name: host,
      owner: team,
      attributes: { serialNumber: `SNCC-${s}`, vendorModel: 'x' },
    });
    const unrelated = await approvedChange([otherCode]);
    const RELATE = `mutation($i: RelationInput!) { createRelation(input: $i) { id } }`;
    const refused = await app.gql(
      RELATE,
      { i: { type: 'RUNS_ON', source: vmCode, target: host, ticket: unrelated } },
      implementer,
    );
    expect(refused.errors![0].extensions).toMatchObject({ code: 'CHANGE_REQUIRED' });
    const covering = await approvedChange([vmCode]);
    const ok = await app.gql(
      RELATE,
      { i: { type: 'RUNS_ON', source: vmCode, target: host, ticket: covering } },
      implementer,
    );
    expect(ok.errors).toBeUndefined();
  });
});

describe('separation of duties', () => {
  it('refuses an assessor who is the initiator', async () => {
    const res = await app.gql(
      OPEN,
      {
        i: {
          kind: 'CHANGE',
          ref: `CHG-${uniq()}`,
          title: 'x',
          change: { category: 'APPLICATION', subtype: 'APPLICATION', assessor: 'user:li.initiator' },
        },
      },
      initiator,
    );
    expect(res.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'assessor' });
  });

  it('refuses a reviewer who is the implementer', async () => {
    const ref = `CHG-${uniq()}`;
    await app.gql(
      OPEN,
      { i: { kind: 'CHANGE', ref, title: 'x', change: { category: 'APPLICATION', subtype: 'APPLICATION' } } },
      initiator,
    );
    const res = await app.gql(
      ROLES,
      { i: { ticket: ref, implementer: 'user:zhao', reviewer: 'user:zhao' } },
      initiator,
    );
    expect(res.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'reviewer' });
    const ticket = await app.gql(
      `query($r: String!) { ticket(ref: $r) { change { implementer reviewer } } }`,
      { r: ref },
      reviewer,
    );
    expect(ticket.data!.ticket.change).toEqual({ implementer: null, reviewer: null });
  });

  it('refuses approval by the initiator and closure by the implementer', async () => {
    const ref = `CHG-${uniq()}`;
    await app.gql(
      OPEN,
      {
        i: {
          kind: 'CHANGE',
          ref,
          title: 'x',
          change: {
            category: 'INFRASTRUCTURE',
            subtype: 'NETWORK',
            assessor: 'user:wang.assessor',
            implementer: 'user:zhao.implementer',
            reviewer: 'user:chen.reviewer',
          },
        },
      },
      initiator,
    );
    await app.gql(MOVE, { t: ref, s: 'ASSESSING' }, initiator);
    expect((await app.gql(MOVE, { t: ref, s: 'APPROVED' }, initiator)).errors![0].extensions!.code).toBe('FORBIDDEN');
    await app.gql(MOVE, { t: ref, s: 'APPROVED' }, assessor);
    await app.gql(MOVE, { t: ref, s: 'IMPLEMENTING' }, implementer);
    expect((await app.gql(MOVE, { t: ref, s: 'CLOSED' }, implementer)).errors![0].extensions!.code).toBe('FORBIDDEN');
    expect((await app.gql(MOVE, { t: ref, s: 'CLOSED' }, reviewer)).data!.transitionTicket).toEqual({
      state: 'CLOSED',
      active: false,
    });
  });
});

describe('concurrent writers', () => {
  it('50 concurrent updates naming the same version: one succeeds, 49 get CONFLICT, history holds the one', async () => {
    const s = uniq();
    const created = await app.services.cis.create(ctxFor(), {
      class: 'VirtualMachine',
      code: `VM-RACE-${s}`,
      name: 'race',
      owner: team,
      attributes: { hostname: `race-${s.toLowerCase()}` },
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.gql(
          UPDATE,
          { i: { id: created.id, expectedVersion: 1, attributes: { cpuCores: i + 1 }, ticket: TEST_TICKET } },
          implementer,
        ),
      ),
    );
    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0].extensions?.code === 'CONFLICT')).toHaveLength(49);
    const after = await app.services.cis.get({ id: created.id });
    expect(after.version).toBe(2);
    expect(after.attributes.cpuCores).toBe(winners[0].data!.updateCI.attributes.cpuCores);
    const history = await app.services.cis.history(created.id);
    expect(history.map((h) => h.action)).toEqual(['CI_CREATE', 'CI_UPDATE']);
  });
});
