// Cypher of the operation log: append under the head lock, read by filter, walk for verification,
// purge the expired prefix. Every query names its chain: the main one, or a test's scratch chain.

import type { Tx, Row } from '../platform/neo4j/executor';
import { int } from '../platform/neo4j/mappers';

/**
 * Where a chain lives: its head node (`OpLogHead {key}`) and the label of its entries. The service
 * has one chain; tests build scratch chains under their own label, so the unique `seq` of the main
 * chain and its readers never see them.
 */
export interface OpLogChain {
  key: string;
  label: string;
}

/** A write to configuration as the log has it: who, when, which action, under which ticket. */
export interface ConfigWrite {
  /** The CI written. */
  ciId: string;
  seq: number;
  at: number;
  actor: string;
  action: string;
  ticket: string | null;
  source: string;
}

export const MAIN_CHAIN: OpLogChain = { key: 'head', label: 'OpLog' };

/** The allow-list of entry labels: `OpLog`, or a scratch chain's `OpLogScratch<letters and digits>`. */
const CHAIN_LABEL = /^OpLog(?:Scratch[A-Za-z0-9]{1,40})?$/;

/** The queries of one chain; the label reaches the text only after the allow-list admits it. */
export function oplogQueries(label: string) {
  if (!CHAIN_LABEL.test(label)) throw new Error(`invalid operation-log label ${JSON.stringify(label)}`);
  return {
    /** Taking the write lock on the head serialises appends, so sequence numbers and the hash chain have no gaps or forks. */
    lockHead: `
      MATCH (h:OpLogHead {key: $key})
      SET h.lockedAt = $at`,
    /** Before the first purge the chain starts at seq 0 with hash ''; a purge moves this anchor. */
    readHead: `
      MATCH (h:OpLogHead {key: $key})
      RETURN h.seq AS seq, h.hash AS hash, coalesce(h.anchorSeq, 0) AS anchorSeq, coalesce(h.anchorHash, '') AS anchorHash`,
    createHead: `
      MERGE (h:OpLogHead {key: $key})
      ON CREATE SET h.seq = 0, h.hash = '', h.anchorSeq = 0, h.anchorHash = ''`,
    /** Each entry with a CONCERNS edge to each CI it is about, named by id or (same transaction) by elementId. */
    append: `
      UNWIND $entries AS e
      CREATE (o:${label})
      SET o = e.props
      WITH o, e
      CALL (o, e) {
        UNWIND e.ciIds AS ciId
        MATCH (c:CI {id: ciId})
        CREATE (o)-[:CONCERNS]->(c)
      }
      CALL (o, e) {
        UNWIND e.eids AS eid
        MATCH (c:CI) WHERE elementId(c) = eid
        CREATE (o)-[:CONCERNS]->(c)
      }`,
    moveHead: `
      MATCH (h:OpLogHead {key: $key})
      SET h.seq = $seq, h.hash = $hash`,
    byCi: `
      MATCH (c:CI {id: $ciId})<-[:CONCERNS]-(o:${label})
      RETURN o {.*} AS entry
      ORDER BY o.seq`,
    /** Who wrote configuration (CIs, relationships, batches) under a ticket: from the ticket index. */
    writersUnder: `
      MATCH (o:${label} {ticket: $ticket})
      WHERE o.targetType IN ['CI', 'RELATION', 'BATCH']
      RETURN DISTINCT o.actor AS actor`,
    /** Writes to each CI in [from, to), newest first, at most 20 a CI, with the ticket they cited. */
    writesTo: `
      UNWIND $ciIds AS ciId
      CALL (ciId) {
        MATCH (:CI {id: ciId})<-[:CONCERNS]-(o:${label})
        WHERE o.at >= $from AND o.at < $to AND o.targetType IN ['CI', 'RELATION']
        RETURN o ORDER BY o.at DESC LIMIT 20
      }
      RETURN ciId, o.seq AS seq, o.at AS at, o.actor AS actor, o.action AS action, o.ticket AS ticket,
             o.source AS source`,
    /** A page of the chain in seq order, read from the seq index in order. */
    range: `
      MATCH (o:${label})
      WHERE o.seq >= $from AND o.seq <= $to
      RETURN o {.*} AS entry
      ORDER BY o.seq
      LIMIT $limit`,
    bySeq: `
      MATCH (o:${label} {seq: $seq})
      RETURN o {.*} AS entry`,
    /** Deletes a verified prefix of the chain; the caller moves the anchor in the same transaction. */
    deleteRange: `
      MATCH (o:${label})
      WHERE o.seq > $after AND o.seq <= $upTo
      DETACH DELETE o
      RETURN count(*) AS deleted`,
    moveAnchor: `
      MATCH (h:OpLogHead {key: $key})
      SET h.anchorSeq = $seq, h.anchorHash = $hash`,
    ciIdByCode: `
      MATCH (c:CI {code: $code})
      RETURN c.id AS id`,
    ciById: `
      MATCH (c:CI {id: $id})
      RETURN c.id AS id`,
  } as const;
}

