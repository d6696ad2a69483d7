// The tickets that authorise configuration changes (§7.1.4.2.1): changes, releases, incidents,
// service requests, audits and the CMDB's initialisation. Plain data and the state machines.

export const TICKET_KINDS = ['CHANGE', 'RELEASE', 'INCIDENT', 'SERVICE_REQUEST', 'AUDIT', 'INITIALIZATION'] as const;
export type TicketKind = (typeof TICKET_KINDS)[number];

/** Change states (§7.2.5): draft → assessing → approved → implementing → closed / failed / rolled back, or cancelled. */
export const CHANGE_STATES = [
  'DRAFT',
  'ASSESSING',
  'APPROVED',
  'IMPLEMENTING',
  'CLOSED',
  'FAILED',
  'ROLLED_BACK',
  'CANCELLED',
] as const;
/** States of every other ticket kind. */
export const WORK_STATES = ['OPEN', 'IN_PROGRESS', 'CLOSED', 'CANCELLED'] as const;
export const TICKET_STATES = [...new Set([...CHANGE_STATES, ...WORK_STATES])] as const;
export type TicketState = (typeof TICKET_STATES)[number];

const CHANGE_TRANSITIONS: Record<string, string[]> = {
  DRAFT: ['ASSESSING', 'CANCELLED'],
  ASSESSING: ['APPROVED', 'DRAFT', 'CANCELLED'],
  APPROVED: ['IMPLEMENTING', 'CANCELLED'],
  IMPLEMENTING: ['CLOSED', 'FAILED', 'ROLLED_BACK'],
};
const WORK_TRANSITIONS: Record<string, string[]> = {
  OPEN: ['IN_PROGRESS', 'CLOSED', 'CANCELLED'],
  IN_PROGRESS: ['CLOSED', 'CANCELLED'],
};

export function initialState(kind: TicketKind): TicketState {
  return kind === 'CHANGE' ? 'DRAFT' : 'OPEN';
}

export function allowedTransitions(kind: TicketKind, from: string): string[] {
  return (kind === 'CHANGE' ? CHANGE_TRANSITIONS : WORK_TRANSITIONS)[from] ?? [];
}

/** Whether a ticket in this state authorises configuration writes (§7.1.3 c): an approved or implementing change, or open work. */
export function authorisesWrites(kind: TicketKind, state: string): boolean {
  return kind === 'CHANGE'
    ? state === 'APPROVED' || state === 'IMPLEMENTING'
    : state === 'OPEN' || state === 'IN_PROGRESS';
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
