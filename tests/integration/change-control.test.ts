// Change control that holds (§7.1.3 c, §7.2.5): every write cites an active ticket whose scope holds
// the CI, written by a person the ticket's workflow lets write; the workflow of each kind is walked by
// the people the standard gives each step to, and every way around it is refused with its rule,
// writing nothing. Concurrent writers lose nothing.

import { Role } from '../../src/platform/auth/roles';
import { loadDemoEstate, DEMO_TICKET } from '../../src/cli/demo-estate';
import { PROJECT_ROOT } from '../../src/platform/config';
import { createTeam, ctxFor, startTestApp, TEST_TICKET, tokenFor, uniq, type TestApp } from '../support/harness';
import {
  APPROVE,
  ASSESS,
  futureWindow,
  implementingChange,
  itsmTicket,
  MOVE,
  OPEN,
  PEOPLE,
  raiseChange,
  SCOPE,
  tokenOf,
  walkChange,
} from '../support/changes';

let app: TestApp;
let team: string;
const engineer = tokenFor([Role.OPS_ENGINEER], 'user:ma.engineer');
const manager = tokenFor([Role.OPS_MANAGER], 'user:zhou.approver');
const configAdmin = tokenFor([Role.CONFIG_ADMIN], 'user:sun.cmdb');
const auditor = tokenFor([Role.AUDITOR], 'user:audit');

const UPDATE = `mutation($i: UpdateCIInput!) { updateCI(input: $i) { version name owner attributes } }`;
const TICKET = `query($r: String!) { ticket(ref: $r) { state active scope { code } approvals { round stage actor }
  implementedBy nextStates change { approvalRound emergencyReason } } }`;

let vmCode: string;
let otherCode: string;
let fwCode: string;

async function version(code: string): Promise<number> {
  return (await app.services.cis.get({ code })).version;
}

async function ticket(ref: string) {
  const res = await app.gql(TICKET, { r: ref }, auditor);
  expect(res.errors).toBeUndefined();
  return res.data!.ticket;
}

/** Expects a refusal with this code and rule; returns the message. */
function refused(
  res: { errors?: { message: string; extensions?: Record<string, unknown> }[] },
  code: string,
  rule: string,
) {
  expect(res.errors?.[0]?.extensions).toMatchObject({ code, rule });
  expect(res.errors![0].extensions!.clause).toMatch(/^§/);
  return res.errors![0].message;
}

function update(code: string, v: number, patch: Record<string, unknown>, ref: string, token: string) {
  return app.gql(UPDATE, { i: { code, expectedVersion: v, ...patch, ticket: ref } }, token);
}

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
  const s = uniq();
  vmCode = `VM-CC-${s}`;
  otherCode = `VM-CCO-${s}`;
  fwCode = `FW-CC-${s}`;
  for (const code of [vmCode, otherCode]) {
    await app.services.cis.create(ctxFor(), {
      class: 'VirtualMachine',
      code,
      name: code,
      owner: team,
      attributes: { hostname: code.toLowerCase() },
    });
  }
  await app.services.cis.create(ctxFor(), {
    class: 'Firewall',
    code: fwCode,
    name: fwCode,
    owner: team,
    attributes: { serialNumber: `SN${s}`, vendorModel: 'Hillstone' },
  });
});

afterAll(async () => {
  await app.close();
});

