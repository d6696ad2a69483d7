// Query plans of the bulk path on a loaded store (`import.bench.ts --explain`): each query PROFILEd with
// realistic parameters drawn from the estate, inside a transaction that is rolled back, and summarised as
// its operators with rows and db hits. Shows which plan the planner picked once hubs exist.

import type { Executor } from '../src/platform/neo4j/executor';
import { BATCH_QUERIES, relationTypeQueries } from '../src/cis/ci.repository';
import { OPLOG_QUERIES } from '../src/oplog/oplog.repository';
import { fmt, table } from './bench-util';

interface PlanNode {
  operatorType: string;
  identifiers: string[];
  arguments: Record<string, unknown>;
  dbHits: number;
  rows: number;
  children: PlanNode[];
}

export interface PlanSummary {
  query: string;
  rows: number;
  dbHits: number;
  ms: number;
  operators: string[];
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function')
    return (v as { toNumber: () => number }).toNumber();
  return Number(v ?? 0);
}

function walk(node: PlanNode, depth: number, out: string[]): number {
  const details = String(node.arguments?.Details ?? node.arguments?.details ?? '').slice(0, 90);
  out.push(
    `${'  '.repeat(depth)}${node.operatorType.replace(/@.*$/, '')} rows=${fmt(num(node.rows))} hits=${fmt(num(node.dbHits))}${details ? ` ${details}` : ''}`,
  );
  let hits = num(node.dbHits);
  for (const child of node.children ?? []) hits += walk(child, depth + 1, out);
  return hits;
}

async function profile(
  executor: Executor,
  name: string,
  query: string,
  params: Record<string, unknown>,
): Promise<PlanSummary> {
  const session = executor.driver.session();
  const tx = session.beginTransaction();
  try {
    const started = performance.now();
    const result = await tx.run(`PROFILE ${query}`, params);
    const ms = performance.now() - started;
    const operators: string[] = [];
    const plan = result.summary.profile as unknown as PlanNode | false;
    const dbHits = plan ? walk(plan, 0, operators) : 0;
    return { query: name, rows: result.records.length, dbHits, ms: Math.round(ms), operators };
  } finally {
    await tx.rollback();
    await session.close();
  }
}

/**
 * Profiles the bulk path's queries against the store as it is now. `sample` holds relationships that
 * exist (both ends stored), and whose targets include hubs.
 */
export async function explainBulkPath(
  executor: Executor,
  sample: { type: string; source: string; target: string }[],
): Promise<PlanSummary[]> {
  const codes = [...new Set(sample.flatMap((r) => [r.source, r.target]))];
  const found = (await executor.query(BATCH_QUERIES.byCodes, { codes })).map((row) => ({
    n: row.n as Record<string, unknown>,
    eid: row.eid as string,
  }));
  const ids = new Map(found.map(({ n }) => [n.code as string, n.id as string]));
  const eids = new Map(found.map(({ n, eid }) => [n.id as string, eid]));
  const byType = new Map<string, { sourceId: string; targetId: string }[]>();
  for (const r of sample) {
    const list = byType.get(r.type) ?? [];
    list.push({ sourceId: ids.get(r.source)!, targetId: ids.get(r.target)! });
    byType.set(r.type, list);
  }
  // The busiest type of the sample: the one with the most rows.
  const [type, pairs] = [...byType.entries()].sort((a, b) => b[1].length - a[1].length)[0];
  const q = relationTypeQueries(`\`${type}\``);
  const fresh = pairs.map((p, i) => ({
    sourceId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    targetId: p.targetId,
  }));
  const results: PlanSummary[] = [];
  results.push(await profile(executor, `activePairs ${type}, ${pairs.length} stored pairs`, q.activePairs, { pairs }));
  results.push(
    await profile(executor, `activePairs ${type}, ${fresh.length} pairs with a new source`, q.activePairs, {
      pairs: fresh,
    }),
  );
  results.push(
    await profile(executor, `activePairs ${type}, started from the target (hub)`, ACTIVE_PAIRS_FROM_TARGET(type), {
      pairs,
    }),
  );
  results.push(
    await profile(executor, `activePairs ${type}, EXISTS between bound ends`, ACTIVE_PAIRS_EXISTS(type), { pairs }),
  );
  results.push(
    await profile(executor, `createMany ${type}, ${pairs.length} rows (rolled back)`, q.createMany, {
      rows: pairs.map((p, i) => ({
        sourceEid: eids.get(p.sourceId),
        targetEid: eids.get(p.targetId),
        id: `bench-${i}`,
      })),
      at: Date.now(),
      actor: 'bench',
    }),
  );
  results.push(
    await profile(
      executor,
      `oplog append, ${pairs.length} entries with 2 CIs each by elementId (rolled back)`,
      OPLOG_QUERIES.append,
      {
        entries: pairs.map((p, i) => ({
          props: { seq: -1 - i, at: Date.now(), actor: 'bench', action: 'RELATION_CREATE', hash: 'x', prevHash: 'y' },
          ciIds: [],
          eids: [eids.get(p.sourceId), eids.get(p.targetId)],
        })),
      },
    ),
  );
  results.push(await profile(executor, `byCodes, ${codes.length} codes`, BATCH_QUERIES.byCodes, { codes }));
  return results;
}

/**
 * The plan the planner may pick for activePairs when both index seeks cost the same: seek the target and
 * walk all its relationships of the type. On a hub that is its whole fan-in, for every pair.
 */
const ACTIVE_PAIRS_FROM_TARGET = (type: string) => `
      UNWIND $pairs AS pair
      MATCH (a)-[r:\`${type}\`]->(b:CI {id: pair.targetId})
      USING INDEX b:CI(id)
      WHERE a.id = pair.sourceId AND a:CI AND r.until IS NULL
      RETURN a.id AS sourceId, b.id AS targetId`;

/** Both ends sought by index, then an existence check between two bound nodes (no walk of a hub's fan-in). */
const ACTIVE_PAIRS_EXISTS = (type: string) => `
      UNWIND $pairs AS pair
      MATCH (a:CI {id: pair.sourceId}), (b:CI {id: pair.targetId})
      WHERE EXISTS { (a)-[r:\`${type}\`]->(b) WHERE r.until IS NULL }
      RETURN a.id AS sourceId, b.id AS targetId`;

export function printPlans(plans: PlanSummary[]): void {
  console.log(
    table(
      ['query', 'rows', 'db hits', 'ms'],
      plans.map((p) => [p.query, p.rows, p.dbHits, p.ms]),
    ),
  );
  for (const p of plans) console.log(`\n${p.query}:\n${p.operators.join('\n')}`);
}
