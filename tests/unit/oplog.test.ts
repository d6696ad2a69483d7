// The operation log's pure logic: what verification reports for an edited, deleted, re-hashed or
// truncated entry; which entries a purge takes (never one inside the retention period, never past
// a break); the retention setting; and the list queries, which keep every value a parameter.

import { loadConfig, ConfigError } from '../../src/platform/config';
import {
  checkHead,
  checkLink,
  DAY_MS,
  entryDigest,
  planPurge,
  purgeCutoff,
  type ChainLink,
  type OpLogEntry,
} from '../../src/oplog/oplog.chain';
import { oplogListQueries, oplogQueries } from '../../src/oplog/oplog.repository';
import { OpLogService, toEntry } from '../../src/oplog/oplog.service';
import { describePurge, describeVerification } from '../../src/cli/oplog.commands';
import type { Executor } from '../../src/platform/neo4j/executor';

const T0 = Date.UTC(2024, 0, 1);

/** A valid chain of `n` entries after `anchor`, one an hour from T0 unless `at` says otherwise. */
function chain(n: number, anchor: ChainLink = { seq: 0, hash: '' }, at = (i: number) => T0 + i * 3_600_000) {
  const entries: OpLogEntry[] = [];
  let prev = anchor;
  for (let i = 0; i < n; i++) {
    const base = {
      seq: prev.seq + 1,
      at: at(i),
      actor: 'user:cm',
      action: 'UPDATE_CI',
      targetType: 'CI',
      targetId: `ci-${i}`,
      ticket: i % 2 ? 'CHG-1' : null,
      source: 'manual',
      before: i === 0 ? null : JSON.stringify({ v: i }),
      after: JSON.stringify({ v: i + 1 }),
      prevHash: prev.hash,
    };
    const entry = { ...base, hash: entryDigest(base) };
    entries.push(entry);
    prev = entry;
  }
  return entries;
}

/** What verification does over a page: the first break, walking from the anchor. */
function firstBreak(anchor: ChainLink, entries: OpLogEntry[], head?: ChainLink) {
  let prev = anchor;
  for (const e of entries) {
    const broken = checkLink(prev, e);
    if (broken) return broken;
    prev = e;
  }
  return head ? checkHead(prev, head) : null;
}

describe('verifying the chain', () => {
  const entries = chain(6);
  const head = { seq: 6, hash: entries[5].hash };

  it('accepts an intact chain up to its head', () => {
    expect(firstBreak({ seq: 0, hash: '' }, entries, head)).toBeNull();
  });

  it('reports an edited entry at its own seq', () => {
    const edited = entries.map((e) => (e.seq === 3 ? { ...e, after: JSON.stringify({ v: 999 }) } : e));
    expect(firstBreak({ seq: 0, hash: '' }, edited, head)).toMatchObject({ seq: 3, reason: 'HASH_MISMATCH' });
  });

  it.each(['actor', 'at', 'ticket', 'before', 'prevHash'] as const)('notices an edit of %s', (field) => {
    const value = field === 'at' ? T0 - 1 : field === 'ticket' || field === 'before' ? null : 'x';
    const edited = entries.map((e) => (e.seq === 4 ? { ...e, [field]: value } : e));
    // Entry 4 has a ticket and a before value, so each edit changes it.
    expect(firstBreak({ seq: 0, hash: '' }, edited)?.seq).toBe(4);
  });

  it('reports a deleted entry at the next seq, as a gap', () => {
    const deleted = entries.filter((e) => e.seq !== 3);
    expect(firstBreak({ seq: 0, hash: '' }, deleted, head)).toMatchObject({
      seq: 4,
      reason: 'SEQ_GAP',
      detail: 'entry 3 is missing (deleted)',
    });
  });

  it('reports an entry edited and re-hashed at the next seq, whose prevHash no longer matches', () => {
    const rehashed = entries.map((e) => {
      if (e.seq !== 3) return e;
      const { hash: _h, ...rest } = { ...e, after: JSON.stringify({ v: 999 }) };
      return { ...rest, hash: entryDigest(rest) };
    });
    expect(firstBreak({ seq: 0, hash: '' }, rehashed, head)).toMatchObject({ seq: 4, reason: 'PREV_HASH_MISMATCH' });
  });

  it('reports a truncated tail against the head', () => {
    expect(firstBreak({ seq: 0, hash: '' }, entries.slice(0, 4), head)).toMatchObject({
      seq: 5,
      reason: 'HEAD_MISMATCH',
    });
    expect(checkHead({ seq: 6, hash: 'other' }, head)).toMatchObject({ seq: 6, reason: 'HEAD_MISMATCH' });
  });

  it('checks from an anchor after a purge', () => {
    const rest = entries.slice(3);
    expect(firstBreak({ seq: 3, hash: entries[2].hash }, rest, head)).toBeNull();
    expect(firstBreak({ seq: 3, hash: 'forged' }, rest, head)).toMatchObject({ seq: 4, reason: 'PREV_HASH_MISMATCH' });
  });

  it('reads absent optional fields as null, as Neo4j stores no nulls', () => {
    const { ticket: _t, before: _b, ...stored } = entries[0];
    const read = toEntry(stored as Record<string, unknown>);
    expect(read).toEqual(entries[0]);
    expect(checkLink({ seq: 0, hash: '' }, read)).toBeNull();
  });
});