export const OPLOG_QUERIES = oplogQueries(MAIN_CHAIN.label);

export interface OpLogHeadState {
  seq: number;
  hash: string;
  /** The last purged entry; 0 and '' before any purge. */
  anchorSeq: number;
  anchorHash: string;
}

/** Filters of the operation-log query; `from` inclusive, `to` exclusive, epoch milliseconds. */
export interface OpLogListFilter {
  actor?: string | null;
  from?: number | null;
  to?: number | null;
  ciId?: string | null;
  ticket?: string | null;
  action?: string | null;
}

/** Larger than any seq: the keyset bound of a newest-first list's first page. */
const SEQ_MAX = Number.MAX_SAFE_INTEGER;

/**
 * The count and page queries of an operation-log list, assembled only from the fixed fragments
 * below so the planner sees the filters that are really there; values stay parameters. Each page is
 * read in seq order from an index, so it costs no more than the exact count beside it:
 * - no filter: the count store, and the seq index read in order from the cursor;
 * - actor, ticket or action: their (property, seq) index, read in order (hence `ORDER BY o.actor,
 *   o.seq`: equal actors, so the same order, and the planner then needs no sort);
 * - a time window alone: the `at` index, the window's entries sorted;
 * - a CI: its CONCERNS edges.
 */
export function oplogListQueries(
  label: string,
  filter: OpLogListFilter,
  afterSeq: number | null,
  descending: boolean,
): { count: string; page: string; params: Record<string, unknown> } {
  if (!CHAIN_LABEL.test(label)) throw new Error(`invalid operation-log label ${JSON.stringify(label)}`);
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  const match = filter.ciId ? `MATCH (:CI {id: $ciId})<-[:CONCERNS]-(o:${label})` : `MATCH (o:${label})`;
  if (filter.ciId) params.ciId = filter.ciId;
  let lead: string | null = null;
  for (const name of ['actor', 'ticket', 'action'] as const) {
    const value = filter[name];
    if (value) {
      where.push(`o.${name} = $${name}`);
      params[name] = value;
      lead ??= name;
    }
  }
  if (filter.from !== null && filter.from !== undefined) {
    where.push('o.at >= $from');
    params.from = filter.from;
  }
  if (filter.to !== null && filter.to !== undefined) {
    where.push('o.at < $to');
    params.to = filter.to;
  }
  const windowOnly = !filter.ciId && lead === null && where.length > 0;
  // Index hints name indexes the migrations create for the main chain only.
  const hint = windowOnly && label === MAIN_CHAIN.label ? ` USING INDEX o:${label}(at)` : '';
  const text = (parts: string[]) => (parts.length ? ` WHERE ${parts.join(' AND ')}` : '');
  // A CI's entry concerns it once, or twice for a relationship of the CI with itself: count entries once.
  const distinct = filter.ciId ? 'DISTINCT ' : '';
  // With an equality filter the seq bound lets the planner count from the (property, seq) index.
  const countWhere = lead ? [...where, 'o.seq > $seqFloor'] : where;
  const dir = descending ? 'DESC' : 'ASC';
  const order = lead ? `o.${lead} ${dir}, o.seq ${dir}` : `o.seq ${dir}`;
  params.seqFloor = -1;
  params.afterSeq = afterSeq ?? (descending ? SEQ_MAX : -1);
  return {
    count: `${match}${text(countWhere)} RETURN count(${distinct}o) AS total`,
    page: `${match}${hint}${text([...where, descending ? 'o.seq < $afterSeq' : 'o.seq > $afterSeq'])} WITH ${distinct}o ORDER BY ${order} LIMIT $limit RETURN o {.*} AS entry`,
    params,
  };
}

