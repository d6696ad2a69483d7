// Cypher of baselines: resolving a scope as of a moment, reading what it held then, and storing a
// baseline. A baseline is one :Baseline node and its content in :BaselineChunk nodes (JSON rows of
// CIs and relationships, a few thousand per chunk): written once in the capture's transaction, never
// updated or deleted. Relationship types in query text come only from the model (directionsFor).

import type { Tx } from '../platform/neo4j/executor';
import { int } from '../platform/neo4j/mappers';
import type { Attributes } from '../cis/ci.validation';
import type { BaselineContent, BaselineItem, BaselineRelation } from './baseline.diff';

/** CIs or relationships per stored chunk. */
export const CHUNK_SIZE = 2_000;

/** A CI belongs to a scope at `at` once created; retired CIs stay in it (a retirement is a lifecycle change). */
const EXISTED = `b.createdAt <= $at`;
const LIVE_REL = `r.since IS NOT NULL AND r.since <= $at AND (r.until IS NULL OR r.until > $at)`;

export const BASELINE_QUERIES = {
  seeds: `
    UNWIND $codes AS code
    OPTIONAL MATCH (b:CI {code: code})
    RETURN code, elementId(b) AS eid, b.id AS id, b.class AS class, coalesce(${EXISTED}, false) AS existed`,
  /** The CIs in a change's scope at `at` (scope edges are removed, not ended: the ones there now that were added by then). */
  ticketScope: `
    MATCH (:Ticket {id: $ticketId})-[s:SCOPE]->(b:CI)
    WHERE s.since <= $at AND ${EXISTED}
    RETURN b.code AS code`,
  ofClasses: `
    MATCH (b:CI) WHERE b.class IN $classes AND ${EXISTED}
    RETURN elementId(b) AS eid, b.id AS id, b.class AS class`,
  /** The recorded state of each CI at `at`: its CIVersion then. */
  statesAt: `
    UNWIND $ids AS id
    MATCH (v:CIVersion {ciId: id})
    WHERE v.validFrom <= $at AND (v.validTo IS NULL OR v.validTo > $at)
    RETURN id, v.version AS version, v.state AS state`,
  /**
   * Relationships live at `at` from the given CIs to CIs of the scope (elementIds). The target is checked
   * by elementId before anything of it is read: a server has many more relationships than it has in scope.
   */
  relationsWithin: `
    UNWIND $from AS eid
    MATCH (a:CI) WHERE elementId(a) = eid
    MATCH (a)-[r]->(b:CI)
    WITH a, r, b WHERE elementId(b) IN $scope AND ${LIVE_REL}
    RETURN r.id AS id, type(r) AS type, a.code AS source, b.code AS target`,
  create: `
    CREATE (b:Baseline)
    SET b = $props
    WITH b
    UNWIND $chunks AS chunk
    CREATE (:BaselineChunk {baselineId: b.id, seq: chunk.seq, kind: chunk.kind, data: chunk.data})`,
  byId: `MATCH (b:Baseline {id: $id}) RETURN b {.*} AS b`,
  chunks: `
    MATCH (c:BaselineChunk {baselineId: $id})
    RETURN c.kind AS kind, c.seq AS seq, c.data AS data ORDER BY c.kind, c.seq`,
  ofTicket: `
    MATCH (b:Baseline {ticketId: $ticketId})
    RETURN b {.*} AS b ORDER BY b.capturedAt DESC LIMIT 1`,
} as const;

/** One breadth-first level over typed, directed expansions, to CIs that existed at `at` over relationships live then. */
export function levelQuery(forward: string[], backward: string[]): string | null {
  const branches: string[] = [];
  if (forward.length) branches.push(`MATCH (a)-[r:${forward.join('|')}]->(b:CI) RETURN r, b`);
  if (backward.length) branches.push(`MATCH (a)<-[r:${backward.join('|')}]-(b:CI) RETURN r, b`);
  if (!branches.length) return null;
  return `
    UNWIND $frontier AS fid
    MATCH (a:CI) WHERE elementId(a) = fid
    CALL (a) { ${branches.join(' UNION ALL ')} }
    WITH r, b WHERE ${LIVE_REL} AND ${EXISTED}
    RETURN DISTINCT elementId(b) AS eid, b.id AS id, b.class AS class`;
}

export interface StoredBaseline {
  id: string;
  name: string;
  description: string | null;
  capturedAt: number;
  asOf: number;
  createdBy: string;
  /** The scope definition, JSON. */
  scope: string;
  ticketId: string | null;
  ticketRef: string | null;
  ciCount: number;
  relationCount: number;
  modelVersion: number;
}

/** A CI of a scope being captured: its id, and its elementId for the walk over its relationships. */
export interface ScopeCI {
  id: string;
  eid: string;
}

interface CIState {
  code: string;
  name: string;
  class: string;
  lifecycle: string;
  owner: string | null;
  attributes: Attributes;
}

