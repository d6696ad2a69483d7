// The change-impact benchmark's store: an embedded Neo4j holding the synthetic estate, either reused from
// `--store DIR` (loaded by an earlier run) or loaded now with plain UNWIND … CREATE (the raw floor of
// import.bench's `--mode raw`: no validation, versions, claims or operation log), after the product's
// migrations and default model. Also the clean-up every part of the benchmark registers with, so Ctrl-C
// or an error stops Neo4j and PostgreSQL instead of leaving JVMs and clusters behind.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { createDriver, Executor } from '../src/platform/neo4j/executor';
import { startEmbeddedNeo4j, type EmbeddedNeo4j } from '../src/platform/neo4j/embedded';
import { migrate } from '../src/platform/neo4j/migrate';
import { createServices } from '../src/services';
import { loadDefaultModel } from '../src/model/model.service';
import { PROJECT_ROOT } from '../src/platform/config';
import type { Estate } from './estate-generator';
import { fmt, freePort } from './bench-util';
import { rawCIRow } from './raw-batch';

/** Closers run last-registered first, once, on success, error, SIGINT or SIGTERM. */
export class Cleanup {
  private readonly closers: { name: string; close: () => Promise<void> }[] = [];
  private running: Promise<void> | null = null;

  constructor() {
    const interrupted = (signal: string) => {
      console.error(`\n${signal}: stopping what the benchmark started`);
      void this.run().finally(() => process.exit(130));
    };
    process.once('SIGINT', () => interrupted('SIGINT'));
    process.once('SIGTERM', () => interrupted('SIGTERM'));
  }

  add(name: string, close: () => Promise<void>): void {
    this.closers.push({ name, close });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const { name, close } of this.closers.reverse()) {
        try {
          await close();
        } catch (e) {
          console.error(`clean-up of ${name} failed: ${(e as Error).message}`);
        }
      }
    })();
    return this.running;
  }
}

/** Written into the store once a load completes: a later `--store` run trusts nothing else. */
const MARKER = 'impact-estate.json';

interface Marker {
  cis: number;
  seed: number;
  relations: number;
  loadedAt: string;
  loadSeconds: number;
}

export interface Store {
  uri: string;
  dir: string;
  embedded: EmbeddedNeo4j;
  executor: Executor;
  /** A driver of its own for the hand-written Cypher (no Executor row mapping in the way). */
  driver: Driver;
  /** Seconds the load took now, or null when the store was reused. */
  loadSeconds: number | null;
  reusedFrom: Marker | null;
}

export interface StoreOptions {
  cis: number;
  seed: number;
  /** Keep (and reuse) the store here; a temporary folder, removed at the end, when absent. */
  dir: string | null;
  heap: string;
  pagecache: string;
  batch: number;
  verbose: boolean;
}

/** Boots Neo4j on the store and makes sure it holds exactly the estate, loading it if the store is empty. */
export async function openStore(options: StoreOptions, estate: Estate, cleanup: Cleanup): Promise<Store> {
  const keep = options.dir !== null;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-impact-neo4j-'));
  fs.mkdirSync(dir, { recursive: true });
  if (!keep) cleanup.add('temporary store', async () => fs.rmSync(dir, { recursive: true, force: true }));
  const t0 = performance.now();
  const embedded = await startEmbeddedNeo4j({
    dataDir: dir,
    boltPort: await freePort(),
    heap: options.heap,
    pagecache: options.pagecache,
    projectRoot: PROJECT_ROOT,
    txTimeoutMs: 0,
    startTimeoutMs: 300_000,
    log: options.verbose ? (m) => console.log(m) : undefined,
  });
  cleanup.add('Neo4j', () => embedded.stop());
  console.log(
    `neo4j: embedded in ${dir}, up in ${((performance.now() - t0) / 1000).toFixed(1)} s (pid ${embedded.pid})`,
  );
  const driver = createDriver(embedded.uri);
  const executor = new Executor(driver, { queryTimeoutMs: 0 });
  cleanup.add('driver', () => executor.close());
  await executor.ping();
  await migrate(executor, path.join(PROJECT_ROOT, 'migrations'));
  const services = createServices(executor);
  await services.model.ensureInitialised(loadDefaultModel(PROJECT_ROOT));

  const markerFile = path.join(dir, MARKER);
  const marker = fs.existsSync(markerFile) ? (JSON.parse(fs.readFileSync(markerFile, 'utf8')) as Marker) : null;
  const [row] = await executor.query('MATCH (n:CI) RETURN count(n) AS count');
  const existing = row.count as number;
  if (marker && marker.cis === options.cis && marker.seed === options.seed && existing === options.cis) {
    console.log(
      `store: reusing ${fmt(existing)} CIs and ${fmt(marker.relations)} relationships loaded ${marker.loadedAt} (in ${marker.loadSeconds} s)`,
    );
    return { uri: embedded.uri, dir, embedded, executor, driver, loadSeconds: null, reusedFrom: marker };
  }
  if (existing > 0) {
    throw new Error(
      `the store in ${dir} holds ${fmt(existing)} CIs` +
        (marker ? ` of --cis ${marker.cis} --seed ${marker.seed}` : ' from an unfinished or foreign load') +
        `, not the estate of --cis ${options.cis} --seed ${options.seed}: remove it or pick another --store`,
    );
  }
  const loaded = await loadEstate(driver, estate, options.batch);
  const done: Marker = {
    cis: loaded.cis,
    seed: options.seed,
    relations: loaded.relations,
    loadedAt: new Date().toISOString(),
    loadSeconds: loaded.seconds,
  };
  if (keep) fs.writeFileSync(markerFile, JSON.stringify(done, null, 2));
  return { uri: embedded.uri, dir, embedded, executor, driver, loadSeconds: loaded.seconds, reusedFrom: null };
}

