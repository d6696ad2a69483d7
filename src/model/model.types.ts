// The configuration model as plain data (JR/T 0079—2025 §7.1.4.1 a, §7.1.4.2.2, §7.1.4.2.3).
// The whole model is one JSON document, versioned as a unit; everything else asks it what is allowed.

export const ATTRIBUTE_TYPES = [
  'STRING',
  'TEXT',
  'INTEGER',
  'FLOAT',
  'BOOLEAN',
  'DATE',
  'DATETIME',
  'ENUM',
  'IP_ADDRESS',
  'URL',
  'EMAIL',
] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/** Who keeps an attribute up to date (§7.1.4.1 b): people under change control, or automated discovery. */
export type MaintainedBy = 'HUMAN' | 'DISCOVERY';

export interface AttributeDef {
  /** camelCase property name, e.g. `serialNumber`. Never one of the reserved CI fields. */
  name: string;
  type: AttributeType;
  labelZh: string;
  labelEn: string;
  required?: boolean;
  /** Unique among the CIs of the declaring class and its subclasses. */
  unique?: boolean;
  /** Regular expression the (string) value must match. */
  pattern?: string;
  /** For ENUM: the closed set of values. */
  allowedValues?: string[];
  /** For INTEGER / FLOAT: inclusive bounds. */
  min?: number;
  max?: number;
  maintainedBy?: MaintainedBy;
  /**
   * A management attribute (管理属性, §7.1.4.2.1 e): contacts, service levels, responsibility. A service
   * request may update it; everything else about a CI changes under a change, incident, release or audit.
   */
  management?: boolean;
  description?: string;
}

export interface RelationRequirement {
  /** Relationship type name, e.g. `RUNS_ON`. */
  type: string;
  /** OUT: this CI is the source; IN: this CI is the target. */
  direction: 'OUT' | 'IN';
}

/** What a CI must have to be in a lifecycle state (§7.1.4.2.3 lifecycle baseline). */
export interface LifecycleBaseline {
  state: string;
  requiredAttributes?: string[];
  requiredRelations?: RelationRequirement[];
}

export interface ClassDef {
  /** PascalCase, e.g. `PhysicalServer`. */
  name: string;
  parent?: string;
  /** Abstract classes organise the tree; no CI can be created in them. */
  abstract?: boolean;
  labelZh: string;
  labelEn: string;
  description?: string;
  /** Naming rule (配置项命名规则) for the business code: a regular expression. Inherited when absent. */
  codePattern?: string;
  /** Human-readable naming rule, e.g. `SRV-<机房>-<4位序号>`. Inherited with codePattern. */
  codeRule?: string;
  /** Attributes that identify the real entity (serial number, hostname…). Unique per declaring class. Inherited when absent. */
  identificationKeys?: string[];
  /** Own attributes; parents' attributes are inherited. */
  attributes: AttributeDef[];
  /** Per lifecycle state; merged with the parents' baselines for the same state. */
  lifecycleBaselines?: LifecycleBaseline[];
}

export type Cardinality = 'ONE_TO_ONE' | 'ONE_TO_MANY' | 'MANY_TO_ONE' | 'MANY_TO_MANY';

/**
 * Which way a failure travels along `(source)-[TYPE]->(target)`.
 * TARGET_TO_SOURCE: a failure of the target impacts the source (`app RUNS_ON vm`).
 * SOURCE_TO_TARGET: a failure of the source impacts the target (`disk PART_OF array`).
 */
export type Propagation = 'TARGET_TO_SOURCE' | 'SOURCE_TO_TARGET' | 'BOTH' | 'NONE';

export interface RelationTypeDef {
  /** UPPER_SNAKE, e.g. `RUNS_ON`. Becomes a Neo4j relationship type. */
  name: string;
  labelZh: string;
  labelEn: string;
  description?: string;
  /** Classes allowed as source / target (subclasses included). */
  sources: string[];
  targets: string[];
  /** MANY_TO_ONE: a source has at most one active target of this type; ONE_TO_MANY: a target at most one source. */
  cardinality: Cardinality;
  propagation: Propagation;
  /** Marks the disaster-recovery counterpart relationship (灾备对应). */
  disasterRecovery?: boolean;
}

export interface LifecycleStateDef {
  name: string;
  labelZh: string;
  labelEn: string;
}

export interface LifecycleDef {
  states: LifecycleStateDef[];
  transitions: { from: string; to: string }[];
  /** States a CI may be created in. */
  initialStates: string[];
  /** The terminal state of retirement: never deleted, never propagates failure. */
  retiredState: string;
}

export interface ConfigModelData {
  lifecycle: LifecycleDef;
  /** Classes whose CIs can be owners (运维责任人): teams and people. A CI of these classes may own itself. */
  ownerClasses: string[];
  classes: ClassDef[];
  relationTypes: RelationTypeDef[];
}

/** Properties every CI node carries; attribute names may not take them. */
export const RESERVED_CI_FIELDS = [
  'id',
  'code',
  'name',
  'class',
  'lifecycle',
  'owner',
  'version',
  'createdAt',
  'updatedAt',
  'retiredAt',
  'identKey',
  'stale',
  'lastSeenAt',
  'discoverySource',
] as const;

export const CLASS_NAME_PATTERN = /^[A-Z][A-Za-z0-9]{0,63}$/;
export const RELATION_TYPE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
export const ATTRIBUTE_NAME_PATTERN = /^[a-z][A-Za-z0-9]{0,63}$/;
export const STATE_NAME_PATTERN = /^[A-Z][A-Z0-9_]{0,31}$/;
