// Operations benchmark (issues 5, 6 and 7) on the synthetic estate, through the product's GraphQL API over
// HTTP (the app in-process, production configuration, a CONFIG_MANAGER token):
//
//   7. root-cause lookup for 20 symptom CIs (applications and components of 3–5 business systems): p95 ≤ 250 ms
//   5. creating an audit over classes holding ≈100,000 CIs: ≤ 5 s; the report of a ≈10,000-item audit: ≤ 2 s
//   6. capturing a baseline of a ≈10,000-CI scope: ≤ 3 s; comparing two such baselines: ≤ 3 s
//
//   npm run bench:ops -- --cis 1000000 --store /tmp/cmdb-impact-1m [--seed 42] [--iterations 30] [--warmups 3]
//        [--audit-classes Desktop,Peripheral] [--audit-ratio 0.1] [--audit-runs 3] [--report-iterations 10]
//        [--baseline-classes PhysicalServer,Rack] [--capture-runs 4] [--compare-iterations 10] [--edits 50]
//        [--heap 4g] [--pagecache 4g] [--api-timeout-s 60] [--only rootcause,audit,baseline] [--verbose]
//        [--stages]   (after the audit and capture runs: where their write transactions spent the time)
//
// The store is opened as bench:impact opens it (impact-load.ts: reused from `--store DIR`, or loaded raw into
// a temporary one), after the product's migrations and default model. A raw load has no CIVersion nodes;
// baselines read CI state from them, so the setup step creates version 1 for the CIs of the baseline classes
// that have none (the shape `createBatch` writes) and says how many. Between baseline captures it edits a few
// CIs the way an update does (closes the current CIVersion, writes the next one), so the comparison has
// differences to find.

import 'reflect-metadata';
import os from 'node:os';
import path from 'node:path';
import { snapshotOf, toCIRecord } from '../src/cis/ci.repository';
import { int } from '../src/platform/neo4j/mappers';
import { generateEstate, mulberry32 } from './estate-generator';
import { Flags, fmt, machine, stamp, table, writeResult } from './bench-util';
import { Cleanup, openStore, type Store } from './impact-load';
import { startBenchApi, type BenchApi } from './bench-api';
import { StageClock } from './raw-batch';

/** `--stages`: the API's write transactions time each query, the commit and the JavaScript in between. */
let stageClock: StageClock | null = null;

/** Prints (and clears) what the write transactions since the last call spent, per stage. */
function printStages(label: string): void {
  if (!stageClock) return;
  const report = stageClock.report();
  stageClock.reset();
  console.log(`   stages of ${label} (all its write transactions; ms per transaction):`);
  console.log(
    table(
      ['stage', 's', 'share', 'ms/tx'],
      report.map((r) => [r.stage, r.seconds, `${r.share}%`, r.msPerBatch]),
    ),
  );
}

// ------------------------------------------------------------------ timing

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
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    n: s.length,
    p50: r(at(0.5)),
    p95: r(at(0.95)),
    max: r(s[s.length - 1]),
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { ms: performance.now() - t0, value };
}

const loadAvg = () => Math.round(os.loadavg()[0] * 100) / 100;

// ------------------------------------------------------------------ the API

// ------------------------------------------------------------------ queries

const ROOT_CAUSES = `query($cis:[String!]!){ rootCauses(input:{cis:$cis}, first: 20){ totalCount candidates { rank code explains score { explanation } evidence { changes { ref } } } } }`;

const CREATE_AUDIT = `mutation($input: CreateAuditInput!) {
  createAudit(input: $input) { id ref itemCount strata { class population sampled } }
}`;

const RECORD_RESULTS = `mutation($audit: String!, $results: [AuditResultInput!]!) {
  recordAuditResults(audit: $audit, results: $results) { id }
}`;

