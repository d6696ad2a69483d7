// The hash chain of the operation log as pure logic: the digest of an entry, the check that one
// entry follows another, and the plan of a purge. No database: the service feeds it pages.

import { createHash } from 'node:crypto';

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

/** A point of the chain: an entry, the anchor (the last purged entry; seq 0, hash '' before any purge), or the head. */
export interface ChainLink {
  seq: number;
  hash: string;
}

/**
 * What broke, as verification reports it:
 * - HASH_MISMATCH: the entry no longer matches its own hash: it was edited.
 * - PREV_HASH_MISMATCH: the entry does not name its predecessor's hash: an entry before it was
 *   replaced (edited and re-hashed) or this one was inserted.
 * - SEQ_GAP: sequence numbers skip: the entries in between were deleted.
 * - HEAD_MISMATCH: the last entry is not the one the head records: the tail was truncated or replaced.
 */
export type ChainBreakReason = 'HASH_MISMATCH' | 'PREV_HASH_MISMATCH' | 'SEQ_GAP' | 'HEAD_MISMATCH';

export interface ChainBreak {
  /** The first entry (by seq) whose place in the chain does not hold. */
  seq: number;
  reason: ChainBreakReason;
  detail: string;
}

/** Whether `entry` follows `prev` in an intact chain; the break it shows otherwise. */
export function checkLink(prev: ChainLink, entry: OpLogEntry): ChainBreak | null {
  const expected = prev.seq + 1;
  if (entry.seq !== expected) {
    return entry.seq > expected
      ? {
          seq: entry.seq,
          reason: 'SEQ_GAP',
          detail:
            entry.seq === expected + 1
              ? `entry ${expected} is missing (deleted)`
              : `entries ${expected}–${entry.seq - 1} are missing (deleted)`,
        }
      : { seq: entry.seq, reason: 'SEQ_GAP', detail: `entry ${entry.seq} appears after entry ${prev.seq}` };
  }
  const { hash, ...rest } = entry;
  if (entryDigest(rest) !== hash) {
    return { seq: entry.seq, reason: 'HASH_MISMATCH', detail: `entry ${entry.seq} does not match its hash (edited)` };
  }
  if (entry.prevHash !== prev.hash) {
    return {
      seq: entry.seq,
      reason: 'PREV_HASH_MISMATCH',
      detail: `entry ${entry.seq} does not name the hash of entry ${prev.seq} (entry ${prev.seq} replaced, or ${entry.seq} inserted)`,
    };
  }
  return null;
}

/** The check at the end of a walk that reached the head: the last entry seen must be the one the head records. */
export function checkHead(last: ChainLink, head: ChainLink): ChainBreak | null {
  if (last.seq < head.seq) {
    return {
      seq: last.seq + 1,
      reason: 'HEAD_MISMATCH',
      detail:
        last.seq + 1 === head.seq
          ? `entry ${head.seq}, the head, is missing (the tail was truncated)`
          : `entries ${last.seq + 1}–${head.seq} up to the head are missing (the tail was truncated)`,
    };
  }
  if (last.seq !== head.seq || last.hash !== head.hash) {
    return {
      seq: head.seq,
      reason: 'HEAD_MISMATCH',
      detail: `entry ${last.seq} is not the entry the head records (seq ${head.seq}): the tail was replaced`,
    };
  }
  return null;
}

export const DAY_MS = 86_400_000;

/**
 * The moment before which entries may go: `now − retentionDays`, or `before` when that is earlier.
 * Whatever is asked, nothing younger than the retention period is ever purged.
 */
export function purgeCutoff(now: number, retentionDays: number, before?: number | null): number {
  const limit = now - retentionDays * DAY_MS;
  return before === null || before === undefined ? limit : Math.min(before, limit);
}

export interface PurgePlan {
  /** How many entries, from the first after the anchor, may go. */
  count: number;
  /** The new anchor: the last entry that goes; the old anchor when none does. */
  anchor: ChainLink;
  /**
   * Why the plan stops: YOUNG at an entry inside the retention period, BROKEN at an entry that
   * does not follow (evidence of tampering is never purged), END when the page ran out.
   */
  stop: 'YOUNG' | 'BROKEN' | 'END';
  broken: ChainBreak | null;
}

/**
 * Which entries of a page (in seq order, starting right after the anchor) a purge deletes: the
 * longest prefix of entries older than the cutoff that follow each other intactly. Entries go
 * strictly from the oldest, so what stays is always an unbroken chain from the new anchor.
 */
export function planPurge(anchor: ChainLink, page: readonly OpLogEntry[], cutoff: number): PurgePlan {
  let last = anchor;
  let count = 0;
  for (const entry of page) {
    if (entry.at >= cutoff) return { count, anchor: last, stop: 'YOUNG', broken: null };
    const broken = checkLink(last, entry);
    if (broken) return { count, anchor: last, stop: 'BROKEN', broken };
    last = { seq: entry.seq, hash: entry.hash };
    count++;
  }
  return { count, anchor: last, stop: 'END', broken: null };
}
