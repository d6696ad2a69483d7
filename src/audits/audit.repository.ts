// Cypher of audits: the audit node beside its AUDIT ticket, its frozen items, the job runs and the
// scenario scan's watermark. Values are parameters; no label or type comes from a request.

import type { Tx } from '../platform/neo4j/executor';
import { int } from '../platform/neo4j/mappers';
import type { Audit, AuditItem, AuditJobRun } from './audit.types';

export const AUDIT_QUERIES = {
  create: `CREATE (a:Audit) SET a = $props`,
  byRef: `MATCH (a:Audit) WHERE a.ref = $ref OR a.id = $ref RETURN a {.*} AS a LIMIT 1`,
  byScenarioKey: `MATCH (a:Audit {scenarioKey: $key}) RETURN a {.*} AS a`,
  update: `MATCH (a:Audit {id: $id}) SET a += $props`,
  /** Candidates of one stratum: live CIs of the classes, ids only (one list: a class may hold 100,000). */
  candidates: `
    MATCH (c:CI) WHERE c.class IN $classes AND c.retiredAt IS NULL
    RETURN collect(c.id) AS ids`,
  /** Candidates among given CIs (a business system's subgraph, a scenario's CIs), retired ones included. */
  candidatesAmong: `
    UNWIND $ids AS id
    MATCH (c:CI {id: id}) WHERE c.class IN $classes
    RETURN collect(c.id) AS ids`,
  classesOf: `
    UNWIND $ids AS id
    MATCH (c:CI {id: id})
    RETURN DISTINCT c.class AS class`,
  /** The frozen state: every property of the node and its active relationships. */
  snapshots: `
    UNWIND $ids AS id
    MATCH (c:CI {id: id})
    RETURN c {.*} AS ci,
      [(c)-[r]->(m:CI) WHERE r.since IS NOT NULL AND r.until IS NULL | {type: type(r), direction: 'OUT', other: m.code}] +
      [(c)<-[r]-(m:CI) WHERE r.since IS NOT NULL AND r.until IS NULL | {type: type(r), direction: 'IN', other: m.code}]
        AS relations`,
  createItems: `
    UNWIND $items AS item
    CREATE (i:AuditItem) SET i = item`,
  items: `
    MATCH (i:AuditItem {auditId: $auditId})
    WHERE ($statuses IS NULL OR i.status IN $statuses) AND ($after IS NULL OR i.code > $after)
    RETURN i {.*} AS i ORDER BY i.code LIMIT $limit`,
  itemCount: `
    MATCH (i:AuditItem {auditId: $auditId})
    WHERE $statuses IS NULL OR i.status IN $statuses
    RETURN count(i) AS total`,
  allItems: `MATCH (i:AuditItem {auditId: $auditId}) RETURN i {.*} AS i ORDER BY i.code`,
  itemsByCodes: `
    UNWIND $codes AS code
    OPTIONAL MATCH (i:AuditItem {auditId: $auditId, code: code})
    OPTIONAL MATCH (other:AuditItem {code: code}) WHERE i IS NULL AND other.auditId <> $auditId
    OPTIONAL MATCH (oa:Audit {id: other.auditId})
    RETURN code, i {.*} AS i, collect(DISTINCT oa.ref)[0..3] AS elsewhere`,
  itemById: `MATCH (i:AuditItem {id: $id}) OPTIONAL MATCH (a:Audit {id: i.auditId}) RETURN i {.*} AS i, a.ref AS audit`,
  itemByCi: `MATCH (i:AuditItem {auditId: $auditId, ciId: $ciId}) RETURN i {.*} AS i`,
  updateItem: `MATCH (i:AuditItem {id: $id}) SET i += $props`,
  unaudited: `MATCH (i:AuditItem {auditId: $auditId, status: 'UNAUDITED'}) RETURN count(i) AS n`,
  list: `
    MATCH (a:Audit)
    WHERE ($states IS NULL OR a.state IN $states) AND ($triggers IS NULL OR a.trigger IN $triggers)
      AND ($after IS NULL OR a.createdAt < $afterAt OR (a.createdAt = $afterAt AND a.ref < $afterRef))
    RETURN a {.*} AS a ORDER BY a.createdAt DESC, a.ref DESC LIMIT $limit`,
  listCount: `
    MATCH (a:Audit)
    WHERE ($states IS NULL OR a.state IN $states) AND ($triggers IS NULL OR a.trigger IN $triggers)
    RETURN count(a) AS total`,
  // ------------------------------------------------------------ jobs
  run: `MATCH (r:AuditJobRun {key: $key}) RETURN r {.*} AS r`,
  /** Claimed under the uniqueness constraint on the key: a second replica's CREATE fails. */
  createRun: `CREATE (r:AuditJobRun) SET r = $props`,
  updateRun: `MATCH (r:AuditJobRun {key: $key}) SET r += $props`,
  failRun: `
    MERGE (r:AuditJobRun {key: $key})
    ON CREATE SET r.job = $job, r.slot = $slot, r.startedAt = $at, r.attempts = 0, r.audits = []
    SET r.status = 'FAILED', r.finishedAt = $at, r.error = $error, r.instance = $instance, r.attempts = r.attempts + 1`,
  runs: `
    MATCH (r:AuditJobRun)
    WHERE ($job IS NULL OR r.job = $job) AND ($afterKey IS NULL OR r.key < $afterKey)
    RETURN r {.*} AS r ORDER BY r.key DESC LIMIT $limit`,
  runCount: `MATCH (r:AuditJobRun) WHERE $job IS NULL OR r.job = $job RETURN count(r) AS total`,
  /** When a job was first scheduled: slots before it are not caught up. */
  jobSince: `
    MERGE (s:AuditJobState {job: $job})
    ON CREATE SET s.since = $at
    RETURN s.since AS since`,
  watermark: `
    MERGE (w:AuditWatermark {key: $key})
    ON CREATE SET w.seq = 0
    RETURN w.seq AS seq`,
  setWatermark: `MATCH (w:AuditWatermark {key: $key}) SET w.seq = $seq`,
  /** Entries of the operation log past the watermark that may signal a scenario or a correction. */
  entriesAfter: `
    MATCH (o:OpLog)
    WHERE o.seq > $after AND o.action IN $actions
    RETURN o.seq AS seq, o.hash AS hash, o.at AS at, o.action AS action, o.targetId AS targetId,
           o.ticket AS ticket, o.before AS before, o.after AS after
    ORDER BY o.seq LIMIT $limit`,
  headSeq: `MATCH (h:OpLogHead {key: 'head'}) RETURN h.seq AS seq`,
  ciById: `MATCH (c:CI {id: $id}) RETURN c.id AS id, c.code AS code, c.class AS class`,
  ciIdsByCodes: `UNWIND $codes AS code MATCH (c:CI {code: code}) RETURN c.id AS id`,
} as const;