const AUDIT_REPORT = `query($audit: String!) {
  auditReport(audit: $audit) {
    complete
    classes { class population sampleSize unaudited matched mismatched missing accuracy }
    total { class population sampleSize unaudited matched mismatched missing accuracy }
    markdown
    itemsCsv
  }
}`;

const CAPTURE = `mutation($input: CaptureBaselineInput!) {
  captureBaseline(input: $input) { id ciCount relationCount }
}`;

const COMPARE = `query($a: ID!, $b: ID!) {
  compareBaseline(baseline: $a, against: { baseline: $b }) { counts { total } differences(first: 20) { totalCount } }
}`;

interface RootCausesData {
  rootCauses: { totalCount: number; candidates: { rank: number; code: string; explains: string[] }[] };
}
interface AuditData {
  createAudit: {
    id: string;
    ref: string;
    itemCount: number;
    strata: { class: string; population: number; sampled: number }[];
  };
}
interface ReportData {
  auditReport: {
    complete: boolean;
    total: { sampleSize: number; matched: number; mismatched: number; missing: number; accuracy: number | null };
    markdown: string;
    itemsCsv: string;
  };
}
interface CaptureData {
  captureBaseline: { id: string; ciCount: number; relationCount: number };
}
interface CompareData {
  compareBaseline: { counts: { total: number }; differences: { totalCount: number } };
}

// ------------------------------------------------------------------ results

interface Row {
  issue: string;
  operation: string;
  scale: string;
  target: string;
  targetMs: number;
  /** Which figure the target applies to. */
  on: 'p95' | 'max';
  timing: Timing | null;
  error?: string;
  note?: string;
}

const verdict = (r: Row) =>
  !r.timing ? 'ERROR' : (r.on === 'p95' ? r.timing.p95 : r.timing.max) <= r.targetMs ? 'PASS' : 'FAIL';

// ------------------------------------------------------------------ issue 7: root causes

/** Symptom sets: applications and their components of 3–5 business systems, drawn from a fixed seed. */
async function symptomSets(store: Store, count: number, seed: number): Promise<string[][]> {
  const systems = (
    await store.executor.query(`MATCH (s:CI) WHERE s.class = 'BusinessSystem' RETURN s.code AS code ORDER BY code`)
  ).map((r) => r.code as string);
  if (systems.length < 5) throw new Error(`only ${systems.length} business systems in the store`);
  const rand = mulberry32(seed);
  const sets: string[][] = [];
  const appsOf = new Map<string, { app: string; components: string[] }[]>();
  const loadApps = async (codes: string[]) => {
    const missing = codes.filter((c) => !appsOf.has(c));
    if (!missing.length) return;
    const rows = await store.executor.query(
      `UNWIND $codes AS s
       MATCH (bs:CI {code: s})<-[:BELONGS_TO]-(app:CI)
       OPTIONAL MATCH (app)<-[:PART_OF]-(cmp:CI)
       WITH s, app, cmp ORDER BY cmp.code
       WITH s, app.code AS app, collect(cmp.code) AS components ORDER BY app
       RETURN s, collect({app: app, components: components}) AS apps`,
      { codes: missing },
    );
    for (const c of missing) appsOf.set(c, []);
    for (const r of rows) appsOf.set(r.s as string, r.apps as { app: string; components: string[] }[]);
  };
  while (sets.length < count) {
    const k = 3 + Math.floor(rand() * 3);
    const picked = new Set<string>();
    while (picked.size < k) picked.add(systems[Math.floor(rand() * systems.length)]);
    const chosen = [...picked];
    await loadApps(chosen);
    // Per system, an application and its components (they share the application's hosts), then the next one.
    const perSystem = chosen.map((s) => {
      const apps = [...(appsOf.get(s) ?? [])];
      const start = apps.length ? Math.floor(rand() * apps.length) : 0;
      return [...apps.slice(start), ...apps.slice(0, start)].flatMap((a) => [a.app, ...a.components]);
    });
    // A share of 20 from each system in turn; a system with too few CIs leaves its share to the others.
    const share = Math.ceil(20 / chosen.length);
    const symptoms: string[] = perSystem.flatMap((l) => l.slice(0, share)).slice(0, 20);
    for (let i = share; symptoms.length < 20 && perSystem.some((l) => i < l.length); i++) {
      for (const l of perSystem) if (i < l.length && symptoms.length < 20) symptoms.push(l[i]);
    }
    if (symptoms.length === 20) sets.push(symptoms);
  }
  return sets;
}