describe('writes need a ticket that covers them', () => {
  it('refuses a write without a ticket, naming the CI, and writes nothing', async () => {
    const before = await version(vmCode);
    const res = await app.gql(
      UPDATE,
      { i: { code: vmCode, expectedVersion: before, attributes: { cpuCores: 2 } } },
      tokenOf('implementer'),
    );
    expect(res.errors![0].extensions).toMatchObject({ code: 'CHANGE_REQUIRED', field: 'ticket', ci: vmCode });
    expect(res.errors![0].message).toContain(vmCode);
    expect(await version(vmCode)).toBe(before);
  });

  it('refuses a ticket whose scope does not hold the CI', async () => {
    const ref = await implementingChange(app, [otherCode]);
    const before = await version(vmCode);
    const res = await update(vmCode, before, { attributes: { cpuCores: 2 } }, ref, tokenOf('implementer'));
    refused(res, 'CHANGE_REQUIRED', 'OUTSIDE_SCOPE');
    expect(await version(vmCode)).toBe(before);
  });

  it('accepts the write under a change in implementation, by its implementer; history names the ticket', async () => {
    const ref = await implementingChange(app, [vmCode]);
    const before = await version(vmCode);
    const res = await update(vmCode, before, { attributes: { memoryGb: 64 } }, ref, tokenOf('implementer'));
    expect(res.errors).toBeUndefined();
    const history = await app.gql(
      `query($c: String!) { ci(code: $c) { history { action ticket actor } tickets { ref kind } } }`,
      { c: vmCode },
      tokenFor([Role.SECURITY_MANAGER]),
    );
    expect(history.data!.ci.history.at(-1)).toEqual({
      action: 'CI_UPDATE',
      ticket: ref,
      actor: PEOPLE.implementer.sub,
    });
    expect(history.data!.ci.tickets).toEqual(expect.arrayContaining([{ ref, kind: 'CHANGE' }]));
    expect((await ticket(ref)).implementedBy).toEqual([PEOPLE.implementer.sub]);
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
    const RELATE = `mutation($i: RelationInput!) { createRelation(input: $i) { id } }`;
    const unrelated = await implementingChange(app, [otherCode]);
    const res = await app.gql(
      RELATE,
      { i: { type: 'RUNS_ON', source: vmCode, target: host, ticket: unrelated } },
      tokenOf('implementer'),
    );
    refused(res, 'CHANGE_REQUIRED', 'OUTSIDE_SCOPE');
    const covering = await implementingChange(app, [vmCode]);
    const ok = await app.gql(
      RELATE,
      { i: { type: 'RUNS_ON', source: vmCode, target: host, ticket: covering } },
      tokenOf('implementer'),
    );
    expect(ok.errors).toBeUndefined();
  });
});