const parse = <T>(text: unknown, fallback: T): T => (typeof text === 'string' ? (JSON.parse(text) as T) : fallback);

export function toAudit(p: Record<string, unknown>): Audit {
  return {
    id: p.id as string,
    ref: p.ref as string,
    title: p.title as string,
    trigger: p.trigger as Audit['trigger'],
    scenario: (p.scenario as Audit['scenario']) ?? null,
    scenarioKey: (p.scenarioKey as string) ?? null,
    system: (p.system as string) ?? null,
    seed: p.seed as string,
    strata: parse(p.strata, []),
    state: p.state as Audit['state'],
    itemCount: p.itemCount as number,
    createdAt: p.createdAt as number,
    createdBy: p.createdBy as string,
    completedAt: (p.completedAt as number) ?? null,
    completedBy: (p.completedBy as string) ?? null,
  };
}

export function auditProps(a: Audit): Record<string, unknown> {
  return { ...a, strata: JSON.stringify(a.strata) };
}

export function toItem(p: Record<string, unknown>): AuditItem {
  return {
    id: p.id as string,
    auditId: p.auditId as string,
    ciId: p.ciId as string,
    code: p.code as string,
    class: p.class as string,
    stratum: p.stratum as string,
    snapshot: p.snapshot as string,
    status: p.status as AuditItem['status'],
    finding: (p.finding as AuditItem['finding']) ?? null,
    fields: parse(p.fields, []),
    cause: (p.cause as string) ?? null,
    note: (p.note as string) ?? null,
    auditor: (p.auditor as string) ?? null,
    auditedAt: (p.auditedAt as number) ?? null,
    correction: parse(p.correction, null),
    trail: parse(p.trail, []),
  };
}

/** Item properties as stored: structured parts as JSON text. */
export function itemProps(i: Partial<AuditItem>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...i };
  if (i.fields !== undefined) out.fields = JSON.stringify(i.fields);
  if (i.trail !== undefined) out.trail = JSON.stringify(i.trail);
  if (i.correction !== undefined) out.correction = i.correction === null ? null : JSON.stringify(i.correction);
  return out;
}

export function toRun(p: Record<string, unknown>): AuditJobRun {
  return {
    key: p.key as string,
    job: p.job as string,
    slot: p.slot as number,
    status: p.status as AuditJobRun['status'],
    startedAt: p.startedAt as number,
    finishedAt: (p.finishedAt as number) ?? null,
    instance: (p.instance as string) ?? '',
    attempts: (p.attempts as number) ?? 1,
    outcome: (p.outcome as string) ?? null,
    audits: (p.audits as string[]) ?? [],
    error: (p.error as string) ?? null,
  };
}

export class AuditRepository {
  async find(tx: Tx, ref: string): Promise<Audit | null> {
    const [row] = await tx.run(AUDIT_QUERIES.byRef, { ref });
    return row ? toAudit(row.a as Record<string, unknown>) : null;
  }

  async items(tx: Tx, auditId: string, statuses: string[] | null, first: number, after: string | null) {
    const [count] = await tx.run(AUDIT_QUERIES.itemCount, { auditId, statuses });
    const rows = await tx.run(AUDIT_QUERIES.items, { auditId, statuses, after, limit: int(first + 1) });
    const items = rows.map((r) => toItem(r.i as Record<string, unknown>));
    return { items: items.slice(0, first), totalCount: count.total as number, hasNextPage: items.length > first };
  }

  async allItems(tx: Tx, auditId: string): Promise<AuditItem[]> {
    const rows = await tx.run(AUDIT_QUERIES.allItems, { auditId });
    return rows.map((r) => toItem(r.i as Record<string, unknown>));
  }

  async updateItem(tx: Tx, id: string, props: Partial<AuditItem>): Promise<void> {
    await tx.run(AUDIT_QUERIES.updateItem, { id, props: itemProps(props) });
  }

  async run(tx: Tx, key: string): Promise<AuditJobRun | null> {
    const [row] = await tx.run(AUDIT_QUERIES.run, { key });
    return row ? toRun(row.r as Record<string, unknown>) : null;
  }
}