async function rootCauses(api: BenchApi, store: Store, flags: Flags, rows: Row[], extra: Record<string, unknown>) {
  const iterations = flags.number('iterations', 30);
  const warmups = flags.number('warmups', 3);
  const sets = await symptomSets(store, warmups + iterations, flags.number('symptom-seed', 7));
  console.log(`-- issue 7: rootCauses, ${warmups} warm-ups + ${iterations} symptom sets of 20 (load ${loadAvg()})`);
  console.log(`   first set: ${sets[0].join(' ')}`);
  const samples: number[] = [];
  const results: { symptoms: string[]; ms: number; totalCount: number; top: string | null; explains: number }[] = [];
  for (const [i, cis] of sets.entries()) {
    const { ms, value } = await timed(() => api.gql<RootCausesData>(ROOT_CAUSES, { cis }));
    const top = value.rootCauses.candidates[0];
    if (i >= warmups) {
      samples.push(ms);
      results.push({
        symptoms: cis,
        ms: Math.round(ms * 10) / 10,
        totalCount: value.rootCauses.totalCount,
        top: top?.code ?? null,
        explains: top?.explains.length ?? 0,
      });
    }
    if (flags.flag('verbose')) {
      console.log(`   ${i < warmups ? 'warm-up' : 'run'} ${i}: ${ms.toFixed(0)} ms, ${value.rootCauses.totalCount}`);
    }
  }
  const t = timing(samples);
  const counts = results.map((r) => r.totalCount).sort((a, b) => a - b);
  console.log(
    `   p50 ${t.p50} ms, p95 ${t.p95} ms, max ${t.max} ms; candidates per lookup ${counts[0]}–${counts[counts.length - 1]}`,
  );
  rows.push({
    issue: '7',
    operation: 'rootCauses (API)',
    scale: `20 symptoms × ${t.n} sets`,
    target: 'p95 ≤ 250 ms',
    targetMs: 250,
    on: 'p95',
    timing: t,
    note: `candidates ${counts[0]}–${counts[counts.length - 1]}`,
  });
  extra.rootCauses = { query: ROOT_CAUSES, warmups, runs: results };
}

// ------------------------------------------------------------------ issue 5: audits

