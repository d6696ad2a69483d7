// The operation log against the real Neo4j (§7.1.4.1 c, §9.1.5.1 e): read by filter with exact
// totals; append-only through the API; an entry edited or deleted in the database is found at its
// seq; purging keeps six months and leaves a chain that verifies.
//
// Other files append to the same chain concurrently: these tests filter by their own actor, verify
// the seq ranges they tampered with, put every tampered entry back exactly in a `finally`, and try
// purging only on scratch chains of their own.

import { buildAppSchema } from '../../src/schema';
import { Role } from '../../src/platform/auth/roles';
import { createLogger } from '../../src/platform/logging';
import { OpLogRepository, type OpLogChain } from '../../src/oplog/oplog.repository';
import { OpLogService, purgeExpired, toEntry, type OpLogEntry } from '../../src/oplog/oplog.service';
import { DAY_MS } from '../../src/oplog/oplog.chain';
import { batchDigest, type BatchCreateSummary } from '../../src/cis/ci.batch';
import { purgeOplogCommand, verifyOplogCommand } from '../../src/cli/oplog.commands';
import {
  createTeam,
  ctxFor,
  startTestApp,
  TEST_TICKET,
  testConfig,
  tokenFor,
  uniq,
  type TestApp,
} from '../support/harness';

let app: TestApp;
let team: string;
const manager = tokenFor([Role.CONFIG_MANAGER], 'user:oplog-cm');
const security = tokenFor([Role.SECURITY_MANAGER], 'user:oplog-sec');
const auditor = tokenFor([Role.AUDITOR], 'user:oplog-audit');
const engineer = tokenFor([Role.OPS_ENGINEER], 'user:oplog-ops');

