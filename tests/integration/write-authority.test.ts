// Every mutation in the schema, read from the schema itself: those that write configuration under a
// ticket refuse, and write nothing, under a ticket in the wrong state, outside its scope, or by a person
// the workflow excludes (§7.1.3 c, §7.2.5.4). A new mutation fails this test until it is classified.

import { GraphQLInputObjectType, GraphQLObjectType, getNamedType, type GraphQLField } from 'graphql';
import { Role } from '../../src/platform/auth/roles';
import { buildAppSchema } from '../../src/schema';
import { createTeam, ctxFor, startTestApp, tokenFor, uniq, type TestApp } from '../support/harness';
import { implementingChange, raiseChange, tokenOf, walkChange } from '../support/changes';

/** Mutations that write configuration under the ticket they cite (their input's `ticket`, or the audit as ticket). */
const TICKET_AUTHORISED = [
  'createCI',
  'updateCI',
  'changeLifecycle',
  'retireCI',
  'createRelation',
  'endRelation',
  'importCIs',
  'correctAuditItem',
  'retireMissingAuditItem',
] as const;

/** Every other mutation, and why no ticket authorises it. */
const NOT_TICKET_AUTHORISED: Record<string, string> = {
  upsertClass: 'model edit: EDIT_MODEL, versioned model',
  removeClass: 'model edit',
  upsertRelationType: 'model edit',
  removeRelationType: 'model edit',
  setLifecycle: 'model edit',
  openTicket: 'the ticket itself: its workflow starts unapproved',
  approveTicket: 'the workflow: approvers checked by grade and person',
  transitionTicket: 'the workflow: each move by its people',
  assignChangeRoles: 'the workflow: by the initiator or an operations manager',
  changeTicketScope: 'the workflow: frozen from approval on',
  reportDiscovery: 'discovery writes only discovery-owned attributes, no ticket (§7.1.4.1 b)',
  setChangePolicy: 'policy document: EDIT_MODEL, versioned',
  assessChange: 'the assessment record: by the named assessor',
  createAudit: 'opens its own AUDIT ticket: OPERATE',
  recordAuditResults: 'findings, not configuration',
  completeAudit: 'closes the audit: OPERATE',
  runAuditJob: 'a job run: OPERATE',
  setIncidentPolicy: 'policy document',
  recordIncident: 'incident records, not configuration',
  updateIncident: 'incident records',
  confirmRecovery: 'incident records',
  resolveIncident: 'incident records',
  mergeIncidents: 'incident records',
  openProblem: 'problem records',
  updateProblem: 'problem records',
  captureBaseline: 'an immutable capture of configuration, writes none',
};

let app: TestApp;
let team: string;
let vm: string;
let host: string;
let outsider: string;
const engineer = tokenFor([Role.OPS_ENGINEER], 'user:ma.engineer');

interface Attempt {
  query: string;
  variables: (ticket: string, version: number) => Record<string, unknown>;
  /** False for a creation: the new CI joins the scope of the ticket it is created under, so it cannot lie outside it. */
  hasScope?: boolean;
}

/** One configuration write per mutation, against the fixture VM (and its host), citing `ticket`. */
const ATTEMPTS: Record<(typeof TICKET_AUTHORISED)[number], Attempt | null> = {
  createCI: {
    hasScope: false,
    query: `mutation($i: CreateCIInput!) { createCI(input: $i) { id } }`,
    variables: (ticket) => {
      const s = uniq();
      return {
        i: {
          class: 'VirtualMachine',
          code: `VM-WA-NEW-${s}`,
          name: 'new',
          owner: team,
          attributes: { hostname: `wa-new-${s.toLowerCase()}` },
          relations: [{ type: 'RUNS_ON', target: host }],
          ticket,
        },
      };
    },
  },
  updateCI: {
    query: `mutation($i: UpdateCIInput!) { updateCI(input: $i) { version } }`,
    variables: (ticket, v) => ({ i: { code: vm, expectedVersion: v, attributes: { cpuCores: 99 }, ticket } }),
  },
  changeLifecycle: {
    query: `mutation($i: ChangeLifecycleInput!) { changeLifecycle(input: $i) { version } }`,
    variables: (ticket, v) => ({ i: { code: vm, expectedVersion: v, state: 'BUILDING', ticket } }),
  },
  retireCI: {
    query: `mutation($i: RetireCIInput!) { retireCI(input: $i) { version } }`,
    variables: (ticket, v) => ({ i: { code: vm, expectedVersion: v, ticket } }),
  },
  createRelation: {
    query: `mutation($i: RelationInput!) { createRelation(input: $i) { id } }`,
    variables: (ticket) => ({ i: { type: 'DEPENDS_ON', source: vm, target: outsider, ticket } }),
  },
  endRelation: {
    query: `mutation($i: RelationInput!) { endRelation(input: $i) { until } }`,
    variables: (ticket) => ({ i: { type: 'RUNS_ON', source: vm, target: host, ticket } }),
  },
  importCIs: {
    query: `mutation($i: ImportInput!) { importCIs(input: $i) { rejected rows { action reason field } } }`,
    variables: (ticket) => ({
      i: {
        format: 'JSON',
        data: JSON.stringify({
          cis: [
            {
              class: 'VirtualMachine',
              code: vm,
              name: vm,
              owner: team,
              attributes: { hostname: vm.toLowerCase(), cpuCores: 77 },
            },
          ],
        }),
        dryRun: false,
        ticket,
      },
    }),
  },
  // These cite the audit as their ticket: tested below with an audit of their own.
  correctAuditItem: null,
  retireMissingAuditItem: null,
};