async function audits(
  api: BenchApi,
  store: Store,
  flags: Flags,
  rows: Row[],
  extra: Record<string, unknown>,
  runStamp: string,
) {
  const classes = flags.text('audit-classes', 'Desktop,Peripheral').split(',');
  const ratio = flags.number('audit-ratio', 0.1);
  const runs = flags.number('audit-runs', 3);
  const counts = await store.executor.query(
    `MATCH (c:CI) WHERE c.class IN $classes AND c.retiredAt IS NULL RETURN c.class AS class, count(*) AS n`,
    { classes },
  );
  const population = counts.reduce((a, r) => a + (r.n as number), 0);
  console.log(
    `-- issue 5: createAudit over ${classes.join(', ')} (${counts.map((r) => `${r.class} ${fmt(r.n as number)}`).join(', ')}; ` +
      `${fmt(population)} CIs), ratio ${ratio}: 1 warm-up + ${runs} timed (load ${loadAvg()})`,
  );
  const input = (i: number) => ({
    ref: `OPS-BENCH-${runStamp}-${i}`,
    title: `ops benchmark audit ${i}`,
    seed: `ops-bench-${runStamp}-${i}`,
    classes: classes.map((c) => ({ class: c, ratio, minimum: 3 })),
  });
  const createSamples: number[] = [];
  let audit: AuditData['createAudit'] | null = null;
  stageClock?.reset();
  for (let i = 0; i <= runs; i++) {
    const { ms, value } = await timed(() => api.gql<AuditData>(CREATE_AUDIT, { input: input(i) }));
    audit = value.createAudit;
    console.log(
      `   ${i === 0 ? 'warm-up' : 'run'} ${audit.ref}: ${fmt(audit.itemCount)} items in ${fmt(Math.round(ms))} ms`,
    );
    if (i > 0) createSamples.push(ms);
  }
  printStages('createAudit');
  const ct = timing(createSamples);
  rows.push({
    issue: '5',
    operation: 'createAudit (API)',
    scale: `${fmt(population)} CIs → ${fmt(audit!.itemCount)} items`,
    target: '≤ 5 s',
    targetMs: 5000,
    on: 'max',
    timing: ct,
  });

  // Results for every item of the last audit, in calls of at most 5,000: most MATCHED, some MISMATCHED, a few MISSING.
  const a = audit!;
  const [cause] = (await api.gql<{ auditCauses: string[] }>(`{ auditCauses }`)).auditCauses;
  const items = await store.executor.query(
    `MATCH (i:AuditItem {auditId: $id}) RETURN i.code AS code, i.class AS class ORDER BY code`,
    { id: a.id },
  );
  const rand = mulberry32(5);
  const results = items.map((it) => {
    const x = rand();
    if (x < 0.9) return { code: it.code, status: 'MATCHED' };
    if (x < 0.98) {
      return {
        code: it.code,
        status: 'MISMATCHED',
        cause,
        fields: [{ field: 'owner', observed: 'TEAM-UNKNOWN' }],
        note: 'ops benchmark',
      };
    }
    return { code: it.code, status: 'MISSING', cause, note: 'ops benchmark' };
  });
  const recordMs: number[] = [];
  for (let i = 0; i < results.length; i += 5_000) {
    const { ms } = await timed(() => api.gql(RECORD_RESULTS, { audit: a.ref, results: results.slice(i, i + 5_000) }));
    recordMs.push(ms);
  }
  console.log(
    `   recordAuditResults: ${fmt(results.length)} results in ${recordMs.length} calls, ` +
      `${recordMs.map((m) => fmt(Math.round(m))).join(' + ')} ms`,
  );

  // The report of that audit.
  const iterations = flags.number('report-iterations', 10);
  const warmups = flags.number('report-warmups', 2);
  const reportSamples: number[] = [];
  let report: ReportData['auditReport'] | null = null;
  for (let i = 0; i < warmups + iterations; i++) {
    const { ms, value } = await timed(() => api.gql<ReportData>(AUDIT_REPORT, { audit: a.ref }));
    report = value.auditReport;
    if (i >= warmups) reportSamples.push(ms);
  }
  const rt = timing(reportSamples);
  console.log(
    `   auditReport ${a.ref}: p50 ${rt.p50} ms, p95 ${rt.p95} ms, max ${rt.max} ms; total ${JSON.stringify(report!.total)}, ` +
      `markdown ${fmt(report!.markdown.length)} chars, CSV ${fmt(report!.itemsCsv.length)} chars`,
  );
  rows.push({
    issue: '5',
    operation: 'auditReport (API)',
    scale: `${fmt(a.itemCount)} items`,
    target: '≤ 2 s',
    targetMs: 2000,
    on: 'p95',
    timing: rt,
  });
  extra.audits = {
    classes,
    ratio,
    population: Object.fromEntries(counts.map((r) => [r.class, r.n])),
    created: { timing: ct, lastAudit: a },
    recordResults: { results: results.length, callsMs: recordMs.map((m) => Math.round(m)) },
    report: {
      timing: rt,
      total: report!.total,
      markdownChars: report!.markdown.length,
      csvChars: report!.itemsCsv.length,
    },
  };
}

