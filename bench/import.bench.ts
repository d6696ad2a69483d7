// Import benchmark: the synthetic estate into a fresh Neo4j through the product's bulk path
// (CIService.createBatch: validated, versioned, logged), timed overall, per section and per tenth.
//
//   npm run bench:import -- --cis 1000000 [--batch 5000] [--seed 42] [--heap 4g] [--pagecache 4g] [--keep]
//   npm run bench:import -- --cis 100000 --batch 2000,5000,10000     (one fresh database per batch size)
//   npm run bench:import -- --cis 100000 --drop-indexes oplog_at,ci_name_text   (what-if: an index's cost)
//   npm run bench:import -- --cis 100000 --explain     (PROFILE the bulk path's queries on the loaded store)
//   npm run bench:import -- --cis 100000 --stages      (time each query, the commit and the JS in between)
//
// With NEO4J_URI set, that server is used instead of an embedded one (it must hold no CIs).
// `--mode raw` (bench/raw-batch.ts) writes the same CIs and relationships with plain UNWIND … CREATE and
// nothing else instead: the floor the bulk path is measured against.
// `--mode initial` loads the estate into a new embedded store through the initial load
// (src/imports/initial-load.ts: the same checks, Neo4j's offline importer), then starts Neo4j and
// applies the migrations, which build the indexes: timed until the store is ready to serve.
//
//   npm run bench:import -- --mode initial --cis 1000000 [--batch 5000] [--heap 4g] [--keep]

import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDriver, Executor } from '../src/platform/neo4j/executor';
import { startEmbeddedNeo4j, type EmbeddedNeo4j } from '../src/platform/neo4j/embedded';
import { migrate } from '../src/platform/neo4j/migrate';
import { createServices, type Services } from '../src/services';
import { loadDefaultModel } from '../src/model/model.service';
import { PROJECT_ROOT } from '../src/platform/config';
import type { WriteContext } from '../src/oplog/oplog.service';
import type { NewCI, NewRelation } from '../src/cis/ci.batch';
import { ensureInitializationTicket } from '../src/cli/demo-estate';
import { generateEstate, SECTIONS, type EstateSection } from './estate-generator';
import { Flags, fmt, machine, stamp, table, writeResult, freePort } from './bench-util';
import { rawCreateBatch, StageClock } from './raw-batch';
import { TimedExecutor } from './timed-executor';
import { CompiledModel } from '../src/model/compiled-model';
import { initialLoad, type LoadBatch } from '../src/imports/initial-load';
import { explainBulkPath, printPlans, type PlanSummary } from './plans';

/** The INITIALIZATION ticket (§7.1.4.2.1 配置初始化) every batch of the benchmark's import cites. */
const IMPORT_TICKET = 'CMDB-INIT-BENCH';

/**
 * The one call into the product's bulk path. Change control: `ctx.ticket` is the INITIALIZATION
 * ticket opened once per run (openImportTicket); createBatch authorises against it and adds every
 * CI it creates to the ticket's scope.
 *
 * TODO(change control): if the ticket API changes (how an import cites its ticket, or a dedicated
 * import entry point), change it here and in openImportTicket only.
 */
async function importBatch(
  services: Services,
  ctx: WriteContext,
  batch: { cis: NewCI[]; relations: NewRelation[] },
): Promise<void> {
  await services.cis.createBatch(ctx, batch);
}

async function openImportTicket(services: Services): Promise<string> {
  return ensureInitializationTicket(services, IMPORT_TICKET, '基准测试配置初始化 benchmark estate import');
}

interface BatchTiming {
  index: number;
  section: EstateSection;
  cis: number;
  relations: number;
  /** Wall time of the import call, generation excluded. */
  ms: number;
}

interface RunResult {
  batchSize: number;
  /** 1-minute load average before the run and after it: other work on the machine skews the figures. */
  loadAverage: { before: number; after: number };
  cis: number;
  relations: number;
  items: number;
  seconds: number;
  generateSeconds: number;
  itemsPerSecond: number;
  /** Including generation: what a user of the generator sees end to end. */
  itemsPerSecondWithGeneration: number;
  sections: { section: EstateSection; cis: number; relations: number; seconds: number; itemsPerSecond: number }[];
  /** Throughput per tenth of the estate: does it slow down as the store grows? */
  tenths: { tenth: number; itemsPerSecond: number; msPerBatch: number }[];
  slowestBatchMs: number;
  cpu: { nodeSeconds: number; neo4jSeconds: number | null };
  store: { nodes: number; relationships: number; byLabel: Record<string, number> } | null;
  stages?: ReturnType<StageClock['report']>;
  plans?: PlanSummary[];
  batches: BatchTiming[];
}