/** What a refusal leaves: the fixture's version, its relationships, and the CIs of the test's team. */
async function snapshot() {
  const [row] = await app.executor.query(
    `MATCH (v:CI {code: $vm}) OPTIONAL MATCH (v)-[r]-(:CI) WITH v, count(r) AS rels
     MATCH (n:CI {owner: $team}) RETURN v.version AS version, v.lifecycle AS lifecycle, rels, count(n) AS cis`,
    { vm, team },
  );
  return row;
}

function expectRefusal(name: string, res: { data?: any; errors?: any[] }, rule: string) {
  if (name === 'importCIs') {
    expect(res.errors).toBeUndefined();
    expect(res.data.importCIs.rejected).toBe(1);
    expect(res.data.importCIs.rows[0]).toMatchObject({ action: 'REJECTED', field: 'ticket' });
    return;
  }
  expect({ name, error: res.errors?.[0]?.extensions }).toMatchObject({
    name,
    error: { code: 'CHANGE_REQUIRED', field: 'ticket', rule },
  });
}

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
  const s = uniq();
  vm = `VM-WA-${s}`;
  host = `SRV-WA-${s}`;
  outsider = `DB-WA-${s}`;
  await app.services.cis.createBatch(ctxFor(), {
    cis: [
      {
        class: 'VirtualMachine',
        code: vm,
        name: vm,
        owner: team,
        lifecycle: 'PLANNED',
        attributes: { hostname: vm.toLowerCase() },
      },
      {
        class: 'PhysicalServer',
        code: host,
        name: host,
        owner: team,
        lifecycle: 'PLANNED',
        attributes: { serialNumber: `SN${s}`, vendorModel: 'x' },
      },
      {
        class: 'Database',
        code: outsider,
        name: outsider,
        owner: team,
        lifecycle: 'PLANNED',
        attributes: { engine: 'MYSQL' },
      },
    ],
    relations: [{ type: 'RUNS_ON', source: vm, target: host }],
  });
});

afterAll(async () => {
  await app.close();
});

it('classifies every mutation in the schema, and finds every one whose input cites an authorising ticket', async () => {
  const schema = await buildAppSchema();
  const mutations = Object.values((schema.getMutationType() as GraphQLObjectType).getFields());
  expect(mutations.map((m) => m.name).sort()).toEqual(
    [...TICKET_AUTHORISED, ...Object.keys(NOT_TICKET_AUTHORISED)].sort(),
  );
  const citesTicket = (m: GraphQLField<unknown, unknown>) =>
    m.args.some((a) => {
      const type = getNamedType(a.type);
      return (
        type instanceof GraphQLInputObjectType &&
        /^The ticket that authorises/.test(type.getFields().ticket?.description ?? '')
      );
    });
  const found = mutations.filter(citesTicket).map((m) => m.name);
  expect(found.length).toBeGreaterThanOrEqual(7);
  for (const name of found) expect(TICKET_AUTHORISED).toContain(name);
});

const WRITES = TICKET_AUTHORISED.filter((name) => ATTEMPTS[name] !== null);