const LOG = `query($filter: OperationLogFilter, $first: Int, $after: String, $order: OperationLogOrder) {
  operationLog(filter: $filter, first: $first, after: $after, order: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { seq at actor action targetType targetId ticket source before after hash } }
  }
}`;
const VERIFY = `query($fromSeq: Int, $toSeq: Int) {
  verifyOperationLog(fromSeq: $fromSeq, toSeq: $toSeq) { ok checked fromSeq toSeq headSeq anchorSeq firstBrokenSeq reason detail }
}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A VM written by `actor` (created, then updated `updates` times), and its entries in seq order. */
async function vmWithHistory(actor: string, updates = 2): Promise<{ id: string; code: string; entries: OpLogEntry[] }> {
  const s = uniq();
  const code = `VM-OPLOG-${s}`;
  const vm = await app.services.cis.create(ctxFor(actor), {
    class: 'VirtualMachine',
    code,
    name: `日志测试 ${s}`,
    owner: team,
    attributes: { hostname: `oplog-${s.toLowerCase()}` },
  });
  for (let v = 1; v <= updates; v++) {
    await sleep(3); // distinct `at` values for the time-window filters
    await app.services.cis.update(ctxFor(actor), { id: vm.id, expectedVersion: v, attributes: { cpuCores: v * 2 } });
  }
  return { id: vm.id, code, entries: await app.services.cis.history(vm.id) };
}

async function entryProps(seq: number): Promise<{ props: Record<string, unknown>; ciIds: string[] }> {
  const [row] = await app.executor.query(
    'MATCH (o:OpLog {seq: $seq}) OPTIONAL MATCH (o)-[:CONCERNS]->(c:CI) RETURN o {.*} AS props, collect(c.id) AS ciIds',
    { seq },
  );
  return { props: row.props as Record<string, unknown>, ciIds: row.ciIds as string[] };
}

async function verifyRange(fromSeq: number, toSeq: number, token = security) {
  const res = await app.gql(VERIFY, { fromSeq, toSeq }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.verifyOperationLog;
}

/** The CLI as an operator runs it, against the test database; its output and exit code. */
async function cli(command: typeof verifyOplogCommand, args: string[]): Promise<{ code: number; out: string }> {
  const config = testConfig({
    NEO4J_URI: process.env.CMDB_TEST_NEO4J_URI!,
    ...(process.env.TEST_NEO4J_USERNAME ? { NEO4J_USERNAME: process.env.TEST_NEO4J_USERNAME } : {}),
    ...(process.env.TEST_NEO4J_PASSWORD ? { NEO4J_PASSWORD: process.env.TEST_NEO4J_PASSWORD } : {}),
  });
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    lines.push(parts.join(' '));
  });
  try {
    const code = await command(config, createLogger('silent'), args);
    return { code, out: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
});

afterAll(async () => {
  await app.close();
});

describe('reading the log', () => {
  const actor = `user:oplog-${uniq().toLowerCase()}`;
  let vm: Awaited<ReturnType<typeof vmWithHistory>>;

  beforeAll(async () => {
    vm = await vmWithHistory(actor);
  });

  it('lists an actor’s entries in seq order, with an exact total and keyset pages', async () => {
    const first = await app.gql(LOG, { filter: { actor }, first: 2 }, security);
    expect(first.errors).toBeUndefined();
    const page1 = first.data!.operationLog;
    expect(page1.totalCount).toBe(3);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.edges.map((e: any) => e.node.action)).toEqual(['CI_CREATE', 'CI_UPDATE']);
    expect(page1.edges[0].node).toMatchObject({
      seq: vm.entries[0].seq,
      actor,
      targetType: 'CI',
      targetId: vm.id,
      before: null,
      after: expect.objectContaining({ code: vm.code }),
      hash: vm.entries[0].hash,
    });

    const second = await app.gql(LOG, { filter: { actor }, first: 2, after: page1.pageInfo.endCursor }, auditor);
    const page2 = second.data!.operationLog;
    expect(page2.totalCount).toBe(3);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect(page2.edges.map((e: any) => e.node.seq)).toEqual([vm.entries[2].seq]);

    const newest = await app.gql(LOG, { filter: { actor }, order: 'DESC' }, manager);
    expect(newest.data!.operationLog.edges.map((e: any) => e.node.seq)).toEqual(vm.entries.map((e) => e.seq).reverse());
  });

  it('filters by CI (id or code), action, ticket and time window', async () => {
    const seqs = async (filter: Record<string, unknown>) => {
      const res = await app.gql(LOG, { filter }, security);
      expect(res.errors).toBeUndefined();
      const { totalCount, edges } = res.data!.operationLog;
      expect(totalCount).toBe(edges.length);
      return edges.map((e: any) => e.node.seq);
    };
    const all = vm.entries.map((e) => e.seq);
    expect(await seqs({ ciId: vm.id })).toEqual(all);
    expect(await seqs({ ciCode: vm.code })).toEqual(all);
    expect(await seqs({ actor, action: 'CI_UPDATE' })).toEqual(all.slice(1));
    expect(await seqs({ ticket: vm.entries[0].ticket, ciCode: vm.code })).toEqual(all);
    const t = (i: number) => new Date(vm.entries[i].at).toISOString();
    expect(await seqs({ actor, from: t(1) })).toEqual(all.slice(1));
    expect(await seqs({ actor, to: t(1) })).toEqual(all.slice(0, 1));
    expect(await seqs({ ciCode: vm.code, from: t(1), to: t(2) })).toEqual(all.slice(1, 2));
  });

  it('reads the whole log in seq order from its first entry, newest first from its last', async () => {
    const [{ n: before }] = await app.executor.query('MATCH (o:OpLog) RETURN count(o) AS n');
    const head = await app.services.oplog.head(app.executor);
    const res = await app.gql(LOG, { first: 5 }, security);
    const { totalCount, edges } = res.data!.operationLog;
    expect(totalCount).toBeGreaterThanOrEqual(before as number);
    expect(edges[0].node.seq).toBe(head.anchorSeq + 1);
    const seqs = edges.map((e: any) => e.node.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const newest = await app.gql(LOG, { first: 1, order: 'DESC' }, security);
    expect(newest.data!.operationLog.edges[0].node.seq).toBeGreaterThanOrEqual(head.seq);
  });

  it('refuses roles without READ_OPLOG, unknown CIs and bad cursors', async () => {
    const forbidden = await app.gql(LOG, { filter: { actor } }, engineer);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.data).toBeNull();
    expect((await app.gql(VERIFY, {}, engineer)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await app.gql(LOG, {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const unknown = await app.gql(LOG, { filter: { ciCode: `VM-NOPE-${uniq()}` } }, security);
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'filter.ciCode' });
    const both = await app.gql(LOG, { filter: { ciId: vm.id, ciCode: vm.code } }, security);
    expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'filter.ciCode' });
    const cursor = await app.gql(LOG, { after: 'bm90LWEtY3Vyc29y' }, security);
    expect(cursor.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'after' });
    const big = await app.gql(LOG, { first: 501 }, security);
    expect(big.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });
});

describe('bulk writes', () => {
  it('logs a batch as one BATCH_CREATE entry that names what it created, found by CI, ticket and actor', async () => {
    const s = uniq();
    const actor = `user:oplog-bulk-${s.toLowerCase()}`;
    const stored = `SRV-OPLOG-S-${s}`;
    const host = `SRV-OPLOG-N-${s}`;
    const vms = [1, 2, 3].map((i) => `VM-OPLOG-B${i}-${s}`);
    const server = (code: string) => ({
      class: 'PhysicalServer',
      code,
      name: code,
      owner: team,
      attributes: { serialNumber: `SN-${code}`, vendorModel: 'x' },
    });
    const storedHost = await app.services.cis.create(ctxFor(), server(stored));
    const result = await app.services.cis.createBatch(ctxFor(actor), {
      cis: [
        server(host),
        ...vms.map((code) => ({
          class: 'VirtualMachine',
          code,
          name: code,
          owner: team,
          attributes: { hostname: code.toLowerCase() },
        })),
      ],
      relations: [
        { type: 'RUNS_ON', source: vms[0], target: host },
        { type: 'RUNS_ON', source: vms[1], target: host },
        { type: 'RUNS_ON', source: vms[2], target: stored },
      ],
    });

    const res = await app.gql(LOG, { filter: { actor, ticket: TEST_TICKET } }, security);
    expect(res.errors).toBeUndefined();
    expect(res.data!.operationLog.totalCount).toBe(1);
    const entry = res.data!.operationLog.edges[0].node;
    const created = result.cis.map((c) => c.id);
    expect(entry).toMatchObject({ action: 'BATCH_CREATE', targetType: 'BATCH', source: 'test', before: null });
    const after = entry.after as BatchCreateSummary;
    expect(after).toMatchObject({ cis: 4, relations: 3, ciIds: created });
    expect(after.relationIds).toEqual(result.relations.map((r) => r.id));

    // Every CI created, and the stored CI that gained a relationship, finds the entry in its history.
    for (const id of [...created, storedHost.id]) {
      expect((await app.services.cis.history(id)).map((e) => e.seq)).toContain(entry.seq);
    }
    const byCode = await app.gql(LOG, { filter: { ciCode: vms[2], action: 'BATCH_CREATE' } }, auditor);
    expect(byCode.data!.operationLog.edges.map((e: any) => e.node.seq)).toEqual([entry.seq]);

    // The digest is of what the store holds: each CI's first version and each relationship.
    const versions = await app.executor.query(
      'UNWIND $ids AS id MATCH (v:CIVersion {ciId: id, version: 1}) RETURN v.ciId AS id, v.state AS state',
      { ids: after.ciIds },
    );
    const states = new Map(versions.map((v) => [v.id as string, v.state as string]));
    const rels = await app.executor.query(
      'MATCH (a:CI)-[r]->(b:CI) WHERE a.id IN $ids AND r.id IN $relIds RETURN r.id AS id, type(r) AS type, a.id AS sourceId, b.id AS targetId',
      { ids: after.ciIds, relIds: after.relationIds },
    );
    const byId = new Map(rels.map((r) => [r.id as string, r]));
    const digest = batchDigest(
      after.ciIds.map((id) => ({ id, state: states.get(id)! })),
      after.relationIds.map((id) => {
        const r = byId.get(id)!;
        return { id, type: r.type as string, sourceId: r.sourceId as string, targetId: r.targetId as string };
      }),
    );
    expect(digest).toBe(after.sha256);

    // The entry is in the chain: intact it verifies, edited it does not.
    expect(await verifyRange(entry.seq, entry.seq)).toMatchObject({ ok: true, checked: 1 });
    const { props } = await entryProps(entry.seq);
    try {
      const edited = JSON.stringify({ ...after, relationIds: after.relationIds.slice(1) });
      await app.executor.write((tx) =>
        tx.run('MATCH (o:OpLog {seq: $seq}) SET o.after = $after', { seq: entry.seq, after: edited }),
      );
      expect(await verifyRange(entry.seq, entry.seq)).toMatchObject({
        ok: false,
        reason: 'HASH_MISMATCH',
        firstBrokenSeq: entry.seq,
      });
    } finally {
      await app.executor.write((tx) =>
        tx.run('MATCH (o:OpLog {seq: $seq}) SET o.after = $after', { seq: entry.seq, after: props.after }),
      );
    }
    expect(await verifyRange(entry.seq, entry.seq)).toMatchObject({ ok: true });
  });

  it('single creates keep an entry per CI and per relationship', async () => {
    const s = uniq();
    const actor = `user:oplog-single-${s.toLowerCase()}`;
    const host = `SRV-OPLOG-1-${s}`;
    await app.services.cis.create(ctxFor(actor), {
      class: 'PhysicalServer',
      code: host,
      name: host,
      owner: team,
      attributes: { serialNumber: `SN-${host}`, vendorModel: 'x' },
    });
    await app.services.cis.create(ctxFor(actor), {
      class: 'VirtualMachine',
      code: `VM-OPLOG-1-${s}`,
      name: 'single',
      owner: team,
      attributes: { hostname: `oplog-1-${s.toLowerCase()}` },
      relations: [{ type: 'RUNS_ON', target: host }],
    });
    const res = await app.gql(LOG, { filter: { actor } }, security);
    expect(res.data!.operationLog.edges.map((e: any) => e.node.action)).toEqual([
      'CI_CREATE',
      'CI_CREATE',
      'RELATION_CREATE',
    ]);
  });
});

describe('append-only', () => {
  it('the API has no mutation that touches the log', async () => {
    const schema = await buildAppSchema();
    const names = Object.keys(schema.getMutationType()!.getFields());
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => /oplog|operationLog|log/i.test(n))).toEqual([]);
  });

  it('no mutation changes an entry already written', async () => {
    const mine = await vmWithHistory(`user:oplog-${uniq().toLowerCase()}`, 1);
    const fromSeq = mine.entries[0].seq;
    const head = await app.services.oplog.head(app.executor);
    const snapshot = await app.executor.query(
      'MATCH (o:OpLog) WHERE o.seq >= $from AND o.seq <= $to RETURN o {.*} AS e ORDER BY o.seq',
      { from: fromSeq, to: head.seq },
    );
    expect(snapshot.length).toBe(head.seq - fromSeq + 1);

    const s = uniq();
    const ref = `INIT-OPLOG-${s}`;
    const code = `VM-OPLOG-M-${s}`;
    const secondManager = tokenFor([Role.CONFIG_MANAGER], 'user:oplog-cm2');
    const steps: [string, string, Record<string, unknown>, string?][] = [
      [
        'openTicket',
        `mutation($i: OpenTicketInput!) { openTicket(input: $i) { ref } }`,
        { i: { kind: 'INITIALIZATION', ref, title: '日志测试', scope: [mine.code] } },
      ],
      ['approveTicket', `mutation($t: String!) { approveTicket(ticket: $t) { state } }`, { t: ref }, secondManager],
      [
        'transitionTicket',
        `mutation($t: String!) { transitionTicket(ticket: $t, state: IN_PROGRESS) { state } }`,
        { t: ref },
      ],
      [
        'createCI',
        `mutation($i: CreateCIInput!) { createCI(input: $i) { id } }`,
        {
          i: {
            class: 'VirtualMachine',
            code,
            name: '日志测试',
            owner: team,
            attributes: { hostname: `oplog-m-${s.toLowerCase()}` },
            ticket: ref,
          },
        },
      ],
      [
        'changeTicketScope',
        `mutation($i: TicketScopeInput!) { changeTicketScope(input: $i) { ref } }`,
        { i: { ticket: ref, add: [team] } },
      ],
      [
        'updateCI',
        `mutation($i: UpdateCIInput!) { updateCI(input: $i) { version } }`,
        { i: { code, expectedVersion: 1, attributes: { ipAddress: '10.9.9.9' }, ticket: ref } },
      ],
      [
        'createRelation',
        `mutation($i: RelationInput!) { createRelation(input: $i) { id } }`,
        { i: { type: 'DR_COUNTERPART_OF', source: mine.code, target: code, ticket: ref } },
      ],
      [
        'endRelation',
        `mutation($i: RelationInput!) { endRelation(input: $i) { id } }`,
        { i: { type: 'DR_COUNTERPART_OF', source: mine.code, target: code, ticket: ref } },
      ],
      [
        'changeLifecycle',
        `mutation($i: ChangeLifecycleInput!) { changeLifecycle(input: $i) { version } }`,
        { i: { code: mine.code, expectedVersion: 2, state: 'BUILDING', ticket: ref } },
      ],
      [
        'retireCI',
        `mutation($i: RetireCIInput!) { retireCI(input: $i) { lifecycle } }`,
        { i: { code, expectedVersion: 2, ticket: ref } },
      ],
    ];
    for (const [name, mutation, variables, token] of steps) {
      const res = await app.gql(mutation, variables, token ?? manager);
      expect({ name, errors: res.errors }).toEqual({ name, errors: undefined });
    }
    // A refused write writes nothing, the log included.
    const refused = await app.gql(
      `mutation($i: UpdateCIInput!) { updateCI(input: $i) { version } }`,
      { i: { code, expectedVersion: 1, name: 'stale', ticket: ref } },
      manager,
    );
    expect(refused.errors).toBeDefined();

    const after = await app.executor.query(
      'MATCH (o:OpLog) WHERE o.seq >= $from AND o.seq <= $to RETURN o {.*} AS e ORDER BY o.seq',
      { from: fromSeq, to: head.seq },
    );
    expect(after).toEqual(snapshot);
    const now = await app.services.oplog.head(app.executor);
    expect(await verifyRange(fromSeq, now.seq)).toMatchObject({ ok: true, checked: now.seq - fromSeq + 1 });
  });
});

describe('verification', () => {
  it('finds a clean log intact, from its anchor to its head', async () => {
    const res = await app.gql(VERIFY, {}, auditor);
    expect(res.errors).toBeUndefined();
    const result = res.data!.verifyOperationLog;
    expect(result).toMatchObject({ ok: true, firstBrokenSeq: null, reason: null, detail: null });
    expect(result.checked).toBe(result.headSeq - result.anchorSeq);
    expect(result.checked).toBeGreaterThan(0);
    // A range past the head holds nothing to check, and nothing wrong.
    const beyond = await verifyRange(result.headSeq + 1_000_000, result.headSeq + 2_000_000);
    expect(beyond).toMatchObject({ ok: true, checked: 0 });
    const { code, out } = await cli(verifyOplogCommand, []);
    expect({ code, out }).toEqual({
      code: 0,
      out: expect.stringMatching(/^operation log intact: \d+ entries checked/),
    });
  });

  it('reports an entry edited in the database at its seq, and is content once it is put back', async () => {
    const { entries } = await vmWithHistory(`user:oplog-${uniq().toLowerCase()}`);
    const [a, b, c] = entries.map((e) => e.seq);
    const original = await entryProps(b);
    try {
      await app.executor.write((tx) =>
        tx.run(`MATCH (o:OpLog {seq: $seq}) SET o.after = '{"cpuCores":64}'`, { seq: b }),
      );
      expect(await verifyRange(a, c)).toMatchObject({
        ok: false,
        firstBrokenSeq: b,
        reason: 'HASH_MISMATCH',
        detail: `entry ${b} does not match its hash (edited)`,
      });
      expect(await verifyRange(b, b)).toMatchObject({ ok: false, firstBrokenSeq: b, reason: 'HASH_MISMATCH' });
      const { code, out } = await cli(verifyOplogCommand, ['--from-seq', String(a), '--to-seq', String(c)]);
      expect(code).toBe(1);
      expect(out).toContain(`operation log BROKEN at seq ${b}: HASH_MISMATCH`);
    } finally {
      await app.executor.write((tx) =>
        tx.run('MATCH (o:OpLog {seq: $seq}) SET o = $props', { seq: b, props: original.props }),
      );
    }
    expect(await entryProps(b)).toEqual(original);
    expect(await verifyRange(a, c)).toMatchObject({ ok: true, checked: c - a + 1 });
    const { code } = await cli(verifyOplogCommand, ['--from-seq', String(a), '--to-seq', String(c)]);
    expect(code).toBe(0);
  });

  it('reports an entry deleted from the database at the next seq', async () => {
    const { id, entries } = await vmWithHistory(`user:oplog-${uniq().toLowerCase()}`);
    const [a, b, c] = entries.map((e) => e.seq);
    const original = await entryProps(b);
    expect(original.ciIds).toEqual([id]);
    try {
      await app.executor.write((tx) => tx.run('MATCH (o:OpLog {seq: $seq}) DETACH DELETE o', { seq: b }));
      expect(await verifyRange(a, c)).toMatchObject({
        ok: false,
        firstBrokenSeq: b + 1,
        reason: 'SEQ_GAP',
        detail: `entry ${b} is missing (deleted)`,
      });
      // A range that starts right after the hole sees it too.
      expect(await verifyRange(b + 1, c)).toMatchObject({ ok: false, firstBrokenSeq: b + 1, reason: 'SEQ_GAP' });
      const verdict = await app.gql(VERIFY, {}, security);
      expect(verdict.data!.verifyOperationLog).toMatchObject({ ok: false, firstBrokenSeq: b + 1 });
    } finally {
      await app.executor.write((tx) =>
        tx.run(
          `CREATE (o:OpLog) SET o = $props
           WITH o UNWIND $ciIds AS ciId MATCH (c:CI {id: ciId}) CREATE (o)-[:CONCERNS]->(c)`,
          original,
        ),
      );
    }
    expect(await entryProps(b)).toEqual(original);
    expect((await app.services.cis.history(id)).map((e) => e.seq)).toEqual([a, b, c]);
    expect(await verifyRange(a, c)).toMatchObject({ ok: true, checked: c - a + 1 });
  });
});

describe('retention and purge (on scratch chains)', () => {
  const scratch: OpLogChain[] = [];

  /** A chain of its own, with entries written through the ordinary append path at the given times. */
  async function scratchChain(times: number[]) {
    const s = uniq();
    const chain = { key: `test-${s}`, label: `OpLogScratch${s}` };
    scratch.push(chain);
    const oplog = new OpLogService(new OpLogRepository(chain));
    await oplog.ensureChain(app.executor);
    await append(oplog, times);
    return { chain, oplog };
  }

  async function append(oplog: OpLogService, times: number[]) {
    for (const [i, at] of times.entries()) {
      await app.executor.write((tx) =>
        oplog.record(tx, { actor: 'test', at, source: 'test', ticket: null }, [
          { action: 'TEST', targetType: 'CI', targetId: `t-${i}`, ciIds: [], before: null, after: { i } },
        ]),
      );
    }
  }

  async function stored(chain: OpLogChain): Promise<OpLogEntry[]> {
    const rows = await app.executor.query(`MATCH (o:${chain.label}) RETURN o {.*} AS e ORDER BY o.seq`);
    return rows.map((r) => toEntry(r.e as Record<string, unknown>));
  }

  afterAll(async () => {
    for (const chain of scratch) {
      await app.executor.write((tx) => tx.run(`MATCH (o:${chain.label}) DETACH DELETE o`));
      await app.executor.write((tx) => tx.run('MATCH (h:OpLogHead {key: $key}) DELETE h', { key: chain.key }));
    }
  });

  const now = Date.now();
  const old = (i: number) => now - 400 * DAY_MS + i;
  const recent = (i: number) => now - 10 * DAY_MS + i;

  it('deletes only what is older than the retention period, from the oldest, and the rest verifies', async () => {
    const { chain, oplog } = await scratchChain([old(0), old(1), old(2), recent(0), recent(1)]);
    const entries = await stored(chain);
    expect(await oplog.verify(app.executor)).toMatchObject({ ok: true, checked: 5, anchorSeq: 0 });

    const dry = await oplog.purge(app.executor, { now, retentionDays: 183, dryRun: true, batchSize: 2 });
    expect(dry).toMatchObject({ dryRun: true, deleted: 3, firstSeq: 1, lastSeq: 3, anchorSeq: 3 });
    expect(await stored(chain)).toHaveLength(5);
    expect((await oplog.head(app.executor)).anchorSeq).toBe(0);

    // Asking for more (everything before tomorrow) still takes nothing younger than 183 days.
    const purged = await oplog.purge(app.executor, {
      now,
      retentionDays: 183,
      before: now + DAY_MS,
      batchSize: 2,
    });
    expect(purged).toMatchObject({
      dryRun: false,
      cutoff: now - 183 * DAY_MS,
      deleted: 3,
      firstSeq: 1,
      lastSeq: 3,
      anchorSeq: 3,
      anchorHash: entries[2].hash,
      broken: null,
    });
    expect((await stored(chain)).map((e) => e.seq)).toEqual([4, 5]);
    expect(await oplog.head(app.executor)).toMatchObject({ seq: 5, anchorSeq: 3, anchorHash: entries[2].hash });
    expect(await oplog.verify(app.executor)).toMatchObject({ ok: true, checked: 2, fromSeq: 4, anchorSeq: 3 });

    // The chain goes on from its anchor, and a second purge finds nothing to do.
    await append(oplog, [now]);
    expect(await oplog.verify(app.executor)).toMatchObject({ ok: true, checked: 3 });
    expect(await oplog.purge(app.executor, { now, retentionDays: 183 })).toMatchObject({ deleted: 0, anchorSeq: 3 });

    // Longer retention keeps more: 400 days kept means none of these go.
    expect(await oplog.purge(app.executor, { now: now + 300 * DAY_MS, retentionDays: 400 })).toMatchObject({
      deleted: 0,
    });
  });

  it('purges everything once it has all expired, through the scheduled job, and the empty chain still verifies', async () => {
    const { chain, oplog } = await scratchChain([old(0), recent(0), recent(1)]);
    const last = (await stored(chain))[2];
    const later = now + 400 * DAY_MS;
    const result = await purgeExpired({ executor: app.executor, oplog }, { oplog: { retentionDays: 183 } }, later);
    expect(result).toMatchObject({ deleted: 3, anchorSeq: 3, anchorHash: last.hash });
    expect(await stored(chain)).toEqual([]);
    expect(await oplog.verify(app.executor)).toMatchObject({ ok: true, checked: 0, headSeq: 3, anchorSeq: 3 });
  });

  it('refuses to purge past a tampered entry, and verification names it', async () => {
    const { chain, oplog } = await scratchChain([old(0), old(1), old(2), old(3)]);
    await app.executor.write((tx) => tx.run(`MATCH (o:${chain.label} {seq: 3}) SET o.actor = 'someone-else'`));
    const result = await oplog.purge(app.executor, { now, retentionDays: 183 });
    expect(result).toMatchObject({ deleted: 2, lastSeq: 2, anchorSeq: 2, broken: { seq: 3, reason: 'HASH_MISMATCH' } });
    expect((await stored(chain)).map((e) => e.seq)).toEqual([3, 4]);
    expect(await oplog.verify(app.executor)).toMatchObject({ ok: false, firstBrokenSeq: 3, reason: 'HASH_MISMATCH' });
  });

  it('will not purge with less than six months of retention', async () => {
    const { chain, oplog } = await scratchChain([old(0)]);
    await expect(oplog.purge(app.executor, { now, retentionDays: 90 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await stored(chain)).toHaveLength(1);
  });

  it('the purge command dry-runs against the real log and deletes nothing', async () => {
    const [{ n: before }] = await app.executor.query('MATCH (o:OpLog) RETURN count(o) AS n');
    const { code, out } = await cli(purgeOplogCommand, ['--dry-run']);
    expect(code).toBe(0);
    // The test database holds nothing older than six months (unless TEST_NEO4J_URI points at an old one).
    expect(out).toMatch(/^(nothing to purge|would purge \d+ entries)/);
    const [{ n: after }] = await app.executor.query('MATCH (o:OpLog) RETURN count(o) AS n');
    expect(after).toBeGreaterThanOrEqual(before as number);
  });
});