export class OpLogRepository {
  private readonly q: ReturnType<typeof oplogQueries>;

  constructor(readonly chain: OpLogChain = MAIN_CHAIN) {
    this.q = oplogQueries(chain.label);
  }

  async lockAndReadHead(tx: Tx, at: number): Promise<{ seq: number; hash: string }> {
    await tx.run(this.q.lockHead, { key: this.chain.key, at });
    const head = await this.readHead(tx);
    return { seq: head.seq, hash: head.hash };
  }

  async readHead(tx: Tx): Promise<OpLogHeadState> {
    const [row] = await tx.run(this.q.readHead, { key: this.chain.key });
    if (!row) throw new Error('operation log head missing: migrations have not run');
    return {
      seq: row.seq as number,
      hash: row.hash as string,
      anchorSeq: row.anchorSeq as number,
      anchorHash: row.anchorHash as string,
    };
  }

  /** Creates the head of a new, empty chain; a no-op when it exists (the main one is made by a migration). */
  async createHead(tx: Tx): Promise<void> {
    await tx.run(this.q.createHead, { key: this.chain.key });
  }

  async append(
    tx: Tx,
    entries: { props: Record<string, unknown>; ciIds: string[]; eids: string[] }[],
    head: { seq: number; hash: string },
  ) {
    await tx.run(this.q.append, { entries });
    await tx.run(this.q.moveHead, { key: this.chain.key, ...head });
  }

  byCi(tx: Tx, ciId: string): Promise<Row[]> {
    return tx.run(this.q.byCi, { ciId });
  }

  async writersUnder(tx: Tx, ticket: string): Promise<string[]> {
    return (await tx.run(this.q.writersUnder, { ticket })).map((r) => r.actor as string);
  }

  async writesTo(tx: Tx, ciIds: string[], from: number, to: number): Promise<ConfigWrite[]> {
    const rows = await tx.run(this.q.writesTo, { ciIds, from, to });
    return rows.map((r) => ({
      ciId: r.ciId as string,
      seq: r.seq as number,
      at: r.at as number,
      actor: r.actor as string,
      action: r.action as string,
      ticket: (r.ticket as string | null) ?? null,
      source: r.source as string,
    }));
  }

  /** Entries with `from <= seq <= to`, in seq order, at most `limit`. */
  async range(tx: Tx, from: number, to: number, limit: number): Promise<Record<string, unknown>[]> {
    const rows = await tx.run(this.q.range, { from, to, limit: int(limit) });
    return rows.map((r) => r.entry as Record<string, unknown>);
  }

  async bySeq(tx: Tx, seq: number): Promise<Record<string, unknown> | null> {
    const [row] = await tx.run(this.q.bySeq, { seq });
    return row ? (row.entry as Record<string, unknown>) : null;
  }

  /** Deletes the entries after the anchor up to `upTo` and makes `upTo` the new anchor. */
  async deletePrefix(tx: Tx, after: number, anchor: { seq: number; hash: string }): Promise<number> {
    const [row] = await tx.run(this.q.deleteRange, { after, upTo: anchor.seq });
    await tx.run(this.q.moveAnchor, { key: this.chain.key, ...anchor });
    return row.deleted as number;
  }

  /** The CI's id, by id or by code; null when there is no such CI. */
  async ciId(tx: Tx, ref: { id?: string | null; code?: string | null }): Promise<string | null> {
    const [row] = ref.id
      ? await tx.run(this.q.ciById, { id: ref.id })
      : await tx.run(this.q.ciIdByCode, { code: ref.code });
    return row ? (row.id as string) : null;
  }

  /** One page of a filtered list in seq order (or reverse), and the exact count of the whole list. */
  async list(
    tx: Tx,
    filter: OpLogListFilter,
    first: number,
    afterSeq: number | null,
    descending: boolean,
  ): Promise<{ rows: Record<string, unknown>[]; totalCount: number }> {
    const { count, page, params } = oplogListQueries(this.chain.label, filter, afterSeq, descending);
    const [total] = await tx.run(count, params);
    const rows = await tx.run(page, { ...params, limit: int(first + 1) });
    return { rows: rows.map((r) => r.entry as Record<string, unknown>), totalCount: total.total as number };
  }
}