describe('who opens what (§7.1.3 c, §7.1.4.2.1)', () => {
  it('a service request a person opens authorises nothing until another person with the approving role approves it', async () => {
    const ref = `SR-${uniq()}`;
    const opened = await app.gql(
      OPEN,
      { i: { kind: 'SERVICE_REQUEST', ref, title: '变更联系人', scope: [vmCode] } },
      engineer,
    );
    expect(opened.data!.openTicket).toMatchObject({ state: 'PENDING_APPROVAL', active: false });
    const before = await version(vmCode);
    refused(await update(vmCode, before, { owner: team }, ref, engineer), 'CHANGE_REQUIRED', 'TICKET_NOT_ACTIVE');
    // Not by the opener, not by a role that does not approve requests.
    refused(await app.gql(APPROVE, { t: ref }, engineer), 'FORBIDDEN', 'APPROVER_NOT_OPENER');
    refused(
      await app.gql(APPROVE, { t: ref }, tokenFor([Role.OPS_ENGINEER], 'user:other')),
      'FORBIDDEN',
      'APPROVER_ROLE',
    );
    const approved = await app.gql(APPROVE, { t: ref, c: '同意' }, manager);
    expect(approved.data!.approveTicket).toMatchObject({
      state: 'OPEN',
      active: true,
      approvals: [{ stage: 'OPS_MANAGER', actor: 'user:zhou.approver' }],
    });
  });

  it('a service request fulfils management attributes only: renaming the core switch under one is refused', async () => {
    const ref = await itsmTicket(app, 'SERVICE_REQUEST', [vmCode]);
    expect((await ticket(ref)).state).toBe('OPEN');
    const before = await version(vmCode);
    const rename = await update(vmCode, before, { name: '改名' }, ref, engineer);
    expect(refused(rename, 'CHANGE_REQUIRED', 'REQUEST_MANAGEMENT_ONLY')).toContain('name');
    const cpu = await update(vmCode, before, { attributes: { cpuCores: 32 } }, ref, engineer);
    refused(cpu, 'CHANGE_REQUIRED', 'REQUEST_MANAGEMENT_ONLY');
    const lifecycle = await app.gql(
      `mutation($i: ChangeLifecycleInput!) { changeLifecycle(input: $i) { lifecycle } }`,
      { i: { code: vmCode, expectedVersion: before, state: 'BUILDING', ticket: ref } },
      engineer,
    );
    refused(lifecycle, 'CHANGE_REQUIRED', 'REQUEST_MANAGEMENT_ONLY');
    expect(await version(vmCode)).toBe(before);
    // The owner is a management attribute (运维责任人, §7.1.4.2.1 e).
    const otherTeam = await createTeam(app.services);
    const owner = await update(vmCode, before, { owner: otherTeam }, ref, engineer);
    expect(owner.errors).toBeUndefined();
    expect(owner.data!.updateCI.owner).toBe(otherTeam);
  });

  it('a service request linked to a change in implementation that holds the CI fulfils more, by its implementer', async () => {
    const change = await implementingChange(app, [otherCode]);
    const ref = await itsmTicket(app, 'SERVICE_REQUEST', [otherCode], { linked: [change] });
    const before = await version(otherCode);
    refused(
      await update(otherCode, before, { attributes: { cpuCores: 12 } }, ref, engineer),
      'CHANGE_REQUIRED',
      'REQUEST_MANAGEMENT_ONLY',
    );
    const res = await update(otherCode, before, { attributes: { cpuCores: 12 } }, ref, tokenOf('implementer'));
    expect(res.errors).toBeUndefined();
  });

  it('an open incident (from the ITSM platform) authorises the CIs in its scope', async () => {
    const ref = await itsmTicket(app, 'INCIDENT', [otherCode]);
    const res = await update(otherCode, await version(otherCode), { attributes: { cpuCores: 16 } }, ref, engineer);
    expect(res.errors).toBeUndefined();
  });

  it('CIs created under a release join its scope', async () => {
    const ref = await itsmTicket(app, 'RELEASE', [vmCode]);
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
      engineer,
    );
    expect(res.errors).toBeUndefined();
    expect((await ticket(ref)).scope.map((c: { code: string }) => c.code).sort()).toEqual([code, vmCode].sort());
  });

  it('the ITSM platform records a change for the person who raised it there; a person cannot raise one for another', async () => {
    const ref = `CHG-ITSM-${uniq()}`;
    const change = {
      category: 'INFRASTRUCTURE',
      subtype: 'NETWORK',
      initiator: PEOPLE.initiator.sub,
      ...futureWindow(),
    };
    const forged = await app.gql(OPEN, { i: { kind: 'CHANGE', ref, title: '代建', change } }, engineer);
    refused(forged, 'FORBIDDEN', 'INITIATOR_IS_CALLER');
    const recorded = await app.gql(OPEN, { i: { kind: 'CHANGE', ref, title: '代建', change } }, tokenOf('itsm'));
    expect(recorded.data!.openTicket).toMatchObject({ state: 'DRAFT', active: false });
    // The initiator is the person named, who submits it; the platform itself is not.
    refused(await app.gql(MOVE, { t: ref, s: 'ASSESSING' }, engineer), 'FORBIDDEN', 'WORKFLOW_ACTOR');
    const ticketView = await app.gql(
      `query($r: String!) { ticket(ref: $r) { createdBy change { initiator } } }`,
      { r: ref },
      auditor,
    );
    expect(ticketView.data!.ticket).toEqual({
      createdBy: PEOPLE.itsm.sub,
      change: { initiator: PEOPLE.initiator.sub },
    });
  });

  it('writes under an initialisation or an audit are the configuration roles’ alone', async () => {
    const before = await version(vmCode);
    refused(
      await update(vmCode, before, { attributes: { cpuCores: 3 } }, TEST_TICKET, engineer),
      'CHANGE_REQUIRED',
      'CONFIG_ROLE_ONLY',
    );
    expect(await version(vmCode)).toBe(before);
    expect(
      (await update(vmCode, before, { attributes: { cpuCores: 3 } }, TEST_TICKET, configAdmin)).errors,
    ).toBeUndefined();
  });

  it('an open ticket’s scope is widened only by its approving role', async () => {
    const ref = await itsmTicket(app, 'INCIDENT', [otherCode]);
    refused(await app.gql(SCOPE, { i: { ticket: ref, add: [fwCode] } }, engineer), 'FORBIDDEN', 'SCOPE_APPROVED');
    expect((await ticket(ref)).scope).toEqual([{ code: otherCode }]);
    expect((await app.gql(SCOPE, { i: { ticket: ref, add: [fwCode] } }, manager)).errors).toBeUndefined();
  });
});

