// `import.bench.ts --stages`: where the product's bulk path spends its time, without copying it. The
// services run on an Executor whose write transactions time every query (named by its text), the
// commit, and the JavaScript between them, into a StageClock.

import type { Driver } from 'neo4j-driver';
import { Executor, type ExecutorOptions, type Tx } from '../src/platform/neo4j/executor';
import { BATCH_QUERIES, CI_QUERIES } from '../src/cis/ci.repository';
import { OPLOG_QUERIES } from '../src/oplog/oplog.repository';
import type { StageClock } from './raw-batch';

const NAMES = new Map<string, string>([
  ...Object.entries(BATCH_QUERIES).map(([name, text]): [string, string] => [text, `BATCH_QUERIES.${name}`]),
  ...Object.entries(CI_QUERIES).map(([name, text]): [string, string] => [text, `CI_QUERIES.${name}`]),
  ...Object.entries(OPLOG_QUERIES).map(([name, text]): [string, string] => [text, `OPLOG_QUERIES.${name}`]),
]);

/** A query's stage name: its constant's name, or its first words with relationship types folded. */
function stageOf(cypher: string): string {
  const known = NAMES.get(cypher);
  if (known) return `db: ${known}`;
  const words = cypher
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\[r?:`?[A-Z_]+`?/g, '[:TYPE')
    .slice(0, 90);
  return `db: ${words}`;
}

export class TimedExecutor extends Executor {
  constructor(
    driver: Driver,
    options: ExecutorOptions,
    private readonly clock: StageClock,
  ) {
    super(driver, options);
  }

  override async write<T>(work: (tx: Tx) => Promise<T>, metadata: Record<string, unknown> = {}): Promise<T> {
    const started = performance.now();
    let workDone = 0;
    let queries = 0;
    const result = await super.write(async (tx) => {
      const timed: Tx = {
        run: async (cypher, params) => {
          const t0 = performance.now();
          try {
            return await tx.run(cypher, params);
          } finally {
            const ms = performance.now() - t0;
            queries += ms;
            this.clock.add(stageOf(cypher), ms);
          }
        },
      };
      const value = await work(timed);
      workDone = performance.now();
      return value;
    }, metadata);
    const end = performance.now();
    this.clock.add('db: commit', end - workDone);
    this.clock.add('js: between queries', workDone - started - queries);
    this.clock.add('total', end - started);
    this.clock.countBatch();
    return result;
  }
}
