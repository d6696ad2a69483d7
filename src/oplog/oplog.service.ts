// The operation log (§7.1.4.1 c, §9.1.5.1 e): every write appends who, when, under which ticket or
// source, and the values before and after, in the write's own transaction, chained by SHA-256.
// A bulk batch (CIService.createBatch, imports) appends one BATCH_CREATE entry for the batch: its
// `after` names and digests what was created, and each created CI's own "after" is its first
// version (CIVersion v1), kept in the graph; see `batchRecord` in src/cis/ci.batch.ts.

import type { Role } from '../platform/auth/roles';
import type { Tx, Executor } from '../platform/neo4j/executor';
import type { Config } from '../platform/config';
import { MIN_OPLOG_RETENTION_DAYS } from '../platform/config';
import { NotFoundError, ValidationError } from '../platform/errors';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination';
import type { Services } from '../services';
import { OpLogRepository, type ConfigWrite, type OpLogHeadState } from './oplog.repository';
import {
  checkHead,
  checkLink,
  entryDigest,
  planPurge,
  purgeCutoff,
  type ChainBreak,
  type ChainBreakReason,
  type ChainLink,
  type OpLogEntry,
  type PurgePlan,
} from './oplog.chain';

export { entryDigest, type OpLogEntry } from './oplog.chain';

/** Who writes and under what authority; shared by every record of one transaction. */
export interface WriteContext {
  actor: string;
  /** Epoch milliseconds; one value for the whole transaction. */
  at: number;
  ticket?: string | null;
  /** `manual`, `import`, `discovery:<tool>`, `system`… */
  source: string;
  /**
   * The Annex A roles of the person or tool behind the write, from the verified token. Every request
   * through the API carries them, and the ticket workflow decides who may do what by them; a context
   * without roles is the service itself or an operator's direct tool (jobs, CLI admin work, tests).
   */
  roles?: readonly Role[];
}

export interface OpRecord {
  action: string;
  /** BATCH: one entry for a whole bulk write (BATCH_CREATE, see `batchRecord` in src/cis/ci.batch.ts). */
  targetType: 'CI' | 'RELATION' | 'MODEL' | 'TICKET' | 'BATCH' | 'BASELINE';
  targetId: string;
  /** CIs the entry concerns: their history shows it. */
  ciIds: string[];
  /**
   * The same CIs' elementIds, when the writer has them from this transaction: the CONCERNS edges are
   * then made without an index seek per CI. Element ids are valid only inside the transaction that read them.
   */
  ciElementIds?: string[];
  before: unknown;
  after: unknown;
}

/**
 * The entries that append `records` to a chain whose last link is `head`, each hashed over its
 * predecessor, and the new head. Pure: the service appends them in the write's transaction; an
 * initial load (src/imports/initial-load.ts) writes them into the store files.
 */
export function chainEntries(
  head: ChainLink,
  ctx: WriteContext,
  records: readonly OpRecord[],
): { entries: { entry: OpLogEntry; record: OpRecord }[]; head: ChainLink } {
  let last = head;
  const entries = records.map((record) => {
    const base: Omit<OpLogEntry, 'hash'> = {
      seq: last.seq + 1,
      at: ctx.at,
      actor: ctx.actor,
      action: record.action,
      targetType: record.targetType,
      targetId: record.targetId,
      ticket: ctx.ticket ?? null,
      source: ctx.source,
      before: record.before === undefined || record.before === null ? null : JSON.stringify(record.before),
      after: record.after === undefined || record.after === null ? null : JSON.stringify(record.after),
      prevHash: last.hash,
    };
    const entry = { ...base, hash: entryDigest(base) };
    last = { seq: entry.seq, hash: entry.hash };
    return { entry, record };
  });
  return { entries, head: last };
}