/** CPU seconds (user + system) of a process, from /proc; null where there is no /proc. */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return null;
  }
}

interface Database {
  executor: Executor;
  embedded: EmbeddedNeo4j | null;
  dataDir: string | null;
  close(keep: boolean): Promise<void>;
}

async function openDatabase(flags: Flags, clock: StageClock): Promise<Database> {
  const uri = process.env.NEO4J_URI;
  let embedded: EmbeddedNeo4j | null = null;
  let dataDir: string | null = null;
  if (!uri) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-bench-neo4j-'));
    embedded = await startEmbeddedNeo4j({
      dataDir,
      boltPort: await freePort(),
      heap: flags.text('heap', '4g'),
      pagecache: flags.text('pagecache', '4g'),
      projectRoot: PROJECT_ROOT,
      txTimeoutMs: 0,
      startTimeoutMs: 180_000,
      log: flags.flag('verbose') ? (m) => console.log(m) : undefined,
    });
  }
  const driver = createDriver(
    uri ?? embedded!.uri,
    uri ? process.env.NEO4J_USERNAME : undefined,
    uri ? process.env.NEO4J_PASSWORD : undefined,
  );
  const options = { database: process.env.NEO4J_DATABASE || undefined, queryTimeoutMs: 0 };
  const executor = flags.flag('stages') ? new TimedExecutor(driver, options, clock) : new Executor(driver, options);
  await executor.ping();
  const close = async (keep: boolean) => {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    await executor.close();
    await embedded?.stop();
    if (dataDir && !keep) fs.rmSync(dataDir, { recursive: true, force: true });
    else if (dataDir) console.log(`kept the store in ${dataDir}`);
  };
  // Ctrl-C or kill: stop Neo4j and remove the scratch store rather than leave gigabytes in /tmp.
  const interrupted = () => {
    console.error('interrupted: stopping Neo4j');
    void close(flags.flag('keep')).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return { executor, embedded, dataDir, close };
}

async function storeCounts(executor: Executor): Promise<RunResult['store']> {
  const rows = await executor.query('MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS count');
  const [rels] = await executor.query('MATCH ()-[r]->() RETURN count(r) AS count');
  const [nodes] = await executor.query('MATCH (n) RETURN count(n) AS count');
  return {
    nodes: nodes.count as number,
    relationships: rels.count as number,
    byLabel: Object.fromEntries(rows.map((r) => [r.label as string, r.count as number])),
  };
}

