// Cypher of CIs and relationships. Values are always parameters; relationship types come
// only from the model through `relType()`. Relationships are ended (`until`), never deleted,
// and every CI version is kept as a CIVersion, so any moment can be read back.

import type { Row, Tx } from '../platform/neo4j/executor';
import { int as neo4jInt } from '../platform/neo4j/mappers';
import { RESERVED_CI_FIELDS } from '../model/model.types';
import type { Attributes } from './ci.validation';

/** The current state of a CI as stored on its node. */
export interface CIRecord {
  id: string;
  code: string;
  name: string;
  class: string;
  lifecycle: string;
  owner: string | null;
  version: number;
  createdAt: number;
  updatedAt: number;
  retiredAt: number | null;
  stale: boolean;
  attributes: Attributes;
}

export interface RelationRecord {
  id: string;
  type: string;
  direction: 'OUT' | 'IN';
  since: number;
  until: number | null;
  other: CIRecord;
}

const RESERVED = new Set<string>([...RESERVED_CI_FIELDS]);

export function toCIRecord(props: Record<string, unknown>): CIRecord {
  const attributes: Attributes = {};
  for (const [k, v] of Object.entries(props))
    if (!RESERVED.has(k) && v !== null) attributes[k] = v as Attributes[string];
  return {
    id: props.id as string,
    code: props.code as string,
    name: props.name as string,
    class: props.class as string,
    lifecycle: props.lifecycle as string,
    owner: (props.owner as string | null) ?? null,
    version: props.version as number,
    createdAt: props.createdAt as number,
    updatedAt: props.updatedAt as number,
    retiredAt: (props.retiredAt as number | null) ?? null,
    stale: (props.stale as boolean | null) ?? false,
    attributes,
  };
}

/** The node's full property map: `SET n = props` also drops attributes that were cleared. */
export function nodeProps(ci: CIRecord, identKey: string | null): Record<string, unknown> {
  const { attributes, ...fixed } = ci;
  return { ...attributes, ...fixed, identKey };
}

/** What a version snapshot keeps: enough to answer "what was this CI at 02:00". */
export function snapshotOf(ci: CIRecord): string {
  const { id: _id, createdAt: _c, ...rest } = ci;
  return JSON.stringify(rest);
}

export const CI_QUERIES = {
  byId: `MATCH (n:CI {id: $id}) RETURN n {.*} AS n`,
  byCode: `MATCH (n:CI {code: $code}) RETURN n {.*} AS n`,
  relationsAmong: `
    MATCH (a:CI)-[r]->(b:CI)
    WHERE a.id IN $ids AND b.id IN $ids AND r.since IS NOT NULL AND r.until IS NULL
    RETURN type(r) AS type, a.code AS source, b.code AS target
    ORDER BY source, type, target`,
  idsByCodes: `UNWIND $codes AS code MATCH (n:CI {code: code}) RETURN n.code AS code, n.id AS id`,
  byIdentKey: `MATCH (n:CI {identKey: $identKey}) RETURN n.code AS code, n.id AS id`,
  claimsHeld: `
    UNWIND $keys AS key
    MATCH (c:UniqueClaim {key: key}) WHERE c.ciId <> $id
    MATCH (n:CI {id: c.ciId})
    RETURN key, n.code AS code`,
  /** Replaces the node's properties with the new state and closes the previous version. */
  update: `
    MATCH (n:CI {id: $id})
    // What discovery keeps on the node (when and by whom it was last seen) outlives every update.
    WITH n, n.lastSeenAt AS lastSeenAt, n.discoverySource AS discoverySource
    SET n = $props
    SET n.lastSeenAt = lastSeenAt, n.discoverySource = discoverySource
    WITH n
    OPTIONAL MATCH (old:CIVersion {ciId: n.id}) WHERE old.validTo IS NULL
    SET old.validTo = $at
    CREATE (v:CIVersion {ciId: n.id, version: n.version, validFrom: $at, validTo: null, state: $snapshot})
    WITH n
    OPTIONAL MATCH (c:UniqueClaim {ciId: n.id}) WHERE NOT c.key IN $claims
    DELETE c
    WITH DISTINCT n
    UNWIND $claims AS key
    MERGE (:UniqueClaim {key: key, ciId: n.id})`,
  versionAt: `
    MATCH (v:CIVersion {ciId: $id})
    WHERE v.validFrom <= $at AND (v.validTo IS NULL OR v.validTo > $at)
    RETURN v.state AS state, v.version AS version
    ORDER BY v.validFrom DESC LIMIT 1`,
  versions: `
    MATCH (v:CIVersion {ciId: $id})
    RETURN v.version AS version, v.validFrom AS validFrom, v.validTo AS validTo, v.state AS state
    ORDER BY v.validFrom`,
  relations: `
    MATCH (n:CI {id: $id})-[r]-(m:CI)
    WHERE r.since IS NOT NULL
      AND CASE WHEN $at IS NULL THEN r.until IS NULL
               ELSE r.since <= $at AND (r.until IS NULL OR r.until > $at) END
    RETURN r.id AS id, type(r) AS type, startNode(r) = n AS outgoing, r.since AS since, r.until AS until,
           m {.*} AS other
    ORDER BY type, other.code`,
  relationCounts: `
    MATCH (n:CI {id: $id})-[r]-(:CI)
    WHERE r.since IS NOT NULL AND r.until IS NULL
    RETURN type(r) AS type, startNode(r) = n AS outgoing, count(r) AS count`,
  ownerCheck: `
    MATCH (o:CI {code: $owner})
    RETURN o.class AS class, o.lifecycle AS lifecycle, o.retiredAt AS retiredAt`,
} as const;