/** Runs an attempt and checks that, whatever it answered, nothing was written. */
async function tryWith(name: (typeof WRITES)[number], ticket: string, token: string) {
  const attempt = ATTEMPTS[name]!;
  const before = await snapshot();
  const res = await app.gql(attempt.query, attempt.variables(ticket, before.version as number), token);
  expect(await snapshot()).toEqual(before);
  return res;
}

describe.each(WRITES)('%s', (name) => {
  it('is refused under a change that is approved but not yet implementing, even by its implementer', async () => {
    const ref = await raiseChange(app, [vm, host]);
    await walkChange(app, ref, 'APPROVED');
    expectRefusal(name, await tryWith(name, ref, tokenOf('implementer')), 'TICKET_NOT_ACTIVE');
  });

  it('is refused under the right change by a person who is not its implementer (the reviewer included)', async () => {
    const ref = await implementingChange(app, [vm, host]);
    expectRefusal(name, await tryWith(name, ref, engineer), 'IMPLEMENTER_ONLY');
    expectRefusal(name, await tryWith(name, ref, tokenOf('reviewer')), 'IMPLEMENTER_ONLY');
  });
});

describe.each(WRITES.filter((name) => ATTEMPTS[name]!.hasScope !== false))('%s outside the scope', (name) => {
  it('is refused under a change in implementation whose scope does not hold the CI', async () => {
    // Its scope: the test's team, a CI none of the attempts touches.
    const ref = await implementingChange(app, [team]);
    expectRefusal(name, await tryWith(name, ref, tokenOf('implementer')), 'OUTSIDE_SCOPE');
  });
});

it('createCI has no scope to be outside of: the new CI joins the scope of the change it is created under', async () => {
  const ref = await implementingChange(app, [team]);
  const variables = ATTEMPTS.createCI!.variables(ref, 1) as { i: { code: string } };
  const res = await app.gql(ATTEMPTS.createCI!.query, variables, tokenOf('implementer'));
  expect(res.errors).toBeUndefined();
  const scope = await app.gql(`query($r: String!) { ticket(ref: $r) { scope { code } } }`, { r: ref }, engineer);
  expect(scope.data!.ticket.scope.map((c: { code: string }) => c.code).sort()).toEqual([team, variables.i.code].sort());
});

describe('corrections under an audit', () => {
  it('are the configuration roles’ alone: an operations engineer may not correct under an audit', async () => {
    const cm = tokenFor([Role.CONFIG_MANAGER], 'user:cmdb.manager');
    const created = await app.gql(
      `mutation($i: CreateAuditInput!) { createAudit(input: $i) { ref } }`,
      { i: { title: 'write authority', classes: [{ class: 'VirtualMachine' }], cis: [vm], minimum: 1, ratio: 1 } },
      cm,
    );
    expect(created.errors).toBeUndefined();
    const audit = created.data!.createAudit.ref;
    const recorded = await app.gql(
      `mutation($a: String!, $r: [AuditResultInput!]!) { recordAuditResults(audit: $a, results: $r) { status } }`,
      {
        a: audit,
        r: [
          {
            code: vm,
            status: 'MISMATCHED',
            cause: 'UNRECORDED_CHANGE',
            fields: [{ field: 'attributes.cpuCores', observed: '4' }],
          },
        ],
      },
      cm,
    );
    expect(recorded.errors).toBeUndefined();
    const before = await snapshot();
    const correct = `mutation($i: CorrectAuditItemInput!) { correctAuditItem(input: $i) { status } }`;
    const variables = { i: { audit, code: vm, expectedVersion: before.version, attributes: { cpuCores: 4 } } };
    const res = await app.gql(correct, variables, engineer);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'CHANGE_REQUIRED', rule: 'CONFIG_ROLE_ONLY' });
    const retire = await app.gql(
      `mutation($a: String!, $c: String!, $v: Int!) { retireMissingAuditItem(audit: $a, code: $c, expectedVersion: $v) { status } }`,
      { a: audit, c: vm, v: before.version },
      engineer,
    );
    expect(retire.errors?.[0]?.extensions).toMatchObject({ code: 'CHANGE_REQUIRED', rule: 'CONFIG_ROLE_ONLY' });
    expect(await snapshot()).toEqual(before);
    const admin = await app.gql(correct, variables, tokenFor([Role.CONFIG_ADMIN], 'user:sun.cmdb'));
    expect(admin.errors).toBeUndefined();
  });
});