async function run(flags: Flags, batchSize: number): Promise<RunResult> {
  const cis = flags.number('cis', 100_000);
  const seed = flags.number('seed', 42);
  const mode = flags.text('mode', 'product');
  if (mode !== 'product' && mode !== 'raw') throw new Error('--mode is product or raw');

  const loadBefore = os.loadavg()[0];
  const clock = new StageClock();
  const db = await openDatabase(flags, clock);
  try {
    await migrate(db.executor, path.join(PROJECT_ROOT, 'migrations'));
    const services = createServices(db.executor);
    await services.model.ensureInitialised(loadDefaultModel(PROJECT_ROOT));
    const [existing] = await db.executor.query('MATCH (n:CI) RETURN count(n) AS count');
    if ((existing.count as number) > 0) throw new Error(`the database already holds ${existing.count} CIs`);
    // What-if: indexes the migrations create, dropped from this scratch store to measure their cost.
    for (const name of flags
      .text('drop-indexes', '')
      .split(',')
      .filter((n) => n !== '')) {
      if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`--drop-indexes: invalid index name ${name}`);
      const [row] = await db.executor.query('SHOW INDEXES YIELD name, owningConstraint WHERE name = $name RETURN *', {
        name,
      });
      if (!row) throw new Error(`--drop-indexes: no index ${name}`);
      const statement = row.owningConstraint ? `DROP CONSTRAINT ${name}` : `DROP INDEX ${name}`;
      await db.executor.write((tx) => tx.run(statement));
    }

    const ticket = await openImportTicket(services);
    const estate = generateEstate({ cis, seed });
    const timings: BatchTiming[] = [];
    let generateMs = 0;
    const nodeCpu0 = process.cpuUsage();
    const jvmCpu0 = db.embedded ? processCpuSeconds(db.embedded.pid) : null;
    clock.reset(); // only the import's transactions: not the migrations, the model or the ticket
    const started = performance.now();
    const iterator = estate.batches(batchSize);
    let done = 0;
    let lastReport = started;
    // For --explain: relationships of the last application batch, to core switches and other hubs.
    let sample: NewRelation[] = [];
    for (;;) {
      const g0 = performance.now();
      const next = iterator.next();
      generateMs += performance.now() - g0;
      if (next.done) break;
      const batch = next.value;
      const ctx: WriteContext = { actor: 'system:bench-import', at: Date.now(), source: 'import', ticket };
      const t0 = performance.now();
      if (mode === 'product') await importBatch(services, ctx, batch);
      else await rawCreateBatch(services, ctx, batch, clock);
      const ms = performance.now() - t0;
      timings.push({
        index: batch.index,
        section: batch.section,
        cis: batch.cis.length,
        relations: batch.relations.length,
        ms: Math.round(ms),
      });
      done += batch.cis.length;
      if (batch.section === 'applications') sample = batch.relations;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        const elapsed = (lastReport - started) / 1000;
        const items = timings.reduce((s, t) => s + t.cis + t.relations, 0);
        console.log(
          `  ${fmt(done)}/${fmt(cis)} CIs, ${elapsed.toFixed(0)} s, ${fmt(Math.round(items / elapsed))} items/s, last batch ${fmt(Math.round(ms))} ms`,
        );
      }
    }
    const wall = (performance.now() - started) / 1000;
    const nodeCpu = process.cpuUsage(nodeCpu0);
    const jvmCpu1 = db.embedded ? processCpuSeconds(db.embedded.pid) : null;

    const totalCis = timings.reduce((s, t) => s + t.cis, 0);
    const totalRelations = timings.reduce((s, t) => s + t.relations, 0);
    const importSeconds = timings.reduce((s, t) => s + t.ms, 0) / 1000;
    const sections = SECTIONS.map((section) => {
      const mine = timings.filter((t) => t.section === section);
      const c = mine.reduce((s, t) => s + t.cis, 0);
      const r = mine.reduce((s, t) => s + t.relations, 0);
      const seconds = mine.reduce((s, t) => s + t.ms, 0) / 1000;
      return { section, cis: c, relations: r, seconds, itemsPerSecond: seconds ? Math.round((c + r) / seconds) : 0 };
    }).filter((s) => s.cis > 0);
    const tenths = Array.from({ length: 10 }, (_, k) => {
      const mine = timings.slice(Math.floor((k * timings.length) / 10), Math.floor(((k + 1) * timings.length) / 10));
      const items = mine.reduce((s, t) => s + t.cis + t.relations, 0);
      const ms = mine.reduce((s, t) => s + t.ms, 0);
      return {
        tenth: k + 1,
        itemsPerSecond: ms ? Math.round((items * 1000) / ms) : 0,
        msPerBatch: mine.length ? Math.round(ms / mine.length) : 0,
      };
    }).filter((t) => t.msPerBatch > 0);
    const store = flags.flag('no-count') ? null : await storeCounts(db.executor);
    let plans: PlanSummary[] | undefined;
    if (flags.flag('explain') && sample.length) {
      const hubward = sample.filter((r) => r.type === 'CONNECTS_TO').slice(0, 2000);
      plans = await explainBulkPath(db.executor, hubward.length ? hubward : sample.slice(0, 2000));
      printPlans(plans);
    }
    return {
      batchSize,
      loadAverage: { before: Math.round(loadBefore * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
      cis: totalCis,
      relations: totalRelations,
      items: totalCis + totalRelations,
      seconds: Math.round(importSeconds * 10) / 10,
      generateSeconds: Math.round(generateMs / 100) / 10,
      itemsPerSecond: Math.round((totalCis + totalRelations) / importSeconds),
      itemsPerSecondWithGeneration: Math.round((totalCis + totalRelations) / wall),
      sections,
      tenths,
      slowestBatchMs: Math.max(...timings.map((t) => t.ms)),
      cpu: {
        nodeSeconds: Math.round((nodeCpu.user + nodeCpu.system) / 1e5) / 10,
        neo4jSeconds: jvmCpu0 !== null && jvmCpu1 !== null ? Math.round((jvmCpu1 - jvmCpu0) * 10) / 10 : null,
      },
      store,
      stages: mode !== 'product' || flags.flag('stages') ? clock.report() : undefined,
      plans,
      batches: timings,
    };
  } finally {
    await db.close(flags.flag('keep'));
  }
}