/** Set-wise queries of batch writes: one round trip per kind of check, whatever the batch size. */
export const BATCH_QUERIES = {
  existingCodes: `UNWIND $codes AS code MATCH (n:CI {code: code}) RETURN n.code AS code LIMIT 1`,
  identKeyHolders: `UNWIND $keys AS key MATCH (n:CI {identKey: key}) RETURN key, n.code AS code LIMIT 1`,
  claimHolders: `
    UNWIND $keys AS key
    MATCH (c:UniqueClaim {key: key})
    MATCH (n:CI {id: c.ciId})
    RETURN key, n.code AS code LIMIT 1`,
  /** Stored CIs by code, with their elementIds: the rest of the transaction reaches them without an index seek. */
  byCodes: `UNWIND $codes AS code MATCH (n:CI {code: code}) RETURN n {.*} AS n, elementId(n) AS eid`,
  /**
   * Creates the CIs with their first version (CIVersion v1: the state they are created in) and unique
   * claims and, when `$ticketId` names a ticket, puts them in its scope. A new CI cannot be in any
   * scope yet, so the SCOPE edge is CREATEd, not MERGEd (TicketService.joinScope MERGEs, for CIs that
   * may be). Returns each CI's elementId, valid for the rest of this transaction.
   */
  createCIs: `
    OPTIONAL MATCH (t:Ticket {id: $ticketId})
    UNWIND $rows AS row
    CREATE (n:CI)
    SET n = row.props
    CREATE (:CIVersion {ciId: row.props.id, version: 1, validFrom: row.props.createdAt, validTo: null, state: row.snapshot})
    FOREACH (key IN row.claims | CREATE (:UniqueClaim {key: key, ciId: row.props.id}))
    FOREACH (_ IN CASE WHEN t IS NULL THEN [] ELSE [1] END | CREATE (t)-[:SCOPE {since: $at, addedBy: $actor}]->(n))
    RETURN row.props.id AS id, elementId(n) AS eid`,
} as const;

/** Relationship queries need the type in the text: `type` must come from `relType()`. */
export function relationTypeQueries(type: string) {
  return {
    activePairs: `
      UNWIND $pairs AS pair
      MATCH (a:CI {id: pair.sourceId})-[r:${type}]->(b:CI {id: pair.targetId})
      WHERE r.until IS NULL
      RETURN a.id AS sourceId, b.id AS targetId`,
    outCounts: `
      UNWIND $ids AS id
      MATCH (a:CI {id: id})-[r:${type}]->(:CI) WHERE r.until IS NULL
      RETURN id, count(r) AS count`,
    inCounts: `
      UNWIND $ids AS id
      MATCH (:CI)-[r:${type}]->(b:CI {id: id}) WHERE r.until IS NULL
      RETURN id, count(r) AS count`,
    /** Both ends by the elementIds this transaction read or created them with: no index seek per row. */
    createMany: `
      UNWIND $rows AS row
      MATCH (a:CI) WHERE elementId(a) = row.sourceEid
      MATCH (b:CI) WHERE elementId(b) = row.targetEid
      CREATE (a)-[r:${type} {id: row.id, since: $at, createdBy: $actor}]->(b)`,
    end: `
      MATCH (a:CI {id: $sourceId})-[r:${type}]->(b:CI {id: $targetId})
      WHERE r.until IS NULL
      SET r.until = $at, r.endedBy = $actor
      RETURN r.id AS id, r.since AS since`,
  };
}

export class CIRepository {
  async byId(tx: Tx, id: string): Promise<CIRecord | null> {
    const [row] = await tx.run(CI_QUERIES.byId, { id });
    return row ? toCIRecord(row.n as Record<string, unknown>) : null;
  }

  async byCode(tx: Tx, code: string): Promise<CIRecord | null> {
    const [row] = await tx.run(CI_QUERIES.byCode, { code });
    return row ? toCIRecord(row.n as Record<string, unknown>) : null;
  }

  async holderOfIdentKey(tx: Tx, identKey: string): Promise<{ id: string; code: string } | null> {
    const [row] = await tx.run(CI_QUERIES.byIdentKey, { identKey });
    return row ? { id: row.id as string, code: row.code as string } : null;
  }

