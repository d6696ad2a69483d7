// What a ticket is linked to (§7.2.5.1 a, §7.1.4.1 e): other tickets of every kind, the incidents
// recorded by recordIncident and the problems behind them; and a CI's page with its incidents and problems.

import { Role } from '../../src/platform/auth/roles';
import { TICKET_KINDS } from '../../src/tickets/ticket.types';
import { createTeam, ctxFor, startTestApp, tokenFor, uniq, type TestApp } from '../support/harness';
import { OPEN, raiseChange, tokenOf } from '../support/changes';

let app: TestApp;
let vm: string;
const reader = tokenFor([Role.AUDITOR], 'user:reader');
const LINKED = `query($r: String!) { ticket(ref: $r) { ref kind linked { ref kind } incidents { ref } problems { ref } } }`;

beforeAll(async () => {
  app = await startTestApp();
  const team = await createTeam(app.services);
  vm = `VM-LNK-${uniq()}`;
  await app.services.cis.create(ctxFor(), {
    class: 'VirtualMachine',
    code: vm,
    name: vm,
    owner: team,
    attributes: { hostname: vm.toLowerCase() },
  });
});

afterAll(async () => {
  await app.close();
});

it('Ticket.linked answers on every ticket kind, both ways', async () => {
  const refs: Record<string, string> = {};
  for (const kind of TICKET_KINDS) {
    if (kind === 'CHANGE') continue;
    refs[kind] = `${kind.slice(0, 4)}-LNK-${uniq()}`;
    const res = await app.gql(OPEN, { i: { kind, ref: refs[kind], title: kind, scope: [vm] } }, tokenOf('itsm'));
    expect(res.errors).toBeUndefined();
  }
  refs.CHANGE = await raiseChange(app, [vm], {}, `CHG-LNK-${uniq()}`);
  // The change links every other kind; each of them sees the change.
  const linker = `REL-LNK2-${uniq()}`;
  const opened = await app.gql(
    OPEN,
    { i: { kind: 'RELEASE', ref: linker, title: 'links', linked: Object.values(refs) } },
    tokenOf('itsm'),
  );
  expect(opened.errors).toBeUndefined();
  for (const kind of TICKET_KINDS) {
    const res = await app.gql(LINKED, { r: refs[kind] }, reader);
    expect({ kind, errors: res.errors }).toEqual({ kind, errors: undefined });
    expect(res.data!.ticket.linked).toEqual([{ ref: linker, kind: 'RELEASE' }]);
  }
  const all = await app.gql(LINKED, { r: linker }, reader);
  expect(all.data!.ticket.linked.map((t: { kind: string }) => t.kind).sort()).toEqual([...TICKET_KINDS].sort());
});

it('a change links the incident recordIncident recorded and the problem behind it; the CI page lists both', async () => {
  const s = uniq();
  const incident = `INC-LNK-${s}`;
  const recorded = await app.gql(
    `mutation($i: RecordIncidentInput!) { recordIncident(input: $i) { ref } }`,
    { i: { ref: incident, title: '虚拟机宕机', classification: 'OTHER', symptoms: [vm] } },
    tokenFor([Role.OPS_ENGINEER], 'user:responder'),
  );
  expect(recorded.errors).toBeUndefined();
  const problem = `PRB-LNK-${s}`;
  const opened = await app.gql(
    `mutation($i: ProblemInput!) { openProblem(input: $i) { ref } }`,
    { i: { ref: problem, title: '内存泄漏', rootCause: vm, incidents: [incident] } },
    tokenFor([Role.PROBLEM_MANAGER], 'user:problem'),
  );
  expect(opened.errors).toBeUndefined();

  const change = await raiseChange(app, [vm], {}, `CHG-FIX-${s}`);
  const res = await app.gql(LINKED, { r: change }, reader);
  expect(res.data!.ticket).toMatchObject({ incidents: [], problems: [] });
  const fix = `CHG-FIX2-${s}`;
  const linked = await app.gql(
    OPEN,
    {
      i: {
        kind: 'CHANGE',
        ref: fix,
        title: '修复',
        scope: [vm],
        linked: [incident, problem, change],
        change: { category: 'INFRASTRUCTURE', subtype: 'VIRTUALIZATION' },
      },
    },
    tokenOf('initiator'),
  );
  expect(linked.errors).toBeUndefined();
  const view = await app.gql(LINKED, { r: fix }, reader);
  expect(view.data!.ticket).toMatchObject({
    linked: [{ ref: change, kind: 'CHANGE' }],
    incidents: [{ ref: incident }],
    problems: [{ ref: problem }],
  });
  // The incident sees the change among its linked tickets.
  const inc = await app.gql(
    `query($r: String!) { incident(ref: $r) { linkedTickets { ref } } }`,
    { r: incident },
    reader,
  );
  expect(inc.errors).toBeUndefined();
  expect(inc.data!.incident.linkedTickets.map((t: { ref: string }) => t.ref)).toContain(fix);

  const page = await app.gql(
    `query($c: String!) { ci(code: $c) { tickets { ref } incidents { ref } problems { ref } } }`,
    { c: vm },
    reader,
  );
  expect(page.errors).toBeUndefined();
  expect(page.data!.ci.incidents).toEqual([{ ref: incident }]);
  expect(page.data!.ci.problems).toEqual([{ ref: problem }]);
  expect(page.data!.ci.tickets.map((t: { ref: string }) => t.ref)).toEqual(expect.arrayContaining([fix, change]));
});

it('a link to nothing is refused naming the entry, and nothing is opened', async () => {
  const ref = `INC-NOLINK-${uniq()}`;
  const res = await app.gql(OPEN, { i: { kind: 'INCIDENT', ref, title: 'x', linked: ['NOPE-404'] } }, tokenOf('itsm'));
  expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'linked[0]' });
  expect((await app.gql(LINKED, { r: ref }, reader)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
});
