// Sampling audits (§7.1.4.3, §7.1.3 d): plain data. An audit is a ticket of kind AUDIT; its items are
// the sampled CIs frozen as recorded, each checked against the real entity.

export const AUDIT_TRIGGERS = ['ANNUAL', 'MANUAL', 'SCENARIO'] as const;
export type AuditTrigger = (typeof AUDIT_TRIGGERS)[number];

/** §7.1.4.3 b: the scenarios that call for an audit. */
export const AUDIT_SCENARIOS = [
  'NEW_SYSTEM_LAUNCH',
  'SERVICE_MIGRATION',
  'SUPPLIER_CHANGE',
  'SERVICE_RETIREMENT',
  'SYSTEM_DECOMMISSION',
  'MAJOR_INCIDENT',
  'ORGANISATION_RESTRUCTURE',
  'PERSONNEL_CHANGE',
] as const;
export type AuditScenario = (typeof AUDIT_SCENARIOS)[number];

export const AUDIT_STATES = ['OPEN', 'COMPLETED'] as const;
export type AuditState = (typeof AUDIT_STATES)[number];

/** UNAUDITED 未审核, MATCHED 匹配, MISMATCHED 不匹配, MISSING 丢失. */
export const ITEM_STATUSES = ['UNAUDITED', 'MATCHED', 'MISMATCHED', 'MISSING'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];
export type Finding = Exclude<ItemStatus, 'UNAUDITED'>;

export const DEFAULT_AUDIT_CAUSES = [
  'UNRECORDED_CHANGE',
  'DISCOVERY_GAP',
  'MANUAL_ERROR',
  'DECOMMISSION_NOT_RECORDED',
  'OTHER',
] as const;

export const AUDIT_JOBS = ['annual', 'scenarios'] as const;
export type AuditJobName = (typeof AUDIT_JOBS)[number];

export interface StratumSpec {
  /** A class of the model; its subclasses belong to the same stratum. */
  class: string;
  ratio: number;
  minimum: number;
}

export interface Stratum extends StratumSpec {
  /** CIs the stratum held when sampled. */
  population: number;
  sampled: number;
}

export interface Audit {
  id: string;
  /** The AUDIT ticket's reference: corrections cite it. */
  ref: string;
  title: string;
  trigger: AuditTrigger;
  scenario: AuditScenario | null;
  /** The event an automatic audit answers; unique, so an event makes one audit. */
  scenarioKey: string | null;
  /** Business system whose subgraph the audit is limited to. */
  system: string | null;
  seed: string;
  strata: Stratum[];
  state: AuditState;
  itemCount: number;
  createdAt: number;
  createdBy: string;
  completedAt: number | null;
  completedBy: string | null;
}

export interface FieldDifference {
  field: string;
  /** As frozen at sampling (JSON text of the value; null when absent). */
  recorded: string | null;
  observed: string | null;
}

/** A result recorded earlier and later replaced (re-recorded, or corrected): the trail. */
export interface PastResult {
  status: ItemStatus;
  fields: FieldDifference[];
  cause: string | null;
  note: string | null;
  auditor: string | null;
  auditedAt: number | null;
  replacedAt: number;
}

export interface Correction {
  action: string;
  at: number;
  actor: string;
  /** The CI's version after the correction. */
  version: number | null;
}

export interface AuditItem {
  id: string;
  auditId: string;
  ciId: string;
  code: string;
  class: string;
  /** The stratum (requested class) the CI was sampled in. */
  stratum: string;
  /** The CI as recorded when sampled: attributes and active relationships, JSON. */
  snapshot: string;
  status: ItemStatus;
  /** What the check found, kept after a correction turns the status MATCHED. */
  finding: Finding | null;
  fields: FieldDifference[];
  cause: string | null;
  note: string | null;
  auditor: string | null;
  auditedAt: number | null;
  correction: Correction | null;
  trail: PastResult[];
}

export interface AuditJobRun {
  key: string;
  job: string;
  slot: number;
  status: 'DONE' | 'FAILED';
  startedAt: number;
  finishedAt: number | null;
  instance: string;
  attempts: number;
  /** What the run produced: audits created, entries scanned… */
  outcome: string | null;
  audits: string[];
  error: string | null;
}

export interface AuditEvent {
  scenario: AuditScenario;
  /** Identifies the event: the operation-log entry, the incident… The same key never makes a second audit. */
  key: string;
  ciIds: string[];
  occurredAt: number;
  summary: string;
}