// The raw floor's statements (profiled-batch.ts `rawCreateBatch`), except that relationships find their
// ends by the elementIds the CI statement returned rather than by an index seek on code per end.
const CREATE_CIS = `
    UNWIND $rows AS row
    CREATE (n:CI)
    SET n = row
    RETURN elementId(n) AS eid`;

const createRelations = (type: string) => `
    UNWIND $rows AS row
    MATCH (a) WHERE elementId(a) = row.a
    MATCH (b) WHERE elementId(b) = row.b
    CREATE (a)-[:${type} {id: row.id, since: $at, createdBy: $actor}]->(b)`;

/**
 * Loads the estate: `(:CI {id, code, name, class, lifecycle, owner, createdAt, updatedAt, version,
 * ...attributes})` and `(a)-[:TYPE {id, since, createdBy}]->(b)`, one write transaction per batch.
 */
export async function loadEstate(
  driver: Driver,
  estate: Estate,
  batchSize: number,
): Promise<{ cis: number; relations: number; seconds: number }> {
  const { randomUUID } = await import('node:crypto');
  const eids = new Map<string, string>();
  const at = Date.now();
  const actor = 'system:bench-impact';
  const started = performance.now();
  let cis = 0;
  let relations = 0;
  let lastReport = started;
  const session = driver.session({ defaultAccessMode: neo4j.session.WRITE });
  try {
    for (const batch of estate.batches(batchSize)) {
      const rows = batch.cis.map((c) => rawCIRow(c, at));
      const byType = new Map<string, { id: string; a: string; b: string }[]>();
      await session.executeWrite(async (tx) => {
        const created = await tx.run(CREATE_CIS, { rows });
        created.records.forEach((r, i) => eids.set(rows[i].code, r.get('eid') as string));
        for (const r of batch.relations) {
          const a = eids.get(r.source);
          const b = eids.get(r.target);
          if (!a || !b) throw new Error(`relationship ${r.type} ${r.source} → ${r.target}: an end is not loaded`);
          const row = { id: randomUUID(), a, b };
          const list = byType.get(r.type);
          if (list) list.push(row);
          else byType.set(r.type, [row]);
        }
        for (const [type, list] of byType) {
          if (!/^[A-Z][A-Z0-9_]*$/.test(type)) throw new Error(`relation type ${type}`);
          await tx.run(createRelations(type), { rows: list, at, actor });
        }
      });
      cis += batch.cis.length;
      relations += batch.relations.length;
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        const s = (lastReport - started) / 1000;
        console.log(
          `  loaded ${fmt(cis)}/${fmt(estate.options.cis)} CIs, ${fmt(relations)} relationships, ${s.toFixed(0)} s, ` +
            `${fmt(Math.round((cis + relations) / s))} items/s, load average ${os.loadavg()[0].toFixed(2)}`,
        );
      }
    }
  } finally {
    await session.close();
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  console.log(
    `load: ${fmt(cis)} CIs + ${fmt(relations)} relationships in ${seconds} s (${fmt(Math.round((cis + relations) / seconds))} items/s)`,
  );
  return { cis, relations, seconds };
}