/** Filters of the operation-log query; a CI by id or by code. Times are epoch milliseconds, `to` exclusive. */
export interface OpLogFilter {
  actor?: string | null;
  from?: number | null;
  to?: number | null;
  ciId?: string | null;
  ciCode?: string | null;
  ticket?: string | null;
  action?: string | null;
}

export interface VerifyOptions {
  /** First seq to check; the chain's first entry when absent. */
  fromSeq?: number | null;
  /** Last seq to check; the head when absent. Only a walk that reaches the head checks it. */
  toSeq?: number | null;
  pageSize?: number;
}

export interface VerifyResult {
  ok: boolean;
  /** Entries whose hash and linkage were checked. */
  checked: number;
  /** The range walked, after clamping to the chain (anchorSeq + 1 … head seq). */
  fromSeq: number;
  toSeq: number;
  headSeq: number;
  anchorSeq: number;
  firstBrokenSeq: number | null;
  reason: ChainBreakReason | null;
  detail: string | null;
}

export interface PurgeOptions {
  /** The moment the retention period is counted back from; the clock in production. */
  now: number;
  /** At least MIN_OPLOG_RETENTION_DAYS (six months, §9.1.5.1 e). */
  retentionDays: number;
  /** Purge only entries older than this too; it can never reach into the retention period. */
  before?: number | null;
  /** Count what would go and delete nothing. */
  dryRun?: boolean;
  /** Entries per transaction. */
  batchSize?: number;
}

export interface PurgeResult {
  dryRun: boolean;
  /** Entries with `at` before this were eligible. */
  cutoff: number;
  /** Entries deleted (or, dry, that would be). */
  deleted: number;
  /** The seq range deleted; null when nothing was. */
  firstSeq: number | null;
  lastSeq: number | null;
  /** The chain's anchor afterwards (for a dry run: where it would be). */
  anchorSeq: number;
  anchorHash: string;
  /** The purge stopped at an entry that does not follow its predecessor: run verify. */
  broken: ChainBreak | null;
}

export const VERIFY_PAGE_SIZE = 5_000;
export const PURGE_BATCH_SIZE = 10_000;

