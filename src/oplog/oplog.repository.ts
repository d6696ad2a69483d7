// Cypher of the operation log: append under the head lock, read by filter, walk for verification.

import type { Tx, Row } from '../platform/neo4j/executor';

export const OPLOG_QUERIES = {
  /** Taking the write lock on the head serialises appends, so sequence numbers and the hash chain have no gaps or forks. */
  lockHead: `
    MATCH (h:OpLogHead {key: 'head'})
    SET h.lockedAt = $at`,
  readHead: `
    MATCH (h:OpLogHead {key: 'head'})
    RETURN h.seq AS seq, h.hash AS hash`,
  append: `
    UNWIND $entries AS e
    CREATE (o:OpLog)
    SET o = e.props
    WITH o, e
    UNWIND e.ciIds AS ciId
    MATCH (c:CI {id: ciId})
    CREATE (o)-[:CONCERNS]->(c)`,
  moveHead: `
    MATCH (h:OpLogHead {key: 'head'})
    SET h.seq = $seq, h.hash = $hash`,
  byCi: `
    MATCH (c:CI {id: $ciId})<-[:CONCERNS]-(o:OpLog)
    RETURN o {.*} AS entry
    ORDER BY o.seq`,
} as const;

export class OpLogRepository {
  async lockAndReadHead(tx: Tx, at: number): Promise<{ seq: number; hash: string }> {
    await tx.run(OPLOG_QUERIES.lockHead, { at });
    const [row] = await tx.run(OPLOG_QUERIES.readHead);
    if (!row) throw new Error('operation log head missing: migrations have not run');
    return { seq: row.seq as number, hash: row.hash as string };
  }

  async append(
    tx: Tx,
    entries: { props: Record<string, unknown>; ciIds: string[] }[],
    head: { seq: number; hash: string },
  ) {
    await tx.run(OPLOG_QUERIES.append, { entries });
    await tx.run(OPLOG_QUERIES.moveHead, head);
  }

  byCi(tx: Tx, ciId: string): Promise<Row[]> {
    return tx.run(OPLOG_QUERIES.byCi, { ciId });
  }
}
