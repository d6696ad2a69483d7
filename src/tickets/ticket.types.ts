// The tickets that authorise configuration changes (§7.1.4.2.1): changes, releases, incidents,
// service requests, audits and the CMDB's initialisation. Plain data and the state machines.

export const TICKET_KINDS = ['CHANGE', 'RELEASE', 'INCIDENT', 'SERVICE_REQUEST', 'AUDIT', 'INITIALIZATION'] as const;
export type TicketKind = (typeof TICKET_KINDS)[number];

/**
 * Change states (§7.2.5): draft → assessing → approval → approved → implementing → review → closed /
 * failed / rolled back, or cancelled. Emergency changes go from draft straight to approval; standard
 * changes from assessment straight to approved. `ticket.workflow.ts` says who moves each.
 */
export const CHANGE_STATES = [
  'DRAFT',
  'ASSESSING',
  'APPROVAL',
  'APPROVED',
  'IMPLEMENTING',
  'REVIEW',
  'CLOSED',
  'FAILED',
  'ROLLED_BACK',
  'CANCELLED',
] as const;
/** States of every other ticket kind; a person's ticket starts PENDING_APPROVAL, the ITSM platform's OPEN. */
export const WORK_STATES = ['PENDING_APPROVAL', 'OPEN', 'IN_PROGRESS', 'CLOSED', 'CANCELLED'] as const;
export const TICKET_STATES = [...new Set([...CHANGE_STATES, ...WORK_STATES])] as const;
export type TicketState = (typeof TICKET_STATES)[number];

/** States after which nothing about a ticket changes. */
export const FINAL_STATES: readonly string[] = ['CLOSED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];

/** A change's scope is frozen from approval on (§7.2.5.4 a): to change it, take the change back to assessment. */
export const SCOPE_FROZEN_STATES: readonly string[] = ['APPROVAL', 'APPROVED', 'IMPLEMENTING', 'REVIEW'];

/**
 * Whether a ticket in this state authorises configuration writes (§7.1.3 c): a change while it is
 * implemented, other work while it is open (once approved).
 */
export function authorisesWrites(kind: TicketKind, state: string): boolean {
  return kind === 'CHANGE' ? state === 'IMPLEMENTING' : state === 'OPEN' || state === 'IN_PROGRESS';
}

/** §7.2.4.1: application changes, and infrastructure changes by domain. */
export const CHANGE_CATEGORIES = ['APPLICATION', 'INFRASTRUCTURE'] as const;
export const CHANGE_SUBTYPES = [
  'APPLICATION',
  'DATABASE',
  'VIRTUALIZATION',
  'OPERATING_SYSTEM',
  'STORAGE',
  'NETWORK',
  'MACHINE_ROOM',
  'DATA_CENTER_MOVE',
  'NEW_DATA_CENTER',
  'SECURITY',
  'OTHER',
] as const;
export const COMPLEXITIES = ['LOW', 'MEDIUM', 'HIGH'] as const;

export interface ChangeDetails {
  category: (typeof CHANGE_CATEGORIES)[number];
  subtype: (typeof CHANGE_SUBTYPES)[number];
  /** 紧急变更 (§7.2.4.2.5). */
  emergency: boolean;
  /** Technical complexity: the likelihood side of risk grading (§7.2.4.2). */
  complexity: (typeof COMPLEXITIES)[number];
  plannedStart: number | null;
  plannedEnd: number | null;
  /** End of the rollback window, after plannedEnd. */
  rollbackEnd: number | null;
  /** Expected interruption of business service, if any (§7.2.4.2.2 b); unknown means the whole window counts. */
  expectedOutageMinutes: number | null;
  initiator: string;
  assessor: string | null;
  implementer: string | null;
  reviewer: string | null;
  /** Whether the DR environment must follow within one working day (§7.2.5.2 e). */
  drFollowUp: boolean;
  /** Why an emergency change cannot wait (§7.2.4.2.5): required before it goes to approval. */
  emergencyReason: string | null;
  /** When the scope last changed: an assessment older than this no longer stands. */
  scopeChangedAt: number | null;
  /** Counts the times the change went to approval: approvals of an earlier round have lapsed. */
  approvalRound: number;
}

export interface Ticket {
  id: string;
  kind: TicketKind;
  /** The ITSM platform's reference, unique. */
  ref: string;
  title: string;
  description: string | null;
  state: TicketState;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  change: ChangeDetails | null;
}