function seqCursor(after: string | null | undefined): number | null {
  const key = decodeCursor(after);
  if (key === null) return null;
  if (!/^\d{1,15}$/.test(key)) throw new ValidationError('after is not a cursor this API issued', { field: 'after' });
  return Number(key);
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
    const head = await this.repo.lockAndReadHead(tx, ctx.at);
    const { entries, head: next } = chainEntries(head, ctx, records);
    await this.repo.append(
      tx,
      entries.map(({ entry, record }) =>
        record.ciElementIds
          ? { props: { ...entry }, ciIds: [], eids: record.ciElementIds }
          : { props: { ...entry }, ciIds: record.ciIds, eids: [] },
      ),
      next,
    );
  }

  /** Everyone who wrote CIs or relationships citing this ticket: a change's actual implementers. */
  writersUnder(tx: Tx, ticketRef: string): Promise<string[]> {
    return this.repo.writersUnder(tx, ticketRef);
  }

  /** Writes to CIs and their relationships in [from, to), each CI's newest first, at most 20 a CI. */
  writesTo(tx: Tx, ciIds: string[], from: number, to: number): Promise<ConfigWrite[]> {
    return this.repo.writesTo(tx, ciIds, from, to);
  }

  async historyOfCi(tx: Tx, ciId: string): Promise<OpLogEntry[]> {
    const rows = await this.repo.byCi(tx, ciId);
    return rows.map((r) => toEntry(r.entry as Record<string, unknown>));
  }

  /** Creates the head of this service's chain if it has none (the main chain's comes from a migration). */
  async ensureChain(executor: Executor): Promise<void> {
    await executor.write((tx) => this.repo.createHead(tx));
  }

  async head(executor: Executor): Promise<OpLogHeadState> {
    return executor.read((tx) => this.repo.readHead(tx));
  }

  /**
   * The log by filter in seq order (or newest first), with an exact total: one count query and one
   * page query from the indexes, keyset on seq, so a page costs the same at the millionth entry.
   */
  async list(
    executor: Executor,
    filter: OpLogFilter,
    first: number,
    after: string | null,
    order: 'ASC' | 'DESC' = 'ASC',
  ): Promise<Page<OpLogEntry>> {
    if (filter.ciId && filter.ciCode) {
      throw new ValidationError('name the CI by ciId or by ciCode, not both', { field: 'filter.ciCode' });
    }
    if (filter.from != null && filter.to != null && filter.from >= filter.to) {
      throw new ValidationError('filter.to must be after filter.from', { field: 'filter.to' });
    }
    const afterSeq = seqCursor(after);
    return executor.read(async (tx) => {
      let ciId: string | null = null;
      if (filter.ciId || filter.ciCode) {
        ciId = await this.repo.ciId(tx, { id: filter.ciId, code: filter.ciCode });
        if (!ciId) {
          throw new NotFoundError(`no CI ${JSON.stringify(filter.ciId ?? filter.ciCode)}`, {
            field: filter.ciId ? 'filter.ciId' : 'filter.ciCode',
          });
        }
      }
      const { ciCode: _code, ...rest } = filter;
      const { rows, totalCount } = await this.repo.list(tx, { ...rest, ciId }, first, afterSeq, order === 'DESC');
      const items = rows.slice(0, first).map(toEntry);
      const last = items[items.length - 1];
      return {
        items,
        totalCount,
        hasNextPage: rows.length > first,
        endCursor: last ? encodeCursor(String(last.seq)) : null,
      };
    });
  }

  /**
   * Walks the chain (or a range of it) in seq order, a page per read transaction, recomputing every
   * hash and checking each entry names its predecessor's hash, from the anchor; a walk that reaches
   * the head checks that the last entry is the head's. Entries appended meanwhile lie past the head
   * read at the start and are left for the next run.
   */
  async verify(executor: Executor, options: VerifyOptions = {}): Promise<VerifyResult> {
    for (let attempt = 1; ; attempt++) {
      const head = await this.head(executor);
      const result = await this.walk(executor, head, options);
      if (result.ok || attempt === 3) return result;
      // A purge that ran meanwhile deleted the start of the walk: begin again from its anchor.
      const now = await this.head(executor);
      if (now.anchorSeq === head.anchorSeq) return result;
    }
  }

  private async walk(executor: Executor, head: OpLogHeadState, options: VerifyOptions): Promise<VerifyResult> {
    const pageSize = options.pageSize ?? VERIFY_PAGE_SIZE;
    const fromSeq = Math.max(options.fromSeq ?? 0, head.anchorSeq + 1);
    const toSeq = Math.min(options.toSeq ?? head.seq, head.seq);
    let checked = 0;
    const done = (broken: ChainBreak | null): VerifyResult => ({
      ok: broken === null,
      checked,
      fromSeq,
      toSeq,
      headSeq: head.seq,
      anchorSeq: head.anchorSeq,
      firstBrokenSeq: broken?.seq ?? null,
      reason: broken?.reason ?? null,
      detail: broken?.detail ?? null,
    });

    const anchor = { seq: head.anchorSeq, hash: head.anchorHash };
    if (fromSeq > toSeq) {
      // Nothing in range; a chain purged up to its head must still end where the head says.
      return done(fromSeq === head.anchorSeq + 1 && toSeq === head.seq ? checkHead(anchor, head) : null);
    }
    let prev: ChainLink;
    if (fromSeq === head.anchorSeq + 1) {
      prev = anchor;
    } else {
      const before = await executor.read((tx) => this.repo.bySeq(tx, fromSeq - 1));
      if (!before) {
        return done({ seq: fromSeq, reason: 'SEQ_GAP', detail: `entry ${fromSeq - 1} is missing (deleted)` });
      }
      prev = { seq: fromSeq - 1, hash: before.hash as string };
    }

    for (let next = fromSeq; next <= toSeq;) {
      const page = await executor.read((tx) => this.repo.range(tx, next, toSeq, pageSize));
      for (const props of page) {
        const entry = toEntry(props);
        const broken = checkLink(prev, entry);
        if (broken) return done(broken);
        prev = { seq: entry.seq, hash: entry.hash };
        checked++;
      }
      if (page.length < pageSize) break;
      next = prev.seq + 1;
    }

    if (toSeq === head.seq) return done(checkHead(prev, head));
    if (prev.seq < toSeq) {
      return done({
        seq: prev.seq + 1,
        reason: 'SEQ_GAP',
        detail:
          prev.seq + 1 === toSeq
            ? `entry ${toSeq} is missing (deleted)`
            : `entries ${prev.seq + 1}–${toSeq} are missing (deleted)`,
      });
    }
    return done(null);
  }

  /**
   * Deletes the entries older than the retention period, from the oldest, a batch per write
   * transaction; each batch moves the head's anchor to its last entry in the same transaction, so
   * what remains verifies. Stops at the first entry inside the retention period, and at any entry
   * that does not follow its predecessor: evidence of tampering is never purged.
   */
  async purge(executor: Executor, options: PurgeOptions): Promise<PurgeResult> {
    if (!Number.isFinite(options.retentionDays) || options.retentionDays < MIN_OPLOG_RETENTION_DAYS) {
      throw new ValidationError(
        `the operation log is kept at least ${MIN_OPLOG_RETENTION_DAYS} days (§9.1.5.1 e); got ${options.retentionDays}`,
        { field: 'retentionDays' },
      );
    }
    const dryRun = options.dryRun === true;
    const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
    const cutoff = purgeCutoff(options.now, options.retentionDays, options.before);
    let simulated: ChainLink | null = null;
    const result: PurgeResult = {
      dryRun,
      cutoff,
      deleted: 0,
      firstSeq: null,
      lastSeq: null,
      anchorSeq: 0,
      anchorHash: '',
      broken: null,
    };
    for (;;) {
      const step = async (tx: Tx): Promise<{ from: ChainLink; plan: PurgePlan; full: boolean }> => {
        // The head lock first, as every writer takes it: purges and appends never interleave.
        if (!dryRun) await this.repo.lockAndReadHead(tx, Date.now());
        const head = await this.repo.readHead(tx);
        const from = simulated ?? { seq: head.anchorSeq, hash: head.anchorHash };
        const page = (await this.repo.range(tx, from.seq + 1, head.seq, batchSize)).map(toEntry);
        const plan = planPurge(from, page, cutoff);
        if (!dryRun && plan.count > 0) await this.repo.deletePrefix(tx, from.seq, plan.anchor);
        return { from, plan, full: page.length === batchSize };
      };
      const { from, plan, full } = dryRun ? await executor.read(step) : await executor.write(step);
      if (plan.count > 0) {
        result.firstSeq ??= from.seq + 1;
        result.lastSeq = plan.anchor.seq;
        result.deleted += plan.count;
      }
      result.anchorSeq = plan.anchor.seq;
      result.anchorHash = plan.anchor.hash;
      if (dryRun) simulated = plan.anchor;
      if (plan.stop === 'BROKEN') result.broken = plan.broken;
      if (plan.stop !== 'END' || !full) return result;
    }
  }
}

/** The scheduled retention job (§9.1.5.1 e): purges what is older than OPLOG_RETENTION_DAYS. */
export function purgeExpired(
  services: Pick<Services, 'executor' | 'oplog'>,
  config: { oplog: Pick<Config['oplog'], 'retentionDays'> },
  now: number = Date.now(),
  options: Pick<PurgeOptions, 'dryRun' | 'before' | 'batchSize'> = {},
): Promise<PurgeResult> {
  return services.oplog.purge(services.executor, { ...options, now, retentionDays: config.oplog.retentionDays });
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
