// The operation log (§7.1.4.1 c, §9.1.5.1 e): every write appends who, when, under which ticket or
// source, and the values before and after, in the write's own transaction, chained by SHA-256.

import { createHash } from 'node:crypto';
import type { Tx } from '../platform/neo4j/executor';
import { OpLogRepository } from './oplog.repository';

/** Who writes and under what authority; shared by every record of one transaction. */
export interface WriteContext {
  actor: string;
  /** Epoch milliseconds; one value for the whole transaction. */
  at: number;
  ticket?: string | null;
  /** `manual`, `import`, `discovery:<tool>`, `system`… */
  source: string;
}

export interface OpRecord {
  action: string;
  targetType: 'CI' | 'RELATION' | 'MODEL';
  targetId: string;
  /** CIs the entry concerns: their history shows it. */
  ciIds: string[];
  before: unknown;
  after: unknown;
}

export interface OpLogEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  ticket: string | null;
  source: string;
  before: string | null;
  after: string | null;
  prevHash: string;
  hash: string;
}

/** The text the hash covers: every field but the hash itself, in a fixed order. */
export function entryDigest(e: Omit<OpLogEntry, 'hash'>): string {
  const canonical = JSON.stringify([
    e.seq,
    e.at,
    e.actor,
    e.action,
    e.targetType,
    e.targetId,
    e.ticket ?? null,
    e.source,
    e.before ?? null,
    e.after ?? null,
    e.prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export class OpLogService {
  constructor(private readonly repo = new OpLogRepository()) {}

  /**
   * Takes the log's write lock: called first in every write transaction, it serialises writers,
   * so the checks a write makes (versions, uniqueness, cardinality) cannot race another writer.
   */
  async lock(tx: Tx, at: number): Promise<void> {
    await this.repo.lockAndReadHead(tx, at);
  }

  /** Appends the records inside the caller's write transaction; call it last, after the writes it describes. */
  async record(tx: Tx, ctx: WriteContext, records: OpRecord[]): Promise<void> {
    if (records.length === 0) return;
    let head = await this.repo.lockAndReadHead(tx, ctx.at);
    const entries = records.map((r) => {
      const base: Omit<OpLogEntry, 'hash'> = {
        seq: head.seq + 1,
        at: ctx.at,
        actor: ctx.actor,
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId,
        ticket: ctx.ticket ?? null,
        source: ctx.source,
        before: r.before === undefined || r.before === null ? null : JSON.stringify(r.before),
        after: r.after === undefined || r.after === null ? null : JSON.stringify(r.after),
        prevHash: head.hash,
      };
      const hash = entryDigest(base);
      head = { seq: base.seq, hash };
      return { props: { ...base, hash }, ciIds: r.ciIds };
    });
    await this.repo.append(tx, entries, head);
  }

  async historyOfCi(tx: Tx, ciId: string): Promise<OpLogEntry[]> {
    const rows = await this.repo.byCi(tx, ciId);
    return rows.map((r) => toEntry(r.entry as Record<string, unknown>));
  }
}

/** Neo4j stores no nulls: absent optional fields come back as null here. */
export function toEntry(props: Record<string, unknown>): OpLogEntry {
  return {
    ...(props as unknown as OpLogEntry),
    ticket: (props.ticket as string | undefined) ?? null,
    before: (props.before as string | undefined) ?? null,
    after: (props.after as string | undefined) ?? null,
  };
}