// ------------------------------------------------------------------ issue 6: baselines

/** CIVersion v1 for every CI of these classes that has no version (a raw load writes none). */
async function ensureVersions(store: Store, classes: string[]): Promise<{ created: number; ms: number }> {
  const t0 = performance.now();
  const rows = await store.executor.query(
    `MATCH (n:CI) WHERE n.class IN $classes AND NOT EXISTS { MATCH (v:CIVersion) WHERE v.ciId = n.id AND v.validFrom IS NOT NULL }
     RETURN n {.*} AS n`,
    { classes },
  );
  const versions = rows.map((r) => {
    const ci = toCIRecord(r.n as Record<string, unknown>);
    return { ciId: ci.id, version: ci.version, validFrom: ci.createdAt, state: snapshotOf(ci) };
  });
  for (let i = 0; i < versions.length; i += 5_000) {
    await store.executor.write((tx) =>
      tx.run(
        `UNWIND $rows AS r
         CREATE (:CIVersion {ciId: r.ciId, version: r.version, validFrom: r.validFrom, validTo: null, state: r.state})`,
        { rows: versions.slice(i, i + 5_000) },
      ),
    );
  }
  return { created: versions.length, ms: Math.round(performance.now() - t0) };
}

/** Edits CIs as an update would leave them: next version on the node, current CIVersion closed, a new one written. */
async function editCIs(store: Store, codes: string[], tag: string): Promise<void> {
  const at = Date.now();
  await store.executor.write(async (tx) => {
    const rows = await tx.run(`UNWIND $codes AS code MATCH (n:CI {code: code}) RETURN n {.*} AS n`, { codes });
    const edits = rows.map((r) => {
      const ci = toCIRecord(r.n as Record<string, unknown>);
      const next = {
        ...ci,
        name: `${ci.name.replace(/ \(ops-bench [^)]*\)$/, '')} (ops-bench ${tag})`,
        version: ci.version + 1,
        updatedAt: at,
      };
      return { id: ci.id, name: next.name, version: next.version, snapshot: snapshotOf(next) };
    });
    await tx.run(
      `UNWIND $edits AS e
       MATCH (n:CI {id: e.id})
       SET n.name = e.name, n.version = e.version, n.updatedAt = $at
       WITH n, e
       OPTIONAL MATCH (old:CIVersion {ciId: n.id}) WHERE old.validFrom IS NOT NULL AND old.validTo IS NULL
       SET old.validTo = $at
       WITH DISTINCT n, e
       CREATE (:CIVersion {ciId: n.id, version: e.version, validFrom: $at, validTo: null, state: e.snapshot})`,
      { edits, at },
    );
  });
}