/** What `--mode initial` measures: each step of the initial load, until the store is ready to serve. */
interface InitialRunResult {
  batchSize: number;
  loadAverage: { before: number; after: number };
  cis: number;
  relations: number;
  items: number;
  /** Generating the estate (the benchmark's own work, inside the first step's wall time). */
  generateSeconds: number;
  /** Checking every batch and writing the importer's files, generation excluded. */
  checkSeconds: number;
  importSeconds: number;
  /** Starting Neo4j on the loaded store, the migrations (building every index) and the default model. */
  startSeconds: number;
  seconds: number;
  itemsPerSecond: number;
  itemsPerSecondWithGeneration: number;
  store: Awaited<ReturnType<typeof storeCounts>>;
}

/** Times `next()` of a generator: how long the estate generator itself takes. */
function* timed<T>(source: Iterator<T>, spent: { ms: number }): Generator<T> {
  for (;;) {
    const t0 = performance.now();
    const next = source.next();
    spent.ms += performance.now() - t0;
    if (next.done) return;
    yield next.value;
  }
}

async function runInitial(flags: Flags, batchSize: number): Promise<InitialRunResult> {
  if (process.env.NEO4J_URI) throw new Error('--mode initial loads an embedded store: unset NEO4J_URI');
  const cis = flags.number('cis', 100_000);
  const heap = flags.text('heap', '4g');
  const loadBefore = os.loadavg()[0];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-bench-initial-'));
  const model = new CompiledModel(loadDefaultModel(PROJECT_ROOT), 1);
  const generation = { ms: 0 };
  const estate = generateEstate({ cis, seed: flags.number('seed', 42) });
  const batches: Iterator<LoadBatch> = estate.batches(batchSize);
  const started = performance.now();
  const loaded = await initialLoad(model, timed(batches, generation), {
    ticket: { ref: IMPORT_TICKET, title: '基准测试配置初始化 benchmark estate initial load' },
    actor: 'system:bench-import',
    dryRun: false,
    dataDir,
    projectRoot: PROJECT_ROOT,
    heap,
    log: (m) => console.log(`  ${m}`),
  });
  const imported = performance.now();
  const embedded = await startEmbeddedNeo4j({
    dataDir,
    boltPort: await freePort(),
    heap,
    pagecache: flags.text('pagecache', '4g'),
    projectRoot: PROJECT_ROOT,
    txTimeoutMs: 0,
    startTimeoutMs: 600_000,
  });
  const executor = new Executor(createDriver(embedded.uri), { queryTimeoutMs: 0 });
  try {
    await migrate(executor, path.join(PROJECT_ROOT, 'migrations'));
    await createServices(executor).model.ensureInitialised(loadDefaultModel(PROJECT_ROOT));
    const ready = performance.now();
    const store = await storeCounts(executor);
    const items = loaded.cis + loaded.relations;
    const seconds = (ready - started - generation.ms) / 1000;
    return {
      batchSize,
      loadAverage: { before: Math.round(loadBefore * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
      cis: loaded.cis,
      relations: loaded.relations,
      items,
      generateSeconds: Math.round(generation.ms / 100) / 10,
      checkSeconds: Math.round((loaded.seconds.check * 1000 - generation.ms) / 100) / 10,
      importSeconds: Math.round(loaded.seconds.import * 10) / 10,
      startSeconds: Math.round((ready - imported) / 100) / 10,
      seconds: Math.round(seconds * 10) / 10,
      itemsPerSecond: Math.round(items / seconds),
      itemsPerSecondWithGeneration: Math.round(items / ((ready - started) / 1000)),
      store,
    };
  } finally {
    await executor.close();
    await embedded.stop();
    if (flags.flag('keep')) console.log(`kept the store in ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function mainInitial(flags: Flags, sizes: number[], host: ReturnType<typeof machine>, when: Date): Promise<void> {
  const runs: InitialRunResult[] = [];
  for (const size of sizes) {
    console.log(`-- batch size ${fmt(size)} (load average ${os.loadavg()[0].toFixed(2)} on ${host.cpus} CPUs)`);
    const result = await runInitial(flags, size);
    runs.push(result);
    console.log(
      table(
        ['batch', 'CIs', 'relations', 'check s', 'import s', 'start s', 'total s', 'items/s', 'incl. generation'],
        [
          [
            fmt(size),
            result.cis,
            result.relations,
            result.checkSeconds,
            result.importSeconds,
            result.startSeconds,
            result.seconds,
            result.itemsPerSecond,
            result.itemsPerSecondWithGeneration,
          ],
        ],
      ),
    );
    console.log(`store: ${fmt(result.store!.nodes)} nodes, ${fmt(result.store!.relationships)} relationships`);
  }
  const best = runs.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
  const file = await writeResult(`import-initial-${stamp(when)}.json`, {
    benchmark: 'import',
    date: when.toISOString(),
    command: `npm run bench:import -- ${process.argv.slice(2).join(' ')}`,
    machine: host,
    neo4j: { embedded: true, heap: flags.text('heap', '4g'), pagecache: flags.text('pagecache', '4g') },
    estate: { cis: flags.number('cis', 100_000), seed: flags.number('seed', 42) },
    mode: 'initial',
    best: { batchSize: best.batchSize, itemsPerSecond: best.itemsPerSecond },
    runs,
  });
  console.log(`best: ${fmt(best.itemsPerSecond)} items/s with batches of ${fmt(best.batchSize)}; written to ${file}`);
}

async function main(): Promise<void> {
  const flags = new Flags();
  const cis = flags.number('cis', 100_000);
  const seed = flags.number('seed', 42);
  const sizes = flags.numbers('batch', [5_000]);
  const host = machine();
  const when = new Date();
  const mode = flags.text('mode', 'product');
  console.log(
    `import benchmark: ${fmt(cis)} CIs (seed ${seed}), batches of ${sizes.map(fmt).join(' / ')}, mode ${mode}\n` +
      `machine: ${host.cpus} CPUs (${host.cpuModel}), ${host.memoryGiB} GiB, Node ${host.node}, ${host.java}\n` +
      `neo4j: ${process.env.NEO4J_URI ?? `embedded, heap ${flags.text('heap', '4g')}, page cache ${flags.text('pagecache', '4g')}`}`,
  );
  if (mode === 'initial') {
    await mainInitial(flags, sizes, host, when);
    return;
  }
  const runs: RunResult[] = [];
  for (const size of sizes) {
    const load = os.loadavg()[0];
    console.log(`-- batch size ${fmt(size)} (load average ${load.toFixed(2)} on ${host.cpus} CPUs)`);
    if (load > host.cpus / 2) console.log('   warning: the machine is busy with other work; figures will be low');
    const result = await run(flags, size);
    runs.push(result);
    console.log(
      table(
        ['batch', 'CIs', 'relations', 'import s', 'items/s', 'incl. generation', 'Node CPU s', 'Neo4j CPU s'],
        [
          [
            fmt(size),
            result.cis,
            result.relations,
            result.seconds,
            result.itemsPerSecond,
            result.itemsPerSecondWithGeneration,
            result.cpu.nodeSeconds,
            result.cpu.neo4jSeconds ?? '-',
          ],
        ],
      ),
    );
    console.log(
      table(
        ['section', 'CIs', 'relations', 'seconds', 'items/s'],
        result.sections.map((s) => [s.section, s.cis, s.relations, Math.round(s.seconds * 10) / 10, s.itemsPerSecond]),
      ),
    );
    console.log(
      table(
        ['tenth', 'items/s', 'ms/batch'],
        result.tenths.map((t) => [String(t.tenth), t.itemsPerSecond, t.msPerBatch]),
      ),
    );
    if (result.stages) {
      console.log(
        table(
          ['stage', 'wall s', 'share', 'Node CPU s', 'ms/batch'],
          result.stages.map((s) => [s.stage, s.seconds, `${s.share}%`, s.nodeCpuSeconds, s.msPerBatch]),
        ),
      );
    }
    if (result.store)
      console.log(`store: ${fmt(result.store.nodes)} nodes, ${fmt(result.store.relationships)} relationships`);
  }
  const best = runs.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
  const file = await writeResult(`import-${stamp(when)}.json`, {
    benchmark: 'import',
    date: when.toISOString(),
    command: `npm run bench:import -- ${process.argv.slice(2).join(' ')}`,
    machine: host,
    neo4j: process.env.NEO4J_URI
      ? { uri: process.env.NEO4J_URI }
      : { embedded: true, heap: flags.text('heap', '4g'), pagecache: flags.text('pagecache', '4g') },
    estate: { cis, seed },
    mode,
    droppedIndexes: flags.text('drop-indexes', '') || undefined,
    best: { batchSize: best.batchSize, itemsPerSecond: best.itemsPerSecond },
    runs,
  });
  console.log(`best: ${fmt(best.itemsPerSecond)} items/s with batches of ${fmt(best.batchSize)}; written to ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
