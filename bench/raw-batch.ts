// The floor of the import benchmark (`import.bench.ts --mode raw`): the estate's CIs and relationships
// written with plain UNWIND … CREATE and nothing else — no validation, versions, claims, ticket scope
// or operation log. What this data shape costs Neo4j on this machine at best, to hold the product's
// bulk path (`CIService.createBatch`) against.

import { randomUUID } from 'node:crypto';
import type { Tx } from '../src/platform/neo4j/executor';
import type { Services } from '../src/services';
import type { WriteContext } from '../src/oplog/oplog.service';
import type { NewCI, NewRelation } from '../src/cis/ci.batch';

/** Accumulates wall time and Node CPU time per named stage across batches. */
export class StageClock {
  private readonly wall = new Map<string, number>();
  private readonly cpu = new Map<string, number>();
  private batches = 0;

  async time<T>(stage: string, work: () => Promise<T> | T): Promise<T> {
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      return await work();
    } finally {
      const c = process.cpuUsage(c0);
      this.wall.set(stage, (this.wall.get(stage) ?? 0) + performance.now() - w0);
      this.cpu.set(stage, (this.cpu.get(stage) ?? 0) + (c.user + c.system) / 1000);
    }
  }

  reset(): void {
    this.wall.clear();
    this.cpu.clear();
    this.batches = 0;
  }

  countBatch(): void {
    this.batches++;
  }

  add(stage: string, ms: number): void {
    this.wall.set(stage, (this.wall.get(stage) ?? 0) + ms);
  }

  report(): { stage: string; seconds: number; share: number; nodeCpuSeconds: number; msPerBatch: number }[] {
    const total = this.wall.get('total') ?? [...this.wall.values()].reduce((s, v) => s + v, 0);
    return [...this.wall.entries()]
      .sort((a, b) => (a[0] === 'total' ? 1 : b[0] === 'total' ? -1 : b[1] - a[1]))
      .map(([stage, ms]) => ({
        stage,
        seconds: Math.round(ms / 100) / 10,
        share: Math.round((ms / total) * 1000) / 10,
        nodeCpuSeconds: Math.round((this.cpu.get(stage) ?? 0) / 100) / 10,
        msPerBatch: Math.round(ms / Math.max(1, this.batches)),
      }));
  }
}

const RAW_CREATE_CIS = `
    UNWIND $rows AS row
    CREATE (n:CI)
    SET n = row`;

const rawCreateRelations = (type: string) => `
    UNWIND $rows AS row
    MATCH (a:CI {code: row.source}), (b:CI {code: row.target})
    CREATE (a)-[:${type} {id: row.id, since: $at, createdBy: $actor}]->(b)`;

/** Writes one batch raw, in one write transaction, timing its stages. */
export async function rawCreateBatch(
  services: Services,
  ctx: WriteContext,
  batch: { cis: NewCI[]; relations: NewRelation[] },
  clock: StageClock,
): Promise<void> {
  const t = <T>(stage: string, work: () => Promise<T> | T) => clock.time(stage, work);
  clock.countBatch();
  let workDone = 0;
  await t('total', async () => {
    await services.executor.write(async (tx: Tx) => {
      const rows = batch.cis.map((c) => rawCIRow(c, ctx.at));
      await t('db: create CIs', () => tx.run(RAW_CREATE_CIS, { rows }));
      const byType = new Map<string, { id: string; source: string; target: string }[]>();
      for (const r of batch.relations) {
        const list = byType.get(r.type);
        const row = { id: randomUUID(), source: r.source, target: r.target };
        if (list) list.push(row);
        else byType.set(r.type, [row]);
      }
      for (const [type, list] of byType) {
        if (!/^[A-Z][A-Z0-9_]*$/.test(type)) throw new Error(`raw batch: invalid relation type ${type}`);
        await t('db: create relationships', () =>
          tx.run(rawCreateRelations(type), { rows: list, at: ctx.at, actor: ctx.actor }),
        );
      }
      workDone = performance.now();
    });
    clock.add('db: commit', performance.now() - workDone);
  });
}

/** A CI as the raw loaders store it: the product's node shape (attributes as properties), nothing else. */
export function rawCIRow(c: NewCI, at: number): Record<string, unknown> & { code: string } {
  return {
    ...(c.attributes ?? {}),
    id: randomUUID(),
    code: c.code,
    name: c.name,
    class: c.class,
    lifecycle: c.lifecycle ?? 'PLANNED',
    owner: c.owner,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
}
