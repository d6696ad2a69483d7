// The people of a change and the walk of its workflow through the API, each step by the person the
// standard gives it to (§7.2.5): tests that need a change in some state get it the way users would.

import { Role } from '../../src/platform/auth/roles';
import { tokenFor, uniq, type TestApp } from './harness';

/** Who does what on the changes the helpers raise. */
export const PEOPLE = {
  initiator: { sub: 'user:li.initiator', roles: [Role.OPS_ENGINEER] },
  assessor: { sub: 'user:wang.assessor', roles: [Role.CHANGE_ASSESSOR] },
  implementer: { sub: 'user:zhao.implementer', roles: [Role.OPS_ENGINEER] },
  reviewer: { sub: 'user:chen.reviewer', roles: [Role.OPS_MANAGER] },
  approver: { sub: 'user:zhou.approver', roles: [Role.OPS_MANAGER] },
  expert: { sub: 'user:qian.expert', roles: [Role.EXPERT_PANEL] },
  head: { sub: 'user:he.head', roles: [Role.ORG_HEAD] },
  closer: { sub: 'user:sun.closer', roles: [Role.OPS_MANAGER] },
  itsm: { sub: 'svc:itsm', roles: [Role.ITSM] },
} as const;

export type Person = keyof typeof PEOPLE;

export function tokenOf(person: Person): string {
  return tokenFor([...PEOPLE[person].roles], PEOPLE[person].sub);
}

export const OPEN = `mutation($i: OpenTicketInput!) { openTicket(input: $i) { id ref state active } }`;
export const MOVE = `mutation($t: String!, $s: TicketState!) { transitionTicket(ticket: $t, state: $s) { state active } }`;
export const APPROVE = `mutation($t: String!, $c: String) { approveTicket(ticket: $t, comment: $c) { state active approvals { stage actor } } }`;
export const ASSESS = `mutation($t: String!) { assessChange(ticket: $t) { grade rules { id } } }`;
export const SCOPE = `mutation($i: TicketScopeInput!) { changeTicketScope(input: $i) { ref } }`;

const DAY = 86_400_000;

/** A planned window a month ahead: clear of every lead time, in no freeze of the default calendar. */
export function futureWindow(daysAhead = 30) {
  const start = Date.now() + daysAhead * DAY;
  return {
    plannedStart: new Date(start).toISOString(),
    plannedEnd: new Date(start + 2 * 3_600_000).toISOString(),
    rollbackEnd: new Date(start + 3 * 3_600_000).toISOString(),
  };
}

/** Raises a change (DRAFT) as the initiator, with the helpers' people named and a window a month ahead. */
export async function raiseChange(
  app: TestApp,
  scope: string[],
  change: Record<string, unknown> = {},
  ref = `CHG-${uniq()}`,
): Promise<string> {
  const res = await app.gql(
    OPEN,
    {
      i: {
        kind: 'CHANGE',
        ref,
        title: `变更 ${ref}`,
        scope,
        change: {
          category: 'INFRASTRUCTURE',
          subtype: 'VIRTUALIZATION',
          complexity: 'LOW',
          ...futureWindow(),
          assessor: PEOPLE.assessor.sub,
          implementer: PEOPLE.implementer.sub,
          reviewer: PEOPLE.reviewer.sub,
          ...change,
        },
      },
    },
    tokenOf('initiator'),
  );
  if (res.errors) throw new Error(`raising ${ref}: ${JSON.stringify(res.errors)}`);
  return ref;
}

async function step(app: TestApp, query: string, variables: Record<string, unknown>, person: Person) {
  const res = await app.gql(query, variables, tokenOf(person));
  if (res.errors) throw new Error(`${person} on ${JSON.stringify(variables)}: ${JSON.stringify(res.errors)}`);
  return res.data!;
}

const ORDER = ['DRAFT', 'ASSESSING', 'APPROVED', 'IMPLEMENTING', 'REVIEW', 'CLOSED'] as const;
export type WalkTarget = (typeof ORDER)[number];

/**
 * Takes a change from DRAFT to `target` the way the workflow wants it: submitted by its initiator,
 * assessed and submitted by its assessor, approved by an operations manager (and the expert panel
 * for a major change), started and finished by its implementer, closed by another operations manager.
 */
export async function walkChange(app: TestApp, ref: string, target: WalkTarget): Promise<void> {
  const upTo = ORDER.indexOf(target);
  if (upTo >= 1) await step(app, MOVE, { t: ref, s: 'ASSESSING' }, 'initiator');
  if (upTo >= 2) {
    const { assessChange } = await step(app, ASSESS, { t: ref }, 'assessor');
    if (assessChange.grade === 'STANDARD') {
      await step(app, MOVE, { t: ref, s: 'APPROVED' }, 'assessor');
    } else {
      await step(app, MOVE, { t: ref, s: 'APPROVAL' }, 'assessor');
      await approveFully(app, ref);
    }
  }
  if (upTo >= 3) await step(app, MOVE, { t: ref, s: 'IMPLEMENTING' }, 'implementer');
  if (upTo >= 4) await step(app, MOVE, { t: ref, s: 'REVIEW' }, 'implementer');
  if (upTo >= 5) await step(app, MOVE, { t: ref, s: 'CLOSED' }, 'closer');
}

/** Approves a change in APPROVAL: an operations manager, then the expert panel when its grade is MAJOR. */
export async function approveFully(app: TestApp, ref: string): Promise<void> {
  const { approveTicket } = await step(app, APPROVE, { t: ref }, 'approver');
  if (approveTicket.state === 'APPROVAL') await step(app, APPROVE, { t: ref }, 'expert');
}

/** Finishes a change in implementation: its implementer hands it to review, another operations manager closes it. */
export async function finishChange(app: TestApp, ref: string): Promise<void> {
  await step(app, MOVE, { t: ref, s: 'REVIEW' }, 'implementer');
  await step(app, MOVE, { t: ref, s: 'CLOSED' }, 'closer');
}

/** A change over `scope` in implementation: the state in which its implementer may write under it. */
export async function implementingChange(
  app: TestApp,
  scope: string[],
  change: Record<string, unknown> = {},
): Promise<string> {
  const ref = await raiseChange(app, scope, change);
  await walkChange(app, ref, 'IMPLEMENTING');
  return ref;
}

/** A work ticket (incident, release, request, audit) opened by the ITSM platform: open at once. */
export async function itsmTicket(app: TestApp, kind: string, scope: string[], extra: Record<string, unknown> = {}) {
  const ref = `${kind.slice(0, 3)}-${uniq()}`;
  await step(app, OPEN, { i: { kind, ref, title: `${kind} ${ref}`, scope, ...extra } }, 'itsm');
  return ref;
}
