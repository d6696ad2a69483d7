// The ticket workflow per kind (§7.2.5 for changes, §7.1.4.2.1 for the rest): which state may follow
// which, and who may make each move. Pure: the service hands in the ticket, the person and the facts
// it read in the write's transaction (who wrote under the ticket), and applies what this allows.

import { ForbiddenError, ValidationError } from '../platform/errors';
import { Role } from '../platform/auth/roles';
import type { Ticket, TicketKind, TicketState } from './ticket.types';

/** Who makes a move: a person named on the ticket, a holder of a role, or the ITSM platform. */
/** APPROVER: a holder of the role that approves a work ticket of this kind (WORK_APPROVER). */
export type Mover = 'INITIATOR' | 'ASSESSOR' | 'IMPLEMENTER' | 'REVIEWER' | 'WORKER' | 'APPROVER' | Role;

export interface Move {
  from: TicketState;
  to: TicketState;
  /** Any of these may make it; an empty list means only a dedicated mutation (approveTicket) may. */
  by: readonly Mover[];
  /** The clause behind the move, for refusals and the README's table. */
  clause: string;
  /** What the move means, in a few words. */
  meaning: string;
}

const CHANGE_MOVES: readonly Move[] = [
  {
    from: 'DRAFT',
    to: 'ASSESSING',
    by: ['INITIATOR', Role.ITSM],
    clause: '§7.2.5.1 i',
    meaning: 'submit for assessment (non-emergency)',
  },
  {
    from: 'DRAFT',
    to: 'APPROVAL',
    by: ['INITIATOR', Role.ITSM],
    clause: '§7.2.5.1 i',
    meaning: 'submit an emergency change straight to approval, with its justification',
  },
  {
    from: 'DRAFT',
    to: 'CANCELLED',
    by: ['INITIATOR', Role.OPS_MANAGER, Role.ITSM],
    clause: '§7.2.5.4 a',
    meaning: 'cancel',
  },
  {
    from: 'ASSESSING',
    to: 'APPROVAL',
    by: ['ASSESSOR'],
    clause: '§7.2.5.2',
    meaning: 'assessment done: to approval (normal and major changes)',
  },
  {
    from: 'ASSESSING',
    to: 'APPROVED',
    by: ['ASSESSOR'],
    clause: '§7.2.5.2, §7.2.5.3',
    meaning: 'a standard change, pre-authorised once assessed',
  },
  {
    from: 'ASSESSING',
    to: 'DRAFT',
    by: ['ASSESSOR', 'INITIATOR'],
    clause: '§7.2.5.2 a',
    meaning: 'return to the initiator for rework',
  },
  {
    from: 'ASSESSING',
    to: 'CANCELLED',
    by: ['INITIATOR', Role.OPS_MANAGER, Role.ITSM],
    clause: '§7.2.5.4 a',
    meaning: 'cancel',
  },
  {
    from: 'APPROVAL',
    to: 'APPROVED',
    by: [],
    clause: '§7.2.5.3',
    meaning: 'approve: approveTicket, by the approvers the grade requires',
  },
  {
    from: 'APPROVAL',
    to: 'ASSESSING',
    by: ['INITIATOR', 'ASSESSOR', Role.OPS_MANAGER],
    clause: '§7.2.5.4 a',
    meaning: 'back to assessment (the plan or scope changes); approvals given lapse',
  },
  {
    from: 'APPROVAL',
    to: 'CANCELLED',
    by: ['INITIATOR', Role.OPS_MANAGER, Role.EXPERT_PANEL, Role.ORG_HEAD, Role.ITSM],
    clause: '§7.2.5.3',
    meaning: 'reject or cancel',
  },
  {
    from: 'APPROVED',
    to: 'IMPLEMENTING',
    by: ['IMPLEMENTER'],
    clause: '§7.2.5.4',
    meaning: 'start implementation (the named implementer)',
  },
  {
    from: 'APPROVED',
    to: 'ASSESSING',
    by: ['INITIATOR', Role.OPS_MANAGER],
    clause: '§7.2.5.4 a',
    meaning: 'back to assessment (the plan or scope changes); approvals given lapse',
  },
  {
    from: 'APPROVED',
    to: 'CANCELLED',
    by: ['INITIATOR', 'IMPLEMENTER', Role.OPS_MANAGER, Role.ITSM],
    clause: '§7.2.5.4 a',
    meaning: 'cancel before implementation',
  },
  {
    from: 'IMPLEMENTING',
    to: 'REVIEW',
    by: ['IMPLEMENTER', 'REVIEWER'],
    clause: '§7.2.5.4 f',
    meaning: 'implementation and verification done: to review and close',
  },
  {
    from: 'REVIEW',
    to: 'CLOSED',
    by: [Role.OPS_MANAGER],
    clause: '§7.2.5.5',
    meaning: 'close as successful (an operations manager who wrote nothing under it)',
  },
  { from: 'REVIEW', to: 'FAILED', by: [Role.OPS_MANAGER], clause: '§7.2.5.5', meaning: 'close as failed' },
  {
    from: 'REVIEW',
    to: 'ROLLED_BACK',
    by: [Role.OPS_MANAGER],
    clause: '§7.2.5.4 b',
    meaning: 'close as rolled back (a failed change)',
  },
];