async function baselines(
  api: BenchApi,
  store: Store,
  flags: Flags,
  rows: Row[],
  extra: Record<string, unknown>,
  runStamp: string,
  setup: string[],
) {
  const classes = flags.text('baseline-classes', 'PhysicalServer,Rack').split(',');
  const captures = Math.max(2, flags.number('capture-runs', 4));
  const editCount = flags.number('edits', 50);
  const v = await ensureVersions(store, classes);
  const note = `created CIVersion v1 for ${fmt(v.created)} CIs of ${classes.join(', ')} that had none (${fmt(v.ms)} ms)`;
  console.log(`-- issue 6: baselines of ${scopeCisNote(flags)}${classes.join(', ')}; setup: ${note}`);
  setup.push(note);
  const codes = (
    await store.executor.query(
      `MATCH (n:CI) WHERE n.class IN $classes RETURN n.code AS code ORDER BY code LIMIT $limit`,
      { classes, limit: int(editCount * 20) },
    )
  ).map((r) => r.code as string);
  // `--baseline-cis N`: exactly N CIs of those classes, named (depth 0), instead of every CI of the classes.
  const scopeCis = flags.number('baseline-cis', 0);
  const scope = scopeCis
    ? {
        cis: (
          await store.executor.query(
            `MATCH (n:CI) WHERE n.class IN $classes RETURN n.code AS code ORDER BY code LIMIT $limit`,
            { classes, limit: int(scopeCis) },
          )
        ).map((r) => r.code as string),
        depth: 0,
      }
    : { classes };
  const capture = (i: number) =>
    api.gql<CaptureData>(CAPTURE, { input: { name: `ops-bench ${runStamp} ${i}`, scope } });

  const captureSamples: number[] = [];
  const ids: string[] = [];
  let last: CaptureData['captureBaseline'] | null = null;
  stageClock?.reset();
  for (let i = 0; i <= captures; i++) {
    if (i > 1) {
      // A different handful each time, so consecutive baselines differ by `editCount` CIs.
      const from = ((i - 2) * editCount) % Math.max(1, codes.length - editCount);
      await editCIs(store, codes.slice(from, from + editCount), `${runStamp}-${i}`);
    }
    const { ms, value } = await timed(() => capture(i));
    last = value.captureBaseline;
    console.log(
      `   ${i === 0 ? 'warm-up' : 'capture'} ${i}: ${fmt(last.ciCount)} CIs, ${fmt(last.relationCount)} relationships in ${fmt(Math.round(ms))} ms`,
    );
    if (i > 0) {
      captureSamples.push(ms);
      ids.push(last.id);
    }
  }
  printStages('captureBaseline');
  setup.push(`edited ${editCount} CIs (name, version, CIVersion) between consecutive captures`);
  const ct = timing(captureSamples);
  rows.push({
    issue: '6',
    operation: 'captureBaseline (API)',
    scale: `${fmt(last!.ciCount)} CIs, ${fmt(last!.relationCount)} rels`,
    target: '≤ 3 s',
    targetMs: 3000,
    on: 'max',
    timing: ct,
  });

  // First comparisons of pairs never read before (the service keeps parsed contents of the last 8 baselines),
  // then the same pair again and again.
  const coldSamples: number[] = [];
  let diff: CompareData['compareBaseline'] | null = null;
  for (let i = 0; i + 1 < ids.length; i += 2) {
    const { ms, value } = await timed(() => api.gql<CompareData>(COMPARE, { a: ids[i], b: ids[i + 1] }));
    diff = value.compareBaseline;
    coldSamples.push(ms);
    console.log(`   compare ${i + 1} vs ${i + 2} (first): ${fmt(Math.round(ms))} ms, ${diff.counts.total} differences`);
  }
  const iterations = flags.number('compare-iterations', 10);
  const warmSamples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const { ms, value } = await timed(() => api.gql<CompareData>(COMPARE, { a: ids[0], b: ids[1] }));
    diff = value.compareBaseline;
    warmSamples.push(ms);
  }
  const cold = timing(coldSamples);
  const warm = timing(warmSamples);
  console.log(`   compare again (contents cached): p50 ${warm.p50} ms, p95 ${warm.p95} ms, max ${warm.max} ms`);
  const scale = `${fmt(last!.ciCount)} vs ${fmt(last!.ciCount)} CIs`;
  rows.push({
    issue: '6',
    operation: 'compareBaseline, first (API)',
    scale,
    target: '≤ 3 s',
    targetMs: 3000,
    on: 'max',
    timing: cold,
    note: `${diff!.counts.total} differences`,
  });
  rows.push({
    issue: '6',
    operation: 'compareBaseline, repeated',
    scale,
    target: '≤ 3 s',
    targetMs: 3000,
    on: 'p95',
    timing: warm,
  });
  extra.baselines = {
    classes,
    versionsCreated: v.created,
    edits: editCount,
    capture: { timing: ct, ciCount: last!.ciCount, relationCount: last!.relationCount },
    compareFirst: cold,
    compareRepeated: warm,
    differences: diff!.counts.total,
  };
}

