// Change-impact benchmark (issue 4): the blast radius of a median CI, a 99th-percentile CI and the
// busiest hub of the synthetic estate, through the product's GraphQL API over HTTP, against the same
// traversal as hand-written Cypher (the floor) and as a recursive CTE on PostgreSQL.
//
//   npm run bench:impact -- --cis 1000000 [--seed 42] [--store DIR] [--iterations 50] [--depth 6]
//        [--heap 4g] [--pagecache 4g] [--batch 10000] [--sweep 1..10] [--hub-sweep 1,2,3,6,10]
//        [--warmups 10] [--sweep-iterations 5] [--sweep-warmups 2]
//        [--budget-s 120] [--sweep-budget-s 20] [--pg-timeout-s 120] [--api-timeout-s 30] [--no-pg] [--no-sweep]
//        [--verbose]
//
// With `--store DIR` the embedded store there is reused when an earlier run loaded the same estate into
// it (and kept afterwards); without it a fresh store is loaded into a temporary folder and removed.

import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAppSchema } from '../src/schema';
import { PROJECT_ROOT } from '../src/platform/config';
import { generateEstate, estateFacts, type EstateFacts } from './estate-generator';
import { Flags, fmt, machine, stamp, table, writeResult } from './bench-util';
import { Cleanup, openStore, type Store } from './impact-load';
import { startBenchApi } from './bench-api';
import { defaultPropagation, levelByLevel, type Impact, type Propagation } from './impact-cypher';
import { loadPostgres, pgBlast, pgExplain, startPostgres, type PgCluster, type PgLoad } from './postgres';

const BLAST_QUERY = `query Blast($cis: [String!]!, $depth: Int!) {
  blastRadius(input: { cis: $cis, maxDepth: $depth }, first: 50) {
    totalCount
    summary { byClass { key count } byImportance { key count } }
    businessSystems { code importance }
    impacted { edges { node { code distance } } }
  }
}`;

interface Pick {
  role: 'median' | 'p99' | 'hub';
  code: string;
  class: string;
  fanIn: number;
  directImpact: number;
}