describe('the demo estate’s initialisation ends with its load', () => {
  it('CMDB-INIT-DEMO is closed and authorises no edit of BS-CLAIMS', async () => {
    const [row] = await app.executor.query('MATCH (n:CI {code: "BS-CLAIMS"}) RETURN count(n) AS n');
    if (row.n === 0) await loadDemoEstate(app.services, PROJECT_ROOT, { onlyIfEmpty: false });
    expect((await ticket(DEMO_TICKET)).state).toBe('CLOSED');
    const before = await version('BS-CLAIMS');
    const res = await update('BS-CLAIMS', before, { name: '改名' }, DEMO_TICKET, configAdmin);
    expect(refused(res, 'CHANGE_REQUIRED', 'TICKET_NOT_ACTIVE')).toContain('CLOSED');
    expect(await version('BS-CLAIMS')).toBe(before);
  });
});

describe('the change workflow (§7.2.5)', () => {
  it('a normal change walked by the right people, end to end', async () => {
    const ref = await raiseChange(app, [vmCode], { complexity: 'HIGH' });
    const walk: [string, string, string][] = [];
    const move = async (state: string, who: Parameters<typeof tokenOf>[0]) => {
      const res = await app.gql(MOVE, { t: ref, s: state }, tokenOf(who));
      expect(res.errors).toBeUndefined();
      walk.push([state, who, res.data!.transitionTicket.state]);
    };
    await move('ASSESSING', 'initiator');
    const assessed = await app.gql(ASSESS, { t: ref }, tokenOf('assessor'));
    expect(assessed.data!.assessChange.grade).toBe('NORMAL');
    await move('APPROVAL', 'assessor');
    expect((await ticket(ref)).change.approvalRound).toBe(1);
    const approved = await app.gql(APPROVE, { t: ref }, tokenOf('approver'));
    expect(approved.data!.approveTicket.state).toBe('APPROVED');
    await move('IMPLEMENTING', 'implementer');
    expect(
      (await update(vmCode, await version(vmCode), { attributes: { cpuCores: 6 } }, ref, tokenOf('implementer')))
        .errors,
    ).toBeUndefined();
    await move('REVIEW', 'reviewer');
    await move('CLOSED', 'closer');
    const done = await ticket(ref);
    expect(done).toMatchObject({
      state: 'CLOSED',
      active: false,
      implementedBy: [PEOPLE.implementer.sub],
      nextStates: [],
    });
    expect(done.approvals).toEqual([{ round: 1, stage: 'OPS_MANAGER', actor: PEOPLE.approver.sub }]);
    // Every step is in the log under the change.
    const log = await app.gql(
      `query($t: String!) { operationLog(filter: { ticket: $t }, first: 50) { edges { node { action } } } }`,
      { t: ref },
      auditor,
    );
    expect(log.data!.operationLog.edges.map((e: { node: { action: string } }) => e.node.action)).toEqual([
      'TICKET_OPEN',
      'TICKET_STATE',
      'CHANGE_ASSESS',
      'TICKET_STATE',
      'TICKET_APPROVE',
      'TICKET_STATE',
      'TICKET_STATE',
      'CI_UPDATE',
      'TICKET_STATE',
      'TICKET_STATE',
    ]);
  });

  it('a major change needs an operations manager and then the expert panel, two people', async () => {
    const ref = await raiseChange(app, [fwCode], { subtype: 'DATA_CENTER_MOVE', complexity: 'HIGH' });
    await app.gql(MOVE, { t: ref, s: 'ASSESSING' }, tokenOf('initiator'));
    expect((await app.gql(ASSESS, { t: ref }, tokenOf('assessor'))).data!.assessChange.grade).toBe('MAJOR');
    await app.gql(MOVE, { t: ref, s: 'APPROVAL' }, tokenOf('assessor'));
    refused(await app.gql(APPROVE, { t: ref }, tokenOf('expert')), 'FORBIDDEN', 'APPROVER_ROLE');
    expect((await app.gql(APPROVE, { t: ref }, tokenOf('approver'))).data!.approveTicket.state).toBe('APPROVAL');
    refused(await app.gql(APPROVE, { t: ref }, tokenOf('approver')), 'FORBIDDEN', 'APPROVERS_DISTINCT');
    expect((await app.gql(APPROVE, { t: ref }, tokenOf('expert'))).data!.approveTicket.state).toBe('APPROVED');
  });

  it('a standard change is pre-authorised once its assessor has assessed it', async () => {
    const ref = await raiseChange(app, [otherCode]);
    await walkChange(app, ref, 'APPROVED');
    const t = await ticket(ref);
    expect(t.state).toBe('APPROVED');
    expect(t.approvals).toEqual([]);
  });

  it('an emergency change goes straight to approval by the head of the organisation, with its justification', async () => {
    const ref = await raiseChange(app, [otherCode], { emergency: true, complexity: 'HIGH', ...futureWindow(0) });
    refused(
      await app.gql(MOVE, { t: ref, s: 'ASSESSING' }, tokenOf('initiator')),
      'VALIDATION_FAILED',
      'EMERGENCY_TO_APPROVAL',
    );
    refused(
      await app.gql(MOVE, { t: ref, s: 'APPROVAL' }, tokenOf('initiator')),
      'VALIDATION_FAILED',
      'EMERGENCY_REASON_REQUIRED',
    );
    const justified = await raiseChange(app, [otherCode], {
      emergency: true,
      emergencyReason: '核心交易中断,需立即扩容',
      ...futureWindow(0),
    });
    expect((await app.gql(MOVE, { t: justified, s: 'APPROVAL' }, tokenOf('initiator'))).errors).toBeUndefined();
    refused(await app.gql(APPROVE, { t: justified }, tokenOf('approver')), 'FORBIDDEN', 'APPROVER_ROLE');
    expect((await app.gql(APPROVE, { t: justified }, tokenOf('head'))).data!.approveTicket.state).toBe('APPROVED');
  });
});