/** The role that approves a work ticket a person opened, by kind. */
export const WORK_APPROVER: Record<Exclude<TicketKind, 'CHANGE'>, Role> = {
  INCIDENT: Role.OPS_MANAGER,
  RELEASE: Role.OPS_MANAGER,
  SERVICE_REQUEST: Role.OPS_MANAGER,
  AUDIT: Role.CONFIG_MANAGER,
  INITIALIZATION: Role.CONFIG_MANAGER,
};

const WORK_MOVES: readonly Move[] = [
  {
    from: 'PENDING_APPROVAL',
    to: 'OPEN',
    by: [],
    clause: '§7.1.3 c',
    meaning: 'approve: approveTicket, by another person with the approving role',
  },
  {
    from: 'PENDING_APPROVAL',
    to: 'CANCELLED',
    by: ['INITIATOR', 'APPROVER', Role.ITSM],
    clause: '§7.1.3 c',
    meaning: 'reject or withdraw',
  },
  { from: 'OPEN', to: 'IN_PROGRESS', by: ['WORKER'], clause: '§7.1.4.2.1', meaning: 'work starts' },
  { from: 'OPEN', to: 'CLOSED', by: ['INITIATOR', 'APPROVER', Role.ITSM], clause: '§7.1.4.2.1', meaning: 'done' },
  {
    from: 'OPEN',
    to: 'CANCELLED',
    by: ['INITIATOR', 'APPROVER', Role.ITSM],
    clause: '§7.1.4.2.1',
    meaning: 'withdrawn',
  },
  {
    from: 'IN_PROGRESS',
    to: 'CLOSED',
    by: ['INITIATOR', 'APPROVER', Role.ITSM],
    clause: '§7.1.4.2.1',
    meaning: 'done',
  },
  {
    from: 'IN_PROGRESS',
    to: 'CANCELLED',
    by: ['INITIATOR', 'APPROVER', Role.ITSM],
    clause: '§7.1.4.2.1',
    meaning: 'withdrawn',
  },
];

export function movesOf(kind: TicketKind): readonly Move[] {
  return kind === 'CHANGE' ? CHANGE_MOVES : WORK_MOVES;
}

/** The person acting, as the workflow sees them; `roles` undefined: the service itself or an operator's tool. */
export interface Person {
  id: string;
  roles?: readonly Role[];
}

/** What the service read about the ticket for this decision. */
export interface WorkflowFacts {
  /** Everyone who wrote CIs or relationships under the ticket (from the operation log). */
  writers: readonly string[];
}

/** Whether this person fits one of the movers. */
function fits(ticket: Ticket, person: Person, mover: Mover): boolean {
  const c = ticket.change;
  switch (mover) {
    case 'INITIATOR':
      return person.id === (c?.initiator ?? ticket.createdBy);
    case 'ASSESSOR':
      return !!c?.assessor && person.id === c.assessor;
    case 'IMPLEMENTER':
      return !!c?.implementer && person.id === c.implementer;
    case 'REVIEWER':
      return !!c?.reviewer && person.id === c.reviewer;
    case 'WORKER':
      return true;
    case 'APPROVER':
      return ticket.kind !== 'CHANGE' && !!person.roles?.includes(WORK_APPROVER[ticket.kind]);
    default:
      return !!person.roles?.includes(mover);
  }
}

function describe(ticket: Ticket, mover: Mover): string {
  const c = ticket.change;
  switch (mover) {
    case 'INITIATOR':
      return `the initiator (${c?.initiator ?? ticket.createdBy})`;
    case 'ASSESSOR':
      return `the assessor (${c?.assessor ?? 'none named yet'})`;
    case 'IMPLEMENTER':
      return `the implementer (${c?.implementer ?? 'none named yet'})`;
    case 'REVIEWER':
      return `the reviewer (${c?.reviewer ?? 'none named yet'})`;
    case 'WORKER':
      return 'anyone working the ticket';
    case 'APPROVER':
      return ticket.kind === 'CHANGE' ? 'an approver' : `a ${WORK_APPROVER[ticket.kind]}`;
    default:
      return `a ${mover}`;
  }
}

/**
 * Checks a move of `ticket` to `to` by `person`: the move exists for the kind, the person is among its
 * movers, and the separation of duties holds. Throws naming the rule, the clause and what to do instead.
 */
