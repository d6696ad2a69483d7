// `npm run bench:generate -- --cis 1000000 --seed 42 [--check] [--batch 10000]`
// Generates the synthetic estate without a database: times it, prints its facts (hubs, the median,
// 99th-percentile and busiest CIs), and with --check validates every CI and relation against the
// default model with the product's own pure checks. Facts go to bench/results/estate-<cis>-<seed>.json.

import { createHash } from 'node:crypto';
import { CompiledModel } from '../src/model/compiled-model';
import { loadDefaultModel } from '../src/model/model.service';
import {
  checkAttributes,
  checkCode,
  identKeyOf,
  missingForBaseline,
  type RelationCount,
} from '../src/cis/ci.validation';
import { uniqueClaims } from '../src/cis/ci.batch';
import { PROJECT_ROOT } from '../src/platform/config';
import { generateEstate, type EstateBatch } from './estate-generator';
import { Flags, fmt, table, writeResult } from './bench-util';

/** Offline validation of a streamed estate: what createBatch would refuse, without Neo4j. */
class EstateChecker {
  private readonly model = new CompiledModel(loadDefaultModel(PROJECT_ROOT), 1);
  private readonly known = new Map<string, { class: string; lifecycle: string }>();
  private readonly keys = new Set<string>();
  private readonly pairs = new Set<string>();
  private readonly oneOut = new Set<string>();
  private readonly oneIn = new Set<string>();
  readonly problems: string[] = [];

  private problem(message: string): void {
    if (this.problems.length < 20) this.problems.push(message);
  }

  check(batch: EstateBatch): void {
    const m = this.model;
    const have = new Map<string, RelationCount[]>();
    for (const ci of batch.cis) {
      if (this.known.has(ci.code)) this.problem(`${ci.code}: duplicate code`);
      const cls = m.getClass(ci.class);
      if (!cls || cls.abstract) {
        this.problem(`${ci.code}: class ${ci.class}`);
        continue;
      }
      const code = checkCode(cls, ci.code);
      if (code) this.problem(`${ci.code}: ${code.message}`);
      const { attributes, problems } = checkAttributes(cls, ci.attributes ?? {});
      for (const p of problems) this.problem(`${ci.code}: ${p.field} ${p.message}`);
      for (const key of [identKeyOf(cls, attributes), ...uniqueClaims(cls, attributes)]) {
        if (!key) continue;
        if (this.keys.has(key)) this.problem(`${ci.code}: ${key} is not unique`);
        this.keys.add(key);
      }
      const owner = ci.owner === ci.code ? ci : this.known.get(ci.owner);
      if (!owner || !m.ownerClassSet.has(owner.class)) this.problem(`${ci.code}: owner ${ci.owner}`);
      this.known.set(ci.code, { class: ci.class, lifecycle: ci.lifecycle ?? 'PLANNED' });
      have.set(ci.code, []);
    }
    for (const r of batch.relations) {
      const type = m.relationTypes.get(r.type);
      const s = this.known.get(r.source);
      const t = this.known.get(r.target);
      if (!type || !s || !t) {
        this.problem(`${r.source} ${r.type} ${r.target}: unknown type or end not yet created`);
        continue;
      }
      if (r.source === r.target) this.problem(`${r.source} ${r.type} itself`);
      if (!m.relationAllows(type, s.class, t.class))
        this.problem(`${r.type} cannot join ${s.class} ${r.source} to ${t.class} ${r.target}`);
      const pair = `${r.type}|${r.source}|${r.target}`;
      if (this.pairs.has(pair)) this.problem(`${pair} twice`);
      this.pairs.add(pair);
      if (type.cardinality === 'MANY_TO_ONE' || type.cardinality === 'ONE_TO_ONE') {
        const k = `${r.type}|${r.source}`;
        if (this.oneOut.has(k)) this.problem(`${r.source} has two ${r.type}`);
        this.oneOut.add(k);
      }
      if (type.cardinality === 'ONE_TO_MANY' || type.cardinality === 'ONE_TO_ONE') {
        const k = `${r.type}|${r.target}`;
        if (this.oneIn.has(k)) this.problem(`${r.target} has two incoming ${r.type}`);
        this.oneIn.add(k);
      }
      for (const [code, direction] of [
        [r.source, 'OUT'],
        [r.target, 'IN'],
      ] as const) {
        const counts = have.get(code);
        if (!counts) continue;
        const c = counts.find((x) => x.type === r.type && x.direction === direction);
        if (c) c.count++;
        else counts.push({ type: r.type, direction, count: 1 });
      }
    }
    for (const ci of batch.cis) {
      const cls = m.getClass(ci.class);
      if (!cls) continue;
      const { attributes } = checkAttributes(cls, ci.attributes ?? {});
      const missing = missingForBaseline(m, cls, ci.lifecycle ?? 'PLANNED', attributes, have.get(ci.code)!);
      if (missing.length) this.problem(`${ci.code} (${ci.lifecycle}) lacks ${missing.join(', ')}`);
    }
  }
}