export class BaselineRepository {
  /** What the given CIs were at `at`, and the relationships among them then, ordered for storage. */
  async contentAt(tx: Tx, cis: ScopeCI[], at: number): Promise<BaselineContent> {
    const ids = cis.map((c) => c.id);
    const items: BaselineItem[] = [];
    const latest = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 20_000) {
      const rows = await tx.run(BASELINE_QUERIES.statesAt, { ids: ids.slice(i, i + 20_000), at });
      for (const r of rows) {
        const id = r.id as string;
        const version = r.version as number;
        if ((latest.get(id) ?? -1) >= version) continue;
        latest.set(id, version);
        const s = JSON.parse(r.state as string) as CIState;
        items.push({
          id,
          code: s.code,
          name: s.name,
          class: s.class,
          lifecycle: s.lifecycle,
          owner: s.owner ?? null,
          version,
          attributes: s.attributes ?? {},
        });
      }
    }
    // Same-moment versions: keep only the highest of each CI.
    const unique = items.filter((i) => latest.get(i.id) === i.version);
    unique.sort((x, y) => (x.code < y.code ? -1 : x.code > y.code ? 1 : 0));
    const scope = cis.map((c) => c.eid);
    const relations: BaselineRelation[] = [];
    for (let i = 0; i < scope.length; i += 20_000) {
      const rows = await tx.run(BASELINE_QUERIES.relationsWithin, { from: scope.slice(i, i + 20_000), scope, at });
      for (const r of rows) {
        relations.push({
          id: r.id as string,
          type: r.type as string,
          source: r.source as string,
          target: r.target as string,
        });
      }
    }
    relations.sort((x, y) => {
      const a = `${x.source}\u0000${x.type}\u0000${x.target}`;
      const b = `${y.source}\u0000${y.type}\u0000${y.target}`;
      return a < b ? -1 : a > b ? 1 : 0;
    });
    return { items: unique, relations };
  }

  async create(tx: Tx, baseline: StoredBaseline, content: BaselineContent): Promise<void> {
    const chunks: { seq: number; kind: string; data: string }[] = [];
    for (let i = 0; i < content.items.length; i += CHUNK_SIZE) {
      chunks.push({ seq: i / CHUNK_SIZE, kind: 'CI', data: JSON.stringify(content.items.slice(i, i + CHUNK_SIZE)) });
    }
    for (let i = 0; i < content.relations.length; i += CHUNK_SIZE) {
      const rows = content.relations.slice(i, i + CHUNK_SIZE);
      chunks.push({ seq: i / CHUNK_SIZE, kind: 'REL', data: JSON.stringify(rows) });
    }
    await tx.run(BASELINE_QUERIES.create, { props: { ...baseline, sortKey: sortKeyOf(baseline) }, chunks });
  }

  async byId(tx: Tx, id: string): Promise<StoredBaseline | null> {
    const [row] = await tx.run(BASELINE_QUERIES.byId, { id });
    return row ? (row.b as unknown as StoredBaseline) : null;
  }

  async content(tx: Tx, id: string): Promise<BaselineContent> {
    const rows = await tx.run(BASELINE_QUERIES.chunks, { id });
    const items: BaselineItem[] = [];
    const relations: BaselineRelation[] = [];
    for (const r of rows) {
      const data = JSON.parse(r.data as string) as unknown[];
      if (r.kind === 'CI') items.push(...(data as BaselineItem[]));
      else relations.push(...(data as BaselineRelation[]));
    }
    return { items, relations };
  }

  async ofTicket(tx: Tx, ticketId: string): Promise<StoredBaseline | null> {
    const [row] = await tx.run(BASELINE_QUERIES.ofTicket, { ticketId });
    return row ? (row.b as unknown as StoredBaseline) : null;
  }

  async list(
    tx: Tx,
    filter: { ticketId?: string | null; name?: string | null },
    first: number,
    after: string | null,
  ): Promise<{ items: StoredBaseline[]; totalCount: number; hasNextPage: boolean }> {
    const parts: string[] = [];
    if (filter.ticketId) parts.push('b.ticketId = $ticketId');
    if (filter.name) parts.push('b.name CONTAINS $name');
    const where = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    const params = { ticketId: filter.ticketId ?? null, name: filter.name ?? null };
    const [count] = await tx.run(`MATCH (b:Baseline) ${where} RETURN count(b) AS n`, params);
    // Newest first; the cursor is "capturedAt (zero-padded):id" of the last row seen.
    const page = after ? `${where ? `${where} AND` : 'WHERE'} (b.sortKey < $after)` : where;
    const rows = await tx.run(`MATCH (b:Baseline) ${page} RETURN b {.*} AS b ORDER BY b.sortKey DESC LIMIT $limit`, {
      ...params,
      after,
      limit: int(first + 1),
    });
    const items = rows.map((r) => r.b as unknown as StoredBaseline);
    return { items: items.slice(0, first), totalCount: count.n as number, hasNextPage: items.length > first };
  }
}

/** The order of baselines in lists: newest capture first, then id. */
export function sortKeyOf(b: { capturedAt: number; id: string }): string {
  return `${String(b.capturedAt).padStart(15, '0')}:${b.id}`;
}