describe('planning a purge', () => {
  const now = T0 + 400 * DAY_MS;
  const retention = 183;
  const cutoff = purgeCutoff(now, retention);
  /** Three entries far older than the retention period, then three inside it. */
  const old = (i: number) => (i < 3 ? T0 + i * DAY_MS : now - (5 - i) * DAY_MS);
  const entries = chain(6, { seq: 0, hash: '' }, old);

  it('never reaches into the retention period, whatever is asked', () => {
    expect(purgeCutoff(now, retention)).toBe(now - 183 * DAY_MS);
    expect(purgeCutoff(now, retention, now)).toBe(now - 183 * DAY_MS);
    expect(purgeCutoff(now, retention, T0)).toBe(T0);
  });

  it('takes the oldest entries and moves the anchor to the last one it takes', () => {
    const plan = planPurge({ seq: 0, hash: '' }, entries, cutoff);
    expect(plan).toMatchObject({ count: 3, stop: 'YOUNG', anchor: { seq: 3, hash: entries[2].hash } });
    // What stays verifies from the new anchor.
    expect(firstBreak(plan.anchor, entries.slice(3), { seq: 6, hash: entries[5].hash })).toBeNull();
  });

  it('stops at the first young entry even if older ones follow it (seq order is purge order)', () => {
    const at = [T0, now - DAY_MS, T0 + DAY_MS];
    const mixed = chain(3, { seq: 0, hash: '' }, (i) => at[i]);
    expect(planPurge({ seq: 0, hash: '' }, mixed, cutoff)).toMatchObject({ count: 1, anchor: { seq: 1 } });
  });

  it('takes a whole page of expired entries and says so, for the next batch', () => {
    const allOld = chain(4, { seq: 0, hash: '' }, (i) => T0 + i);
    expect(planPurge({ seq: 0, hash: '' }, allOld, cutoff)).toMatchObject({
      count: 4,
      stop: 'END',
      anchor: { seq: 4 },
    });
    expect(planPurge({ seq: 7, hash: 'h' }, [], cutoff)).toMatchObject({ count: 0, stop: 'END', anchor: { seq: 7 } });
  });

  it('never purges past a broken entry: the evidence stays', () => {
    const tampered = entries.map((e) => (e.seq === 2 ? { ...e, actor: 'someone-else' } : e));
    const plan = planPurge({ seq: 0, hash: '' }, tampered, cutoff);
    expect(plan).toMatchObject({ count: 1, stop: 'BROKEN', anchor: { seq: 1 }, broken: { seq: 2 } });
    const gap = planPurge({ seq: 0, hash: '' }, entries.slice(1), cutoff);
    expect(gap).toMatchObject({ count: 0, stop: 'BROKEN', broken: { seq: 2, reason: 'SEQ_GAP' } });
  });

  it('refuses a retention period shorter than six months before touching the database', async () => {
    const service = new OpLogService();
    await expect(service.purge({} as Executor, { now, retentionDays: 30 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('OPLOG_RETENTION_DAYS', () => {
  it('defaults to 183 days (six months) and accepts longer', () => {
    expect(loadConfig({}).oplog.retentionDays).toBe(183);
    expect(loadConfig({ OPLOG_RETENTION_DAYS: '400' }).oplog.retentionDays).toBe(400);
  });

  it.each(['182', '30', '0', '-5', '200.5', 'half-a-year'])('refuses %s with a message naming the minimum', (raw) => {
    expect(() => loadConfig({ OPLOG_RETENTION_DAYS: raw })).toThrow(ConfigError);
    expect(() => loadConfig({ OPLOG_RETENTION_DAYS: raw })).toThrow(/OPLOG_RETENTION_DAYS.*183.*six months/);
  });
});

describe('operation-log queries', () => {
  const hostile = "x' OR 1=1 //`) DETACH DELETE o";

  it('keeps every filter value a parameter', () => {
    const q = oplogListQueries(
      'OpLog',
      { actor: hostile, ticket: hostile, action: hostile, ciId: hostile, from: 1, to: 2 },
      5,
      false,
    );
    expect(q.count + q.page).not.toContain(hostile);
    expect(q.params).toMatchObject({ actor: hostile, ticket: hostile, action: hostile, ciId: hostile, afterSeq: 5 });
  });

  it('reads a page in seq order from an index: (property, seq) for an equality, at for a window alone', () => {
    expect(oplogListQueries('OpLog', { actor: 'a' }, null, true).page).toContain('ORDER BY o.actor DESC, o.seq DESC');
    expect(oplogListQueries('OpLog', { from: 1 }, null, false).page).toContain('USING INDEX o:OpLog(at)');
    expect(oplogListQueries('OpLog', {}, null, false)).toMatchObject({
      count: 'MATCH (o:OpLog) RETURN count(o) AS total',
      params: { afterSeq: -1 },
    });
    // Scratch chains have no indexes to hint at.
    expect(oplogListQueries('OpLogScratchAB12', { from: 1 }, null, false).page).not.toContain('USING INDEX');
  });

  it('admits only the main label and scratch labels into Cypher text', () => {
    expect(() => oplogQueries('OpLog`) DETACH DELETE n //')).toThrow(/invalid operation-log label/);
    expect(() => oplogQueries('CI')).toThrow(/invalid operation-log label/);
    expect(() => oplogListQueries('OpLogScratch x', {}, null, false)).toThrow(/invalid operation-log label/);
  });
});

describe('the command line output', () => {
  const base = { checked: 10, fromSeq: 1, toSeq: 10, headSeq: 10, anchorSeq: 0 };

  it('names the seq and what broke', () => {
    expect(
      describeVerification({
        ...base,
        ok: false,
        firstBrokenSeq: 4,
        reason: 'SEQ_GAP',
        detail: 'entry 3 is missing (deleted)',
      }),
    ).toMatch(/BROKEN at seq 4: SEQ_GAP: entry 3 is missing/);
    expect(describeVerification({ ...base, ok: true, firstBrokenSeq: null, reason: null, detail: null })).toMatch(
      /intact: 10 entries checked/,
    );
  });

  it('says what a purge took and where the chain now starts', () => {
    expect(
      describePurge({
        dryRun: true,
        cutoff: T0,
        deleted: 3,
        firstSeq: 1,
        lastSeq: 3,
        anchorSeq: 3,
        anchorHash: 'h',
        broken: null,
      }),
    ).toBe('would purge 3 entries (seq 1–3) older than 2024-01-01T00:00:00.000Z; the chain would start after seq 3');
  });
});