async function main(): Promise<void> {
  const flags = new Flags();
  const cis = flags.number('cis', 100_000);
  const seed = flags.number('seed', 42);
  const batchSize = flags.number('batch', 10_000);
  const estate = generateEstate({ cis, seed });
  const checker = flags.flag('check') ? new EstateChecker() : null;
  // Two digests (CIs, relations) so the result does not depend on where the batches are cut.
  const ciDigest = createHash('sha256');
  const relationDigest = createHash('sha256');
  const started = performance.now();
  let batches = 0;
  let relations = 0;
  let largest = 0;
  for (const batch of estate.batches(batchSize)) {
    batches++;
    relations += batch.relations.length;
    largest = Math.max(largest, batch.cis.length);
    if (flags.flag('digest')) {
      for (const c of batch.cis) ciDigest.update(JSON.stringify(c));
      for (const r of batch.relations) relationDigest.update(`${r.type}|${r.source}|${r.target}\n`);
    }
    checker?.check(batch);
  }
  const seconds = (performance.now() - started) / 1000;
  const facts = estate.facts();
  const memory = process.memoryUsage();
  console.log(
    `estate of ${fmt(cis)} CIs and ${fmt(relations)} relations (seed ${seed}) in ${batches} batches of ≤${fmt(batchSize)} ` +
      `(largest ${fmt(largest)}): ${seconds.toFixed(1)} s${checker ? ' with --check' : ''}, ` +
      `${fmt(Math.round((cis + relations) / seconds))} items/s, heap ${fmt(Math.round(memory.heapUsed / 2 ** 20))} MiB`,
  );
  if (flags.flag('digest')) {
    console.log(
      `digest ${ciDigest.digest('hex').slice(0, 16)}/${relationDigest.digest('hex').slice(0, 16)} (CIs/relations)`,
    );
  }
  console.log(`relations per CI ${facts.relationsPerCi}; fan-in percentiles ${JSON.stringify(facts.fanInPercentiles)}`);
  console.log(`business systems ${JSON.stringify(facts.businessSystemsByImportance)}`);
  console.log(
    table(
      ['class', 'CIs'],
      Object.entries(facts.byClass)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, v]),
    ),
  );
  console.log(
    table(
      ['relation type', 'count'],
      Object.entries(facts.byRelationType)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, v]),
    ),
  );
  console.log(
    table(
      ['pick', 'code', 'class', 'fan-in', 'direct impact'],
      Object.entries(facts.picks).map(([k, p]) => [k, p.code, p.class, p.fanIn, p.directImpact]),
    ),
  );
  console.log(
    table(
      ['hub', 'role', 'fan-in', 'direct impact'],
      [...facts.hubs]
        .sort((a, b) => b.fanIn - a.fanIn)
        .slice(0, 15)
        .map((h) => [h.code, h.role, h.fanIn, h.directImpact]),
    ),
  );
  if (checker) {
    if (checker.problems.length) {
      console.error(`INVALID: ${checker.problems.length} problem(s), first ones:\n${checker.problems.join('\n')}`);
      process.exitCode = 1;
    } else {
      console.log('check: every CI and relation is valid against the default model');
    }
  }
  if (!flags.flag('no-write')) {
    const file = await writeResult(`estate-${cis}-${seed}.json`, { generatedIn: seconds, ...facts });
    console.log(`facts written to ${file}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