  async claimsHeldByOthers(tx: Tx, id: string, keys: string[]): Promise<{ key: string; code: string }[]> {
    if (keys.length === 0) return [];
    const rows = await tx.run(CI_QUERIES.claimsHeld, { id, keys });
    return rows.map((r) => ({ key: r.key as string, code: r.code as string }));
  }

  async update(tx: Tx, ci: CIRecord, identKey: string | null, claims: string[], at: number): Promise<void> {
    await tx.run(CI_QUERIES.update, {
      id: ci.id,
      props: nodeProps(ci, identKey),
      snapshot: snapshotOf(ci),
      claims,
      at,
    });
  }

  async stateAt(tx: Tx, id: string, at: number): Promise<Omit<CIRecord, 'id' | 'createdAt'> | null> {
    const [row] = await tx.run(CI_QUERIES.versionAt, { id, at });
    return row ? (JSON.parse(row.state as string) as Omit<CIRecord, 'id' | 'createdAt'>) : null;
  }

  async versions(tx: Tx, id: string): Promise<Row[]> {
    return tx.run(CI_QUERIES.versions, { id });
  }

  async relations(tx: Tx, id: string, at: number | null): Promise<RelationRecord[]> {
    const rows = await tx.run(CI_QUERIES.relations, { id, at });
    return rows.map((r) => ({
      id: r.id as string,
      type: r.type as string,
      direction: r.outgoing ? 'OUT' : 'IN',
      since: r.since as number,
      until: (r.until as number | null) ?? null,
      other: toCIRecord(r.other as Record<string, unknown>),
    }));
  }

  async relationCounts(tx: Tx, id: string): Promise<{ type: string; direction: 'OUT' | 'IN'; count: number }[]> {
    const rows = await tx.run(CI_QUERIES.relationCounts, { id });
    return rows.map((r) => ({
      type: r.type as string,
      direction: r.outgoing ? 'OUT' : 'IN',
      count: r.count as number,
    }));
  }

  async owner(tx: Tx, owner: string): Promise<{ class: string; retired: boolean } | null> {
    const [row] = await tx.run(CI_QUERIES.ownerCheck, { owner });
    return row ? { class: row.class as string, retired: row.retiredAt !== null } : null;
  }
}

export interface CIListFilter {
  /** Expanded to subclasses by the service. */
  classes?: string[] | null;
  lifecycles?: string[] | null;
  owner?: string | null;
  importance?: string[] | null;
  attributes?: { name: string; equals: string | number | boolean }[] | null;
  text?: string | null;
}

/** The attribute of business systems that holds 核心/重要/一般/其他 (§9.1.4.1). */
export const IMPORTANCE_ATTRIBUTE = 'importance';

/**
 * The WHERE clause of a CI list, assembled only from the fixed fragments below so the planner sees
 * the filters that are really there (and can use the class or owner index); values stay parameters.
 */
export function listWhere(filter: CIListFilter): { where: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.classes) {
    parts.push('n.class IN $classes');
    params.classes = filter.classes;
  }
  if (filter.lifecycles?.length) {
    parts.push('n.lifecycle IN $lifecycles');
    params.lifecycles = filter.lifecycles;
  }
  if (filter.owner) {
    parts.push('n.owner = $owner');
    params.owner = filter.owner;
  }
  if (filter.importance?.length) {
    parts.push('n[$importanceAttribute] IN $importance');
    params.importance = filter.importance;
    params.importanceAttribute = IMPORTANCE_ATTRIBUTE;
  }
  if (filter.attributes?.length) {
    parts.push('all(f IN $attributeFilters WHERE n[f.name] = f.equals)');
    params.attributeFilters = filter.attributes;
  }
  if (filter.text) {
    parts.push('(n.name CONTAINS $text OR n.code CONTAINS toUpper($text))');
    params.text = filter.text;
  }
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export async function listCIs(
  tx: Tx,
  filter: CIListFilter,
  first: number,
  afterCode: string | null,
): Promise<{ items: CIRecord[]; totalCount: number; hasNextPage: boolean }> {
  const { where, params } = listWhere(filter);
  const [count] = await tx.run(`MATCH (n:CI) ${where} RETURN count(n) AS total`, params);
  const pageWhere = afterCode ? `${where ? `${where} AND` : 'WHERE'} n.code > $afterCode` : where;
  const rows = await tx.run(`MATCH (n:CI) ${pageWhere} RETURN n {.*} AS n ORDER BY n.code LIMIT $limit`, {
    ...params,
    afterCode,
    limit: neo4jInt(first + 1),
  });
  const items = rows.map((r) => toCIRecord(r.n as Record<string, unknown>));
  return { items: items.slice(0, first), totalCount: count.total as number, hasNextPage: items.length > first };
}