export function checkMove(ticket: Ticket, to: TicketState, person: Person, facts: WorkflowFacts): Move {
  const moves = movesOf(ticket.kind);
  const move = moves.find((m) => m.from === ticket.state && m.to === to);
  if (!move) {
    const allowed = moves.filter((m) => m.from === ticket.state).map((m) => m.to);
    throw new ValidationError(
      `ticket ${ticket.ref} cannot go from ${ticket.state} to ${to}; allowed: ${allowed.join(', ') || 'none'}`,
      { field: 'state', rule: 'WORKFLOW_ORDER', clause: ticket.kind === 'CHANGE' ? '§7.2.5' : '§7.1.4.2.1' },
    );
  }
  if (move.by.length === 0) {
    throw new ValidationError(
      `ticket ${ticket.ref} goes from ${move.from} to ${move.to} only by approval: call approveTicket (${move.clause})`,
      { field: 'state', rule: 'APPROVAL_REQUIRED', clause: move.clause },
    );
  }
  // The service itself and operators' tools (no roles) are trusted with the order, not with the people.
  if (person.roles !== undefined && !move.by.some((m) => fits(ticket, person, m))) {
    throw new ForbiddenError(
      `${person.id} may not move ticket ${ticket.ref} from ${move.from} to ${move.to} (${move.meaning}); that is for ${move.by
        .map((m) => describe(ticket, m))
        .join(' or ')} (${move.clause})`,
      { field: 'state', rule: 'WORKFLOW_ACTOR', clause: move.clause },
    );
  }
  const c = ticket.change;
  if (c) checkChangeMove(ticket, move, person, facts);
  return move;
}

function checkChangeMove(ticket: Ticket, move: Move, person: Person, facts: WorkflowFacts): void {
  const c = ticket.change!;
  const refuse = (message: string, rule: string, clause: string, Err = ValidationError) => {
    throw new Err(message, { field: 'state', rule, clause });
  };
  if (move.to === 'ASSESSING' && move.from === 'DRAFT') {
    if (c.emergency)
      refuse(
        `change ${ticket.ref} is an emergency change: it goes straight to approval (DRAFT → APPROVAL) (§7.2.5.1 i)`,
        'EMERGENCY_TO_APPROVAL',
        '§7.2.5.1 i',
      );
    if (!c.assessor)
      refuse(
        `change ${ticket.ref} needs an assessor before assessment: name one with assignChangeRoles (§7.2.5.2)`,
        'ASSESSOR_REQUIRED',
        '§7.2.5.2',
      );
  }
  if (move.from === 'DRAFT' && move.to === 'APPROVAL') {
    if (!c.emergency)
      refuse(
        `change ${ticket.ref} is not an emergency change: submit it for assessment (DRAFT → ASSESSING) (§7.2.5.1 i)`,
        'ASSESSMENT_FIRST',
        '§7.2.5.1 i',
      );
    if (!c.emergencyReason)
      refuse(
        `emergency change ${ticket.ref} needs its justification (change.emergencyReason) before approval (§7.2.4.2.5)`,
        'EMERGENCY_REASON_REQUIRED',
        '§7.2.4.2.5',
      );
  }
  if (move.to === 'IMPLEMENTING' && !c.implementer)
    refuse(
      `change ${ticket.ref} needs an implementer before implementation: name one with assignChangeRoles (§7.2.5.4)`,
      'IMPLEMENTER_REQUIRED',
      '§7.2.5.4',
    );
  if (move.to === 'REVIEW') {
    if (!c.reviewer)
      refuse(
        `change ${ticket.ref} needs a reviewer (复核) before review: name one with assignChangeRoles (§7.2.5.4)`,
        'REVIEWER_REQUIRED',
        '§7.2.5.4',
      );
    if (facts.writers.includes(c.reviewer!))
      refuse(
        `${c.reviewer} wrote under change ${ticket.ref} and may not review it: name another reviewer (§7.2.5.4)`,
        'REVIEWER_NOT_IMPLEMENTER',
        '§7.2.5.4',
        ForbiddenError,
      );
  }
  if (move.from === 'REVIEW') {
    const implementers = new Set([...facts.writers, ...(c.implementer ? [c.implementer] : [])]);
    if (implementers.has(person.id))
      refuse(
        `${person.id} implemented change ${ticket.ref} and may not review and close it: an operations manager who wrote nothing under it closes it (§7.2.5.5)`,
        'CLOSER_NOT_IMPLEMENTER',
        '§7.2.5.5',
        ForbiddenError,
      );
  }
}

/** The states a ticket may move to next by transitionTicket, for the console and the README. */
export function nextStates(kind: TicketKind, from: string): TicketState[] {
  return movesOf(kind)
    .filter((m) => m.from === from && m.by.length > 0)
    .map((m) => m.to);
}