interface Timing {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

function timing(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  // Two decimals below 10 ms: an in-memory walk of a small radius takes tenths of a millisecond.
  const r = (v: number) => (v < 10 ? Math.round(v * 100) / 100 : Math.round(v * 10) / 10);
  return {
    n: s.length,
    p50: r(at(0.5)),
    p95: r(at(0.95)),
    max: r(s[s.length - 1]),
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

/**
 * `warmups` untimed runs, then up to `iterations` timed ones, stopping early once `budgetMs` is spent
 * (at least one timed run; a warm-up slower than the whole budget counts as the one timed run).
 */
async function measure<T>(
  work: () => Promise<T>,
  opts: { warmups: number; iterations: number; budgetMs: number },
): Promise<{ timing: Timing; last: T }> {
  const samples: number[] = [];
  let last!: T;
  for (let i = 0; i < opts.warmups; i++) {
    const t0 = performance.now();
    last = await work();
    const ms = performance.now() - t0;
    if (ms > opts.budgetMs) {
      samples.push(ms);
      return { timing: timing(samples), last };
    }
  }
  const timedFrom = performance.now();
  for (let i = 0; i < opts.iterations; i++) {
    const t0 = performance.now();
    last = await work();
    samples.push(performance.now() - t0);
    if (performance.now() - timedFrom > opts.budgetMs && samples.length >= 1) break;
  }
  return { timing: timing(samples), last };
}

/**
 * Like measure(), for several ways of doing the same work, taken in turn within each iteration, so a
 * change in the machine's load (it is shared) falls on all of them alike. A way that throws is dropped.
 */
async function measureInTurn<T extends unknown[]>(
  works: { [K in keyof T]: () => Promise<T[K]> },
  opts: { warmups: number; iterations: number; budgetMs: number },
): Promise<{ [K in keyof T]: { timing: Timing; last: T[K] } | { error: string } }> {
  const samples: number[][] = works.map(() => []);
  const last: unknown[] = works.map(() => undefined);
  const errors: (string | null)[] = works.map(() => null);
  const once = async (record: boolean) => {
    for (const [i, work] of works.entries()) {
      if (errors[i] !== null) continue;
      const t0 = performance.now();
      try {
        last[i] = await work();
      } catch (e) {
        errors[i] = (e as Error).message;
        continue;
      }
      if (record) samples[i].push(performance.now() - t0);
    }
  };
  const w0 = performance.now();
  for (let i = 0; i < opts.warmups && performance.now() - w0 < opts.budgetMs; i++) await once(false);
  const t0 = performance.now();
  for (let i = 0; i < opts.iterations; i++) {
    await once(true);
    if (performance.now() - t0 > opts.budgetMs) break;
  }
  return works.map((_, i) =>
    errors[i] !== null || !samples[i].length
      ? { error: errors[i] ?? 'no run' }
      : { timing: timing(samples[i]), last: last[i] },
  ) as { [K in keyof T]: { timing: Timing; last: T[K] } | { error: string } };
}

interface ApiResult {
  totalCount: number;
  byClass: Record<string, number>;
  businessSystems: number;
  edges: number;
}

interface Api {
  url: string;
  blast(code: string, depth: number): Promise<ApiResult>;
  /**
   * The product's traversal in-process (`Propagation.walk` outside a transaction): the topology brought up
   * to the committed graph (a head check in Neo4j once TOPOLOGY_MAX_LAG_MS has passed since the last), the
   * walk, counts by class and distance. What the PostgreSQL CTE is held against: both answer the same
   * counts to a client in the same process. TOPOLOGY_MAX_LAG_MS=0 puts a head check in every walk.
   */
  walk(code: string, depth: number): Promise<Impact>;
  close(): Promise<void>;
}

/** The product's HTTP app in-process against the store (bench-api.ts); null when this build has no blastRadius. */
async function startApi(store: Store, queryTimeoutMs: number | null): Promise<Api | null> {
  const schema = await buildAppSchema();
  if (!schema.getQueryType()?.getFields().blastRadius) return null;
  const api = await startBenchApi(store.uri, { queryTimeoutMs, actor: 'bench-impact', schema });
  const { model, propagation } = api.services;
  return {
    url: api.url,
    close: () => api.close(),
    async walk(code, depth) {
      const m = await model.current();
      const w = await propagation.walk(null, m, [code], { flow: 'DOWNSTREAM', maxDepth: depth, at: null });
      const byClass: Record<string, number> = {};
      const byDistance: number[] = [];
      for (const c of w.reached) {
        byClass[c.class] = (byClass[c.class] ?? 0) + 1;
        byDistance[c.distance - 1] = (byDistance[c.distance - 1] ?? 0) + 1;
      }
      return { total: w.reached.length, byClass, byDistance };
    },
    async blast(code, depth) {
      const data = await api
        .gql<{
          blastRadius: {
            totalCount: number;
            summary: { byClass: { key: string; count: number }[] };
            businessSystems: unknown[];
            impacted: { edges: unknown[] };
          };
        }>(BLAST_QUERY, { cis: [code], depth })
        .catch((e: Error) => {
          throw new Error(`${code} depth ${depth}: ${e.message}`);
        });
      const b = data.blastRadius;
      return {
        totalCount: b.totalCount,
        byClass: Object.fromEntries(b.summary.byClass.map((c) => [c.key, c.count])),
        businessSystems: b.businessSystems.length,
        edges: b.impacted.edges.length,
      };
    },
  };
}

function picksOf(facts: EstateFacts): Pick[] {
  const hub = [...facts.hubs].sort((a, b) => b.directImpact - a.directImpact)[0];
  const p = facts.picks;
  return [
    { role: 'median', ...p.median },
    { role: 'p99', ...p.p99Impact },
    { role: 'hub', code: hub.code, class: hub.class, fanIn: hub.fanIn, directImpact: hub.directImpact },
  ].map(({ role, code, class: cls, fanIn, directImpact }) => ({
    role: role as Pick['role'],
    code,
    class: cls,
    fanIn,
    directImpact,
  }));
}

function sameClasses(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

function parseDepths(spec: string): number[] {
  const m = /^(\d+)\.\.(\d+)$/.exec(spec);
  const depths = m
    ? Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i)
    : spec.split(',').map(Number);
  if (!depths.length || depths.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`--sweep ${spec}`);
  return depths;
}

const loadAvg = () => Math.round(os.loadavg()[0] * 100) / 100;

interface DepthRow {
  depth: number;
  impacted: number | null;
  pgMs: number | null;
  pgRuns: number;
  pgTimedOut: boolean;
  cypherMs: number | null;
  apiMs: number | null;
  apiError?: string;
  /** The product's traversal in-process (Api.walk). */
  walkMs: number | null;
  agree: boolean;
  pgOverCypher: number | null;
  pgOverApi: number | null;
  pgOverWalk: number | null;
}

async function main(): Promise<void> {
  const flags = new Flags();
  const cis = flags.number('cis', 100_000);
  const seed = flags.number('seed', 42);
  const iterations = flags.number('iterations', 50);
  const warmups = flags.number('warmups', 10);
  const depth = flags.number('depth', 6);
  const budgetMs = flags.number('budget-s', 120) * 1000;
  const sweepIterations = flags.number('sweep-iterations', 5);
  const sweepWarmups = flags.number('sweep-warmups', 2);
  const sweepBudgetMs = flags.number('sweep-budget-s', 20) * 1000;
  const pgTimeoutMs = flags.number('pg-timeout-s', 120) * 1000;
  const depths = flags.flag('no-sweep') ? [] : parseDepths(flags.text('sweep', '1..10'));
  // At 1M CIs every hub depth ≥ 3 reaches ~760k CIs and costs minutes per method: fewer depths may be asked for.
  const hubDepths = flags.flag('no-sweep') ? [] : parseDepths(flags.text('hub-sweep', flags.text('sweep', '1..10')));
  const storeDir = flags.text('store', '') || null;
  const host = machine();
  const when = new Date();
  const loadAtStart = loadAvg();
  console.log(
    `impact benchmark: ${fmt(cis)} CIs (seed ${seed}), depth ${depth}, ${iterations} iterations after ${warmups} warm-ups\n` +
      `machine: ${host.cpus} CPUs (${host.cpuModel}), ${host.memoryGiB} GiB, Node ${host.node}, ${host.java}; ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  if (loadAtStart > host.cpus / 2) console.log('warning: the machine is busy with other work; figures will be high');

  const cleanup = new Cleanup();
  const loadAverages: Record<string, number> = { start: loadAtStart };
  try {
    const estate = generateEstate({ cis, seed });
    const store = await openStore(
      {
        cis,
        seed,
        dir: storeDir ? path.resolve(storeDir) : null,
        heap: flags.text('heap', '4g'),
        pagecache: flags.text('pagecache', '4g'),
        batch: flags.number('batch', 10_000),
        verbose: flags.flag('verbose'),
      },
      estate,
      cleanup,
    );
    loadAverages.afterLoad = loadAvg();
    const facts = estateFacts(estate);
    const picks = picksOf(facts);
    console.log(
      table(
        ['pick', 'CI', 'class', 'fan-in', 'direct impact'],
        picks.map((p) => [p.role, p.code, p.class, p.fanIn, p.directImpact]),
      ),
    );
    const propagation: Propagation = defaultPropagation();
    const bfs = levelByLevel(store.driver, propagation);

    // The API, if the resolver exists in this build.
    // The product's own transaction time-out (NEO4J_QUERY_TIMEOUT_MS, 30 s) unless --api-timeout-s says otherwise.
    const api = await startApi(store, flags.number('api-timeout-s', 0) * 1000 || null);
    if (!api) {
      const schemaFile = path.join(PROJECT_ROOT, 'schema', 'schema.graphql');
      const inFile = fs.existsSync(schemaFile) && fs.readFileSync(schemaFile, 'utf8').includes('blastRadius');
      console.log(
        `api: Query.blastRadius is not in this build's schema${inFile ? ' (schema/schema.graphql has it: rebuild)' : ''}; ` +
          'timing the Cypher floor and PostgreSQL only',
      );
    } else {
      cleanup.add('HTTP app', () => api!.close());
      console.log(`api: ${api.url} (in-process, production configuration, CONFIG_MANAGER token)`);
    }

    // 1. Depth `depth`, every pick: the API over HTTP and the Cypher floor.
    interface MainRow {
      pick: Pick;
      impacted: number;
      api: Timing | null;
      apiResult: ApiResult | null;
      apiError?: string;
      bfs: Timing;
      counts: { api: number | null; cypher: number };
      byDistance: number[];
      byClass: Record<string, number>;
      classesAgree: boolean | null;
      apiOverFloor: number | null;
      targets: string;
    }
    const mainRows: MainRow[] = [];
    const opts = { warmups, iterations, budgetMs };
    for (const pick of picks) {
      console.log(`-- ${pick.role} ${pick.code} (load average ${loadAvg()})`);
      const [b, apiRun] = await measureInTurn<[Impact, ApiResult | null]>(
        [() => bfs(pick.code, depth), async () => (api ? api.blast(pick.code, depth) : null)],
        opts,
      );
      if ('error' in b) throw new Error(`cypher floor, ${pick.code}: ${b.error}`);
      console.log(`   cypher level-by-level: ${b.last.total} CIs, p50 ${b.timing.p50} ms (n ${b.timing.n})`);
      let a: { timing: Timing; last: ApiResult } | null = null;
      let apiError: string | undefined;
      if ('error' in apiRun) {
        apiError = apiRun.error;
        console.log(`   api: ${apiError}`);
      } else if (apiRun.last) {
        a = { timing: apiRun.timing, last: apiRun.last };
        console.log(`   api: totalCount ${a.last.totalCount}, p50 ${a.timing.p50} ms (n ${a.timing.n})`);
      }
      const floor = b.timing;
      const okTargets =
        pick.role === 'hub' ? a && a.timing.p50 <= 2000 : a && a.timing.p50 <= 20 && a.timing.p95 <= 100;
      mainRows.push({
        pick,
        impacted: b.last.total,
        api: a?.timing ?? null,
        apiResult: a?.last ?? null,
        apiError,
        bfs: b.timing,
        counts: { api: a?.last.totalCount ?? null, cypher: b.last.total },
        byDistance: b.last.byDistance,
        byClass: b.last.byClass,
        classesAgree: a ? sameClasses(a.last.byClass, b.last.byClass) : null,
        apiOverFloor: a ? Math.round((a.timing.p50 / floor.p50) * 100) / 100 : null,
        targets: !a
          ? 'n/a'
          : `${okTargets ? 'met' : 'MISSED'}${a.timing.p50 / floor.p50 <= 1.5 ? '' : ', > 1.5× floor'}`,
      });
    }
    loadAverages.afterMain = loadAvg();

    // 2. PostgreSQL, and the depth sweep.
    let pg: PgCluster | null = null;
    let pgLoad: PgLoad | null = null;
    let pgPlan: string | null = null;
    const sweep: { pick: Pick; rows: DepthRow[] }[] = [];
    // Written after each phase too (complete: false), so an interrupted run leaves what it measured.
    const save = (complete: boolean) =>
      writeResult(`impact-${stamp(when)}.json`, {
        complete,
        benchmark: 'impact',
        date: when.toISOString(),
        command: `npm run bench:impact -- ${process.argv.slice(2).join(' ')}`,
        machine: host,
        loadAverages,
        neo4j: {
          embedded: true,
          heap: flags.text('heap', '4g'),
          pagecache: flags.text('pagecache', '4g'),
          store: storeDir ? path.resolve(storeDir) : null,
          loadSeconds: store.loadSeconds,
          reusedFrom: store.reusedFrom,
        },
        estate: { cis, seed, relations: facts.relations, fanInPercentiles: facts.fanInPercentiles },
        propagation,
        depth,
        iterations,
        warmups,
        api: api ? { query: BLAST_QUERY } : null,
        results: mainRows,
        postgres: pg ? { version: pg.version, settings: pg.settings, load: pgLoad, plan: pgPlan } : null,
        sweep,
      });
    await save(false);
    if (!flags.flag('no-pg') && depths.length) {
      pg = await startPostgres((m) => console.log(m));
      cleanup.add('PostgreSQL', () => pg!.stop());
      pgLoad = await loadPostgres(pg, estate, (m) => console.log(m));
      pgPlan = await pgExplain(pg.client, propagation, picks[0].code, depth);
    }
    if (depths.length) {
      for (const pick of picks) {
        const rows: DepthRow[] = [];
        let pgGaveUp = false;
        for (const d of pick.role === 'hub' ? hubDepths : depths) {
          const sopts = { warmups: sweepWarmups, iterations: sweepIterations, budgetMs: sweepBudgetMs };
          const c = await measure(() => bfs(pick.code, d), sopts);
          const cypherMs = c.timing.p50;
          const cypherCount = c.last.total;
          let apiMs: number | null = null;
          let apiError: string | undefined;
          let apiCount: number | null = null;
          if (api) {
            try {
              const a = await measure(() => api!.blast(pick.code, d), sopts);
              apiMs = a.timing.p50;
              apiCount = a.last.totalCount;
            } catch (e) {
              apiError = (e as Error).message;
            }
          }
          let walkMs: number | null = null;
          let walkCount: number | null = null;
          if (api) {
            const w = await measure(() => api!.walk(pick.code, d), sopts);
            walkMs = w.timing.p50;
            walkCount = w.last.total;
          }
          let pgMs: number | null = null;
          let pgRuns = 0;
          let pgTimedOut = false;
          let pgCount: number | null = null;
          if (pg && !pgGaveUp) {
            const p = await measure(async () => {
              const r = await pgBlast(pg!.client, propagation, pick.code, d, pgTimeoutMs);
              if (!r) throw new PgTimeout();
              return r;
            }, sopts).catch((e) => {
              if (e instanceof PgTimeout) return null;
              throw e;
            });
            if (p) {
              pgMs = p.timing.p50;
              pgRuns = p.timing.n;
              pgCount = p.last.total;
            } else {
              pgTimedOut = true;
              pgGaveUp = true;
            }
          }
          const agree = [apiCount, walkCount, pgCount].every((n) => n === null || n === c.last.total);
          const row: DepthRow = {
            depth: d,
            impacted: c.last.total,
            pgMs,
            pgRuns,
            pgTimedOut,
            cypherMs,
            apiMs,
            apiError,
            walkMs,
            agree,
            pgOverCypher: pgMs !== null ? Math.round((pgMs / cypherMs) * 100) / 100 : null,
            pgOverApi: pgMs !== null && apiMs !== null ? Math.round((pgMs / apiMs) * 100) / 100 : null,
            pgOverWalk: pgMs !== null && walkMs !== null ? Math.round((pgMs / walkMs) * 100) / 100 : null,
          };
          rows.push(row);
          console.log(
            `   ${pick.role} depth ${d}: ${fmt(cypherCount)} CIs; cypher ${cypherMs} ms` +
              `${api ? `, api ${apiMs ?? apiError} ms, walk ${walkMs} ms` : ''}` +
              `${pg ? `, postgres ${pgTimedOut ? `> ${pgTimeoutMs / 1000} s` : pgMs === null ? 'skipped (timed out at a smaller depth)' : `${pgMs} ms`}` : ''}` +
              `${agree ? '' : ` COUNTS DIFFER (api ${apiCount}, postgres ${pgCount})`}`,
          );
        }
        sweep.push({ pick, rows });
        await save(false);
      }
    }
    loadAverages.end = loadAvg();

    // 3. Report.
    console.log(
      `\nblast radius at depth ${depth} (ms; ${iterations} iterations after ${warmups} warm-ups, ` +
        `at most ${budgetMs / 1000} s per CI and method)`,
    );
    console.log(
      table(
        [
          'CI',
          'impacted',
          'API count',
          'API p50',
          'API p95',
          'API max',
          'Cypher p50',
          'Cypher p95',
          'Cypher max',
          'API/Cypher',
          'targets',
        ],
        mainRows.map((r) => [
          `${r.pick.role} ${r.pick.code}`,
          r.impacted,
          r.counts.api ?? '-',
          r.api?.p50 ?? '-',
          r.api?.p95 ?? '-',
          r.api?.max ?? '-',
          r.bfs.p50,
          r.bfs.p95,
          r.bfs.max,
          r.apiOverFloor ?? '-',
          r.targets,
        ]),
      ),
    );
    for (const s of sweep) {
      console.log(`\n${s.pick.role} ${s.pick.code}: depth sweep (p50 ms)`);
      console.log(
        table(
          ['depth', 'impacted', 'PostgreSQL', 'walk', 'Cypher', 'API', 'PG/walk', 'PG/Cypher', 'PG/API', 'counts'],
          s.rows.map((r) => [
            String(r.depth),
            r.impacted ?? '-',
            r.pgTimedOut ? `> ${pgTimeoutMs / 1000} s` : (r.pgMs ?? (pg ? 'skipped' : '-')),
            r.walkMs ?? '-',
            r.cypherMs ?? '-',
            r.apiMs ?? (r.apiError ? 'error' : '-'),
            r.pgOverWalk ?? '-',
            r.pgOverCypher ?? '-',
            r.pgOverApi ?? '-',
            r.agree ? 'agree' : 'DIFFER',
          ]),
        ),
      );
    }
    const file = await save(true);
    console.log(`\nwritten to ${file}`);
  } finally {
    await cleanup.run();
  }
}

class PgTimeout extends Error {}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
