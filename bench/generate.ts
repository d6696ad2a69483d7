// `npm run bench:generate -- --cis 1000000 --seed 42 [--check] [--batch 10000] [--csv DIR]`
// Generates the synthetic estate without a database: times it, prints its facts (hubs, the median,
// 99th-percentile and busiest CIs), and with --check validates every CI and relation against the
// default model with the product's own checks (those of the initial load). --csv DIR writes the
// estate as the import files operators fill in: DIR/cis.csv (one column per attribute of any class)
// and DIR/relations.csv, for `npm run cli -- initial-load --file DIR/cis.csv --relations DIR/relations.csv`. Facts go to bench/results/estate-<cis>-<seed>.json.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { FIXED_COLUMNS, RELATION_COLUMNS } from '../src/imports/formats';
import { CompiledModel } from '../src/model/compiled-model';
import { loadDefaultModel } from '../src/model/model.service';
import { LoadChecker } from '../src/imports/initial-load';
import { DomainError } from '../src/platform/errors';
import { PROJECT_ROOT } from '../src/platform/config';
import { generateEstate, type EstateBatch } from './estate-generator';
import { Flags, fmt, table, writeResult } from './bench-util';

/**
 * Offline validation of a streamed estate with the product's own checks (`LoadChecker`: what the
 * bulk path would refuse, each batch against the ones before it), without Neo4j. Goes on after a
 * refused batch, which is then not counted as stored.
 */
class EstateChecker {
  private readonly checker = new LoadChecker(new CompiledModel(loadDefaultModel(PROJECT_ROOT), 1));
  readonly problems: string[] = [];

  async check(batch: EstateBatch): Promise<void> {
    try {
      await this.checker.check(batch, { actor: 'bench:generate', at: Date.now(), source: 'bench', ticket: null });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      if (this.problems.length < 20)
        this.problems.push(`batch ${batch.index}: ${String(e.details.field)}: ${e.message}`);
    }
  }
}

/** The estate as two CSV files in a folder, written batch by batch. */
class EstateCsv {
  private readonly cis: number;
  private readonly relations: number;
  private readonly columns: string[];

  constructor(dir: string) {
    const model = new CompiledModel(loadDefaultModel(PROJECT_ROOT), 1);
    const attributes = new Set(model.data.classes.flatMap((c) => (c.attributes ?? []).map((a) => a.name)));
    this.columns = [...FIXED_COLUMNS, ...[...attributes].sort()];
    fs.mkdirSync(dir, { recursive: true });
    this.cis = fs.openSync(path.join(dir, 'cis.csv'), 'w');
    this.relations = fs.openSync(path.join(dir, 'relations.csv'), 'w');
    fs.writeSync(this.cis, stringify([this.columns]));
    fs.writeSync(this.relations, stringify([[...RELATION_COLUMNS]]));
  }

  write(batch: EstateBatch): void {
    const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
    const rows = batch.cis.map((ci) => {
      const row: Record<string, unknown> = { ...ci.attributes, ...ci };
      return this.columns.map((c) => cell(row[c]));
    });
    fs.writeSync(this.cis, stringify(rows));
    fs.writeSync(this.relations, stringify(batch.relations.map((r) => [r.type, r.source, r.target])));
  }

  close(): void {
    fs.closeSync(this.cis);
    fs.closeSync(this.relations);
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
  const csv = flags.text('csv', '') ? new EstateCsv(flags.text('csv', '')) : null;
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
    await checker?.check(batch);
    csv?.write(batch);
  }
  csv?.close();
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