const scopeCisNote = (flags: Flags) =>
  flags.number('baseline-cis', 0)
    ? `the first ${fmt(flags.number('baseline-cis', 0))} CIs (by code) of `
    : 'every CI of ';

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const flags = new Flags();
  const cis = flags.number('cis', 100_000);
  const seed = flags.number('seed', 42);
  const storeDir = flags.text('store', '') || null;
  const only = new Set(flags.text('only', 'rootcause,audit,baseline').split(','));
  const host = machine();
  const when = new Date();
  const runStamp = stamp(when);
  const loadAverages: Record<string, number> = { start: loadAvg() };
  console.log(
    `ops benchmark: ${fmt(cis)} CIs (seed ${seed})\n` +
      `machine: ${host.cpus} CPUs (${host.cpuModel}), ${host.memoryGiB} GiB, Node ${host.node}, ${host.java}; ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  if (loadAverages.start > host.cpus / 2)
    console.log('warning: the machine is busy with other work; figures will be high');

  const cleanup = new Cleanup();
  const rows: Row[] = [];
  const setup: string[] = [];
  const extra: Record<string, unknown> = {};
  const errors: { section: string; message: string; stack?: string }[] = [];
  extra.errors = errors;
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
    setup.push('migrations applied and the default model ensured (impact-load.ts openStore)');
    loadAverages.afterOpen = loadAvg();
    const api = await startBenchApi(store.uri, {
      queryTimeoutMs: flags.number('api-timeout-s', 60) * 1000,
      actor: 'bench-ops',
      clock: (stageClock = flags.flag('stages') ? new StageClock() : null) ?? undefined,
    });
    cleanup.add('HTTP app', () => api.close());
    console.log(`api: ${api.url} (in-process, production configuration, CONFIG_MANAGER token)`);

    const section = async (name: string, issue: string, work: () => Promise<void>) => {
      if (!only.has(name)) return;
      const before = rows.length;
      try {
        await work();
      } catch (e) {
        const message = (e as Error).message;
        console.log(`   ${name} failed: ${message}`);
        if (rows.length === before) {
          rows.push({
            issue,
            operation: name,
            scale: '-',
            target: '-',
            targetMs: 0,
            on: 'max',
            timing: null,
            error: message,
          });
        }
        errors.push({ section: name, message, stack: (e as Error).stack });
      }
      loadAverages[`after-${name}`] = loadAvg();
    };
    await section('rootcause', '7', () => rootCauses(api, store, flags, rows, extra));
    await section('audit', '5', () => audits(api, store, flags, rows, extra, runStamp));
    await section('baseline', '6', () => baselines(api, store, flags, rows, extra, runStamp, setup));
    loadAverages.end = loadAvg();

    console.log(`\ntargets (ms; load average ${loadAverages.start} at start, ${loadAverages.end} at end)`);
    console.log(
      table(
        ['issue', 'operation', 'scale', 'n', 'p50', 'p95', 'max', 'target', 'on', 'result'],
        rows.map((r) => [
          r.issue,
          r.operation,
          r.scale,
          r.timing?.n ?? '-',
          r.timing?.p50 ?? '-',
          r.timing?.p95 ?? '-',
          r.timing?.max ?? '-',
          r.target,
          r.on,
          r.error ? `ERROR: ${r.error.slice(0, 80)}` : verdict(r),
        ]),
      ),
    );
    console.log(`setup: ${setup.join('; ')}`);
    const file = await writeResult(`ops-${runStamp}.json`, {
      benchmark: 'ops',
      date: when.toISOString(),
      command: `npm run bench:ops -- ${process.argv.slice(2).join(' ')}`,
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
      estate: { cis, seed },
      setup,
      results: rows.map((r) => ({ ...r, result: r.error ? 'ERROR' : verdict(r) })),
      ...extra,
    });
    console.log(`\nwritten to ${file}`);
  } finally {
    await cleanup.run();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