describe('the bypasses, each refused with its rule and nothing written', () => {
  it('a change cannot be approved that was never assessed', async () => {
    const ref = await raiseChange(app, [vmCode], { complexity: 'HIGH' });
    await app.gql(MOVE, { t: ref, s: 'ASSESSING' }, tokenOf('initiator'));
    refused(await app.gql(APPROVE, { t: ref }, tokenOf('approver')), 'VALIDATION_FAILED', 'WORKFLOW_ORDER');
    refused(
      await app.gql(MOVE, { t: ref, s: 'APPROVED' }, tokenOf('assessor')),
      'VALIDATION_FAILED',
      'ASSESSMENT_REQUIRED',
    );
    refused(
      await app.gql(MOVE, { t: ref, s: 'APPROVAL' }, tokenOf('assessor')),
      'VALIDATION_FAILED',
      'ASSESSMENT_REQUIRED',
    );
    expect((await ticket(ref)).state).toBe('ASSESSING');
  });

  it('the initiator may not assess, approve or skip approval of their own change', async () => {
    const ref = await raiseChange(app, [vmCode], { complexity: 'HIGH' });
    await app.gql(MOVE, { t: ref, s: 'ASSESSING' }, tokenOf('initiator'));
    refused(await app.gql(ASSESS, { t: ref }, tokenOf('initiator')), 'FORBIDDEN', 'ASSESSOR_ONLY');
    refused(await app.gql(MOVE, { t: ref, s: 'APPROVAL' }, tokenOf('initiator')), 'FORBIDDEN', 'WORKFLOW_ACTOR');
    await app.gql(ASSESS, { t: ref }, tokenOf('assessor'));
    await app.gql(MOVE, { t: ref, s: 'APPROVAL' }, tokenOf('assessor'));
    refused(
      await app.gql(MOVE, { t: ref, s: 'APPROVED' }, tokenOf('approver')),
      'VALIDATION_FAILED',
      'APPROVAL_REQUIRED',
    );
    const initiatorManager = tokenFor([Role.OPS_MANAGER], PEOPLE.initiator.sub);
    refused(await app.gql(APPROVE, { t: ref }, initiatorManager), 'FORBIDDEN', 'APPROVER_NOT_INITIATOR');
    expect((await ticket(ref)).state).toBe('APPROVAL');
  });

  it('someone not named on the change may not implement it, write under it, or close it', async () => {
    const ref = await raiseChange(app, [vmCode], { complexity: 'HIGH' });
    await walkChange(app, ref, 'APPROVED');
    refused(await app.gql(MOVE, { t: ref, s: 'IMPLEMENTING' }, engineer), 'FORBIDDEN', 'WORKFLOW_ACTOR');
    await app.gql(MOVE, { t: ref, s: 'IMPLEMENTING' }, tokenOf('implementer'));
    const before = await version(vmCode);
    refused(
      await update(vmCode, before, { attributes: { cpuCores: 7 } }, ref, engineer),
      'CHANGE_REQUIRED',
      'IMPLEMENTER_ONLY',
    );
    expect(await version(vmCode)).toBe(before);
    expect(
      (await update(vmCode, before, { attributes: { cpuCores: 7 } }, ref, tokenOf('implementer'))).errors,
    ).toBeUndefined();
    refused(await app.gql(MOVE, { t: ref, s: 'CLOSED' }, tokenOf('closer')), 'VALIDATION_FAILED', 'WORKFLOW_ORDER');
    await app.gql(MOVE, { t: ref, s: 'REVIEW' }, tokenOf('implementer'));
    refused(await app.gql(MOVE, { t: ref, s: 'CLOSED' }, engineer), 'FORBIDDEN', 'WORKFLOW_ACTOR');
    // The implementer holding the managers' role still may not close what they implemented.
    const implementerManager = tokenFor([Role.OPS_MANAGER], PEOPLE.implementer.sub);
    refused(await app.gql(MOVE, { t: ref, s: 'CLOSED' }, implementerManager), 'FORBIDDEN', 'CLOSER_NOT_IMPLEMENTER');
    expect((await ticket(ref)).state).toBe('REVIEW');
  });

  it('whoever wrote under a change never reviews it, even after the implementer is renamed', async () => {
    const ref = await implementingChange(app, [otherCode], { complexity: 'HIGH' });
    await update(otherCode, await version(otherCode), { attributes: { cpuCores: 9 } }, ref, tokenOf('implementer'));
    const ROLES = `mutation($i: AssignChangeRolesInput!) { assignChangeRoles(input: $i) { change { implementer reviewer } } }`;
    const res = await app.gql(
      ROLES,
      { i: { ticket: ref, implementer: 'user:new.impl', reviewer: PEOPLE.implementer.sub } },
      manager,
    );
    refused(res, 'FORBIDDEN', 'REVIEWER_NOT_IMPLEMENTER');
    expect(
      (await app.gql(ROLES, { i: { ticket: ref, reviewer: 'user:x' } }, engineer)).errors![0].extensions!.rule,
    ).toBe('WORKFLOW_ACTOR');
  });

  it('the scope of an approved or implementing change is frozen: back to assessment, assessed again', async () => {
    const ref = await raiseChange(app, [vmCode], { complexity: 'HIGH' });
    await walkChange(app, ref, 'APPROVED');
    refused(
      await app.gql(SCOPE, { i: { ticket: ref, add: [fwCode] } }, tokenOf('initiator')),
      'VALIDATION_FAILED',
      'SCOPE_FROZEN',
    );
    await app.gql(MOVE, { t: ref, s: 'IMPLEMENTING' }, tokenOf('implementer'));
    refused(
      await app.gql(SCOPE, { i: { ticket: ref, add: [fwCode] } }, tokenOf('implementer')),
      'VALIDATION_FAILED',
      'SCOPE_FROZEN',
    );
    expect((await ticket(ref)).scope).toEqual([{ code: vmCode }]);
    const before = await version(fwCode);
    refused(
      await update(fwCode, before, { attributes: { policyCount: 9 } }, ref, tokenOf('implementer')),
      'CHANGE_REQUIRED',
      'OUTSIDE_SCOPE',
    );
    expect(await version(fwCode)).toBe(before);

    const again = await raiseChange(app, [vmCode], { complexity: 'HIGH' });
    await walkChange(app, again, 'APPROVED');
    expect((await app.gql(MOVE, { t: again, s: 'ASSESSING' }, tokenOf('initiator'))).errors).toBeUndefined();
    expect(
      (await app.gql(SCOPE, { i: { ticket: again, add: [fwCode] } }, tokenOf('initiator'))).errors,
    ).toBeUndefined();
    refused(
      await app.gql(MOVE, { t: again, s: 'APPROVAL' }, tokenOf('assessor')),
      'VALIDATION_FAILED',
      'ASSESSMENT_STALE',
    );
    await app.gql(ASSESS, { t: again }, tokenOf('assessor'));
    await app.gql(MOVE, { t: again, s: 'APPROVAL' }, tokenOf('assessor'));
    const t = await ticket(again);
    expect(t.change.approvalRound).toBe(2);
    expect(t.state).toBe('APPROVAL');
  });

  it('approval inside a freeze window, or short of the lead time, is refused unless emergency', async () => {
    const POLICY = `{ changePolicy { version policy } }`;
    const SET = `mutation($p: JSONObject!, $v: Int!) { setChangePolicy(policy: $p, expectedVersion: $v) { version } }`;
    const cm = tokenFor([Role.CONFIG_MANAGER], 'user:cmdb.manager');
    const current = (await app.gql(POLICY, {}, cm)).data!.changePolicy;
    const freezeStart = Date.now() + 60 * 86_400_000;
    const frozen = {
      ...current.policy,
      calendar: {
        ...current.policy.calendar,
        windows: [
          ...current.policy.calendar.windows,
          { name: `年终封网 ${uniq()}`, kind: 'FREEZE', start: freezeStart, end: freezeStart + 86_400_000 },
        ],
      },
    };
    const saved = await app.gql(SET, { p: frozen, v: current.version }, cm);
    expect(saved.errors).toBeUndefined();
    try {
      const inFreeze = await raiseChange(app, [vmCode], {
        complexity: 'HIGH',
        plannedStart: new Date(freezeStart + 3_600_000).toISOString(),
        plannedEnd: new Date(freezeStart + 7_200_000).toISOString(),
        rollbackEnd: null,
      });
      await walkChange(app, inFreeze, 'ASSESSING');
      await app.gql(ASSESS, { t: inFreeze }, tokenOf('assessor'));
      await app.gql(MOVE, { t: inFreeze, s: 'APPROVAL' }, tokenOf('assessor'));
      refused(await app.gql(APPROVE, { t: inFreeze }, tokenOf('approver')), 'VALIDATION_FAILED', 'FREEZE_WINDOW');
      expect((await ticket(inFreeze)).state).toBe('APPROVAL');

      const tooSoon = await raiseChange(app, [vmCode], { complexity: 'HIGH', ...futureWindow(1) });
      await walkChange(app, tooSoon, 'ASSESSING');
      await app.gql(ASSESS, { t: tooSoon }, tokenOf('assessor'));
      await app.gql(MOVE, { t: tooSoon, s: 'APPROVAL' }, tokenOf('assessor'));
      refused(await app.gql(APPROVE, { t: tooSoon }, tokenOf('approver')), 'VALIDATION_FAILED', 'LEAD_TIME');
      expect((await ticket(tooSoon)).approvals).toEqual([]);

      const emergency = await raiseChange(app, [vmCode], {
        emergency: true,
        emergencyReason: '封网期间的紧急修复',
        plannedStart: new Date(freezeStart + 3_600_000).toISOString(),
        plannedEnd: new Date(freezeStart + 7_200_000).toISOString(),
        rollbackEnd: null,
      });
      await app.gql(MOVE, { t: emergency, s: 'APPROVAL' }, tokenOf('initiator'));
      expect((await app.gql(APPROVE, { t: emergency }, tokenOf('head'))).data!.approveTicket.state).toBe('APPROVED');
    } finally {
      const latest = (await app.gql(POLICY, {}, cm)).data!.changePolicy;
      await app.gql(SET, { p: current.policy, v: latest.version }, cm);
    }
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
          configAdmin,
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
