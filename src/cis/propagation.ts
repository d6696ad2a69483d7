// Failure propagation over the CI graph, as of any moment: the one traversal that change impact
// (downstream: what a failure here breaks) and root-cause lookup (upstream: what could break this) share.
//
// A bounded breadth-first search along the model's relation types in their propagation direction, every
// CI visited once at its shortest distance: a hub with 200k dependants costs one pass over them, never
// the enumeration of paths, and the parent pointers give one shortest explanation path. It runs over the
// in-memory failure topology (./topology.ts) when that is loaded, and in the database otherwise, one
// query per level with typed, directed expansions only. Both see the committed graph.

import { NotFoundError, ValidationError } from '../platform/errors';
import type { Executor, Row, Tx } from '../platform/neo4j/executor';
import type { CompiledModel } from '../model/compiled-model';
import { relType } from '../model/model.repository';
import type { FailureTopology, NodeIndex, TopologyGraph } from './topology';

/** DOWNSTREAM follows failure propagation (impact); UPSTREAM goes against it (causes). */
export type Flow = 'DOWNSTREAM' | 'UPSTREAM';

export const DEFAULT_DEPTH = 6;
export const MAX_DEPTH = 10;

export interface WalkOptions {
  flow: Flow;
  maxDepth: number;
  /** Follow only these relation types (all propagating types when empty). */
  relationTypes?: readonly string[] | null;
  skipRelationTypes?: readonly string[] | null;
  /** CIs of these classes (subclasses included) are reached but not expanded further. */
  stopAtClasses?: readonly string[] | null;
  /** As of this moment (epoch ms); null for now. */
  at?: number | null;
}

/** A CI the walk reached. `parent` is the element id of the CI it was reached from (null for a seed). */
export interface Reached {
  elementId: string;
  id: string;
  code: string;
  class: string;
  lifecycle: string;
  distance: number;
  parent: string | null;
  /** The CI it was reached from (null for a seed): following these gives the explanation path. */
  from: Reached | null;
  /** The relation type crossed from the parent, and whether it was crossed from its source to its target. */
  via: string | null;
  forward: boolean;
}

export interface Walk {
  seeds: Reached[];
  /** Every CI reached at distance ≥ 1, in breadth-first order. */
  reached: Reached[];
  /** The deepest level that still reached new CIs. */
  depthReached: number;
  /** The in-memory graph the walk ran on, which can describe what it reached; absent when it ran in Neo4j. */
  graph?: TopologyGraph;
}

/** One step of an explanation path, from a seed to the CI explained. */
export interface PathStep {
  code: string;
  class: string;
  /** The relation type crossed to arrive here; null on the seed. */
  via: string | null;
  /** Whether that relationship points from the previous CI to this one. */
  forward: boolean;
}

// A CI is live at `at` when it existed and was not yet retired; a relationship when it had begun and not ended.
const LIVE_NODE = `(CASE WHEN $at IS NULL THEN b.retiredAt IS NULL
                   ELSE b.createdAt <= $at AND (b.retiredAt IS NULL OR b.retiredAt > $at) END)`;
const LIVE_REL = `r.since IS NOT NULL AND (CASE WHEN $at IS NULL THEN r.until IS NULL
                   ELSE r.since <= $at AND (r.until IS NULL OR r.until > $at) END)`;

const SEEDS = `
    UNWIND $codes AS code
    OPTIONAL MATCH (b:CI {code: code})
    RETURN code, elementId(b) AS elementId, b.id AS id, b.class AS class, b.lifecycle AS lifecycle,
           b.createdAt AS createdAt, b IS NOT NULL AND ${LIVE_NODE} AS live`;

/**
 * A walk as of a moment before a seed existed would answer with nothing, as if the CI stood alone: say
 * so instead, naming the CIs and when each was created.
 */
function assertExisted(seeds: { code: string; createdAt: number }[], at: number | null, field: string): void {
  if (at === null) return;
  const later = seeds.filter((s) => s.createdAt > at);
  if (!later.length) return;
  const when = (t: number) => new Date(t).toISOString();
  throw new NotFoundError(
    `${later.map((s) => `${s.code} did not exist at ${when(at)} (created ${when(s.createdAt)})`).join('; ')}: ask as of a moment after it was created`,
    { field, codes: later.map((s) => s.code), rule: 'NOT_YET_CREATED' },
  );
}

/**
 * One level: from each frontier CI, along the given types in the given directions, to live CIs over live
 * relationships. Types come from the model's allow-list (relType), never from request text.
 */
function levelQuery(forwardTypes: string[], backwardTypes: string[]): string {
  const branches: string[] = [];
  if (forwardTypes.length) branches.push(`MATCH (a)-[r:${forwardTypes.join('|')}]->(b:CI) RETURN r, b`);
  if (backwardTypes.length) branches.push(`MATCH (a)<-[r:${backwardTypes.join('|')}]-(b:CI) RETURN r, b`);
  return `
    UNWIND $frontier AS fid
    MATCH (a:CI) WHERE elementId(a) = fid
    CALL (a) { ${branches.join(' UNION ALL ')} }
    WITH fid, a, r, b WHERE ${LIVE_REL} AND ${LIVE_NODE}
    RETURN fid AS parent, elementId(b) AS elementId, b.id AS id, b.code AS code, b.class AS class,
           b.lifecycle AS lifecycle, type(r) AS via, startNode(r) = a AS forward`;
}

/**
 * The relation types (model names) a walk follows, split by the direction it crosses them in: `forward`
 * from source to target, `backward` from target to source.
 */
export function flowTypes(
  model: CompiledModel,
  flow: Flow,
  only?: readonly string[] | null,
  skip?: readonly string[] | null,
): { forward: string[]; backward: string[] } {
  const check = (names: readonly string[] | null | undefined, field: string) => {
    for (const [i, name] of (names ?? []).entries()) {
      const def = model.relationTypes.get(name);
      if (!def) {
        throw new ValidationError(
          `${field}[${i}]: unknown relation type ${name}; known: ${[...model.relationTypes.keys()].join(', ')}`,
          { field: `${field}[${i}]` },
        );
      }
      if (def.propagation === 'NONE' && field === 'relationTypes') {
        throw new ValidationError(`${field}[${i}]: relation type ${name} does not propagate failure`, {
          field: `${field}[${i}]`,
        });
      }
    }
  };
  check(only, 'relationTypes');
  check(skip, 'skipRelationTypes');
  const forward: string[] = [];
  const backward: string[] = [];
  for (const def of model.relationTypes.values()) {
    if (def.propagation === 'NONE') continue;
    if (only?.length && !only.includes(def.name)) continue;
    if (skip?.includes(def.name)) continue;
    // Downstream, failure flows source→target for SOURCE_TO_TARGET: cross it forwards; upstream, backwards.
    const withFlow = def.propagation === 'SOURCE_TO_TARGET' || def.propagation === 'BOTH';
    const againstFlow = def.propagation === 'TARGET_TO_SOURCE' || def.propagation === 'BOTH';
    if (flow === 'DOWNSTREAM' ? withFlow : againstFlow) forward.push(def.name);
    if (flow === 'DOWNSTREAM' ? againstFlow : withFlow) backward.push(def.name);
  }
  return { forward, backward };
}

/** The same, as relationship types for Cypher text (through the model's allow-list). */
export function directionsFor(
  model: CompiledModel,
  flow: Flow,
  only?: readonly string[] | null,
  skip?: readonly string[] | null,
): { forward: string[]; backward: string[] } {
  return cypherTypes(model, flowTypes(model, flow, only, skip));
}

/** Model relation type names as Cypher relationship types, through the model's allow-list. */
function cypherTypes(model: CompiledModel, types: { forward: string[]; backward: string[] }) {
  return {
    forward: types.forward.map((t) => relType(model, t)),
    backward: types.backward.map((t) => relType(model, t)),
  };
}

export function checkDepth(maxDepth: number): void {
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_DEPTH) {
    throw new ValidationError(`maxDepth must be a whole number from 1 to ${MAX_DEPTH}; got ${maxDepth}`, {
      field: 'maxDepth',
    });
  }
}

/** Resolves seed codes, refusing unknown ones by name. A seed not live at `at` is kept but does not propagate. */
export async function resolveSeeds(
  tx: Tx,
  codes: readonly string[],
  at: number | null,
  field = 'cis',
): Promise<{ seeds: Reached[]; dead: Set<string> }> {
  const rows = await tx.run(SEEDS, { codes: [...new Set(codes)], at });
  const missing = rows.filter((r) => r.elementId === null).map((r) => r.code as string);
  if (missing.length) {
    throw new NotFoundError(`no CI has code ${missing.join(', ')}`, { field, codes: missing });
  }
  assertExisted(
    rows.map((r) => ({ code: r.code as string, createdAt: r.createdAt as number })),
    at,
    field,
  );
  const seeds = rows.map((r) => ({
    elementId: r.elementId as string,
    id: r.id as string,
    code: r.code as string,
    class: r.class as string,
    lifecycle: r.lifecycle as string,
    distance: 0,
    parent: null,
    from: null,
    via: null,
    forward: true,
  }));
  return { seeds, dead: new Set(rows.filter((r) => !r.live).map((r) => r.elementId as string)) };
}

/** A walk's options checked: the types to follow each way, the depth, the classes to stop at, the moment. */
type Prepared = ReturnType<typeof prepare>;

function prepare(model: CompiledModel, seedCodes: readonly string[], options: WalkOptions, field: string) {
  checkDepth(options.maxDepth);
  if (!seedCodes.length) throw new ValidationError('name at least one CI to start from', { field });
  for (const [i, name] of (options.stopAtClasses ?? []).entries()) {
    if (!model.getClass(name)) {
      throw new ValidationError(`stopAtClasses[${i}]: unknown class ${name}`, { field: `stopAtClasses[${i}]` });
    }
  }
  return {
    ...flowTypes(model, options.flow, options.relationTypes, options.skipRelationTypes),
    maxDepth: options.maxDepth,
    stopAt: new Set(model.expandClasses(options.stopAtClasses ?? [])),
    at: options.at ?? null,
  };
}

/** The level query of a prepared walk (null when no relation type is left to follow). */
function levelQueryFor(model: CompiledModel, prepared: Prepared): string | null {
  if (!prepared.forward.length && !prepared.backward.length) return null;
  const { forward, backward } = cypherTypes(model, prepared);
  return levelQuery(forward, backward);
}

/** A row of the level query as the CI it reached from `from`. */
function reachedOf(row: Row, distance: number, from: Reached): Reached {
  return {
    elementId: row.elementId as string,
    id: row.id as string,
    code: row.code as string,
    class: row.class as string,
    lifecycle: row.lifecycle as string,
    distance,
    parent: row.parent as string,
    from,
    via: row.via as string,
    forward: row.forward as boolean,
  };
}

/** Walks from the seeds in the database; a bounded breadth-first search in which every CI is expanded at most once. */
export function walkInDatabase(
  tx: Tx,
  model: CompiledModel,
  seedCodes: readonly string[],
  options: WalkOptions,
  field = 'cis',
): Promise<Walk> {
  return databaseWalk(tx, model, seedCodes, prepare(model, seedCodes, options, field), field);
}

async function databaseWalk(
  tx: Tx,
  model: CompiledModel,
  seedCodes: readonly string[],
  prepared: Prepared,
  field: string,
): Promise<Walk> {
  const { stopAt, at, maxDepth } = prepared;
  const query = levelQueryFor(model, prepared);
  const { seeds, dead } = await resolveSeeds(tx, seedCodes, at, field);

  const byElementId = new Map<string, Reached>(seeds.map((s) => [s.elementId, s]));
  const reached: Reached[] = [];
  let frontier = seeds.filter((s) => !dead.has(s.elementId)).map((s) => s.elementId);
  let depthReached = 0;
  for (let distance = 1; query && distance <= maxDepth && frontier.length; distance++) {
    const rows = await tx.run(query, { frontier, at });
    const next: string[] = [];
    for (const row of rows) {
      const elementId = row.elementId as string;
      if (byElementId.has(elementId)) continue;
      const ci = reachedOf(row, distance, byElementId.get(row.parent as string)!);
      byElementId.set(elementId, ci);
      reached.push(ci);
      if (!stopAt.has(ci.class)) next.push(elementId);
    }
    if (reached.length && reached[reached.length - 1].distance === distance) depthReached = distance;
    frontier = next;
  }
  return { seeds, reached, depthReached };
}

/**
 * One walk per seed, run together: each level is one query over the union of the seeds' frontiers, and
 * each seed keeps its own visited set and parent pointers. Root-cause lookup asks, for every candidate,
 * which symptoms it explains and by which path; 20 symptoms cost the levels, not 20 walks.
 */
export function walkEachInDatabase(
  tx: Tx,
  model: CompiledModel,
  seedCodes: readonly string[],
  options: WalkOptions,
  field = 'cis',
): Promise<{ seeds: Reached[]; walks: Walk[] }> {
  return databaseWalkEach(tx, model, seedCodes, prepare(model, seedCodes, options, field), field);
}

async function databaseWalkEach(
  tx: Tx,
  model: CompiledModel,
  seedCodes: readonly string[],
  prepared: Prepared,
  field: string,
): Promise<{ seeds: Reached[]; walks: Walk[] }> {
  const { stopAt, at, maxDepth } = prepared;
  const query = levelQueryFor(model, prepared);
  const { seeds, dead } = await resolveSeeds(tx, seedCodes, at, field);
  const walks: Walk[] = seeds.map((s) => ({ seeds: [s], reached: [], depthReached: 0 }));
  // Each walk's own visited set, by element id.
  const visited = seeds.map((s) => new Map([[s.elementId, s]]));
  let frontiers: string[][] = seeds.map((s) => (dead.has(s.elementId) ? [] : [s.elementId]));
  for (let distance = 1; query && distance <= maxDepth; distance++) {
    const union = [...new Set(frontiers.flat())];
    if (!union.length) break;
    const rows = await tx.run(query, { frontier: union, at });
    const childrenOf = new Map<string, typeof rows>();
    for (const row of rows) {
      const list = childrenOf.get(row.parent as string);
      if (list) list.push(row);
      else childrenOf.set(row.parent as string, [row]);
    }
    frontiers = frontiers.map((frontier, i) => {
      const w = walks[i];
      const seen = visited[i];
      const next: string[] = [];
      for (const parent of frontier) {
        for (const row of childrenOf.get(parent) ?? []) {
          const elementId = row.elementId as string;
          if (seen.has(elementId)) continue;
          const ci = reachedOf(row, distance, seen.get(parent)!);
          seen.set(elementId, ci);
          w.reached.push(ci);
          w.depthReached = distance;
          if (!stopAt.has(ci.class)) next.push(elementId);
        }
      }
      return next;
    });
  }
  return { seeds, walks };
}

/** One shortest explanation path: from the seed that reached the CI, step by step, to the CI. */
export function pathTo(ci: Reached): PathStep[] {
  const steps: PathStep[] = [];
  for (let at: Reached | null = ci; at; at = at.from) {
    steps.push({ code: at.code, class: at.class, via: at.via, forward: at.forward });
  }
  return steps.reverse();
}

/**
 * The walks the services use: over the in-memory topology, brought up to the committed graph first, when
 * it is loaded; in the database otherwise (no topology configured, or still loading).
 */
export class Propagation {
  constructor(
    private readonly executor: Executor,
    private readonly topology: FailureTopology | null,
  ) {}

  /**
   * A walk in the caller's read transaction (where the head is checked, and the database walk runs when
   * no topology is loaded); or, with `tx` null, outside any: the topology then checks the head in a
   * transaction of its own only when TOPOLOGY_MAX_LAG_MS has passed, so a walk may touch no database at all.
   */
  async walk(
    tx: Tx | null,
    model: CompiledModel,
    seedCodes: readonly string[],
    options: WalkOptions,
    field = 'cis',
  ): Promise<Walk> {
    const prepared = prepare(model, seedCodes, options, field);
    const graph = await this.topology?.sync(model, tx ?? undefined);
    if (!graph) {
      return tx
        ? databaseWalk(tx, model, seedCodes, prepared, field)
        : this.executor.read((own) => databaseWalk(own, model, seedCodes, prepared, field));
    }
    const { seeds, nodes } = seedsIn(graph, seedCodes, options.at ?? null, field);
    return walkOf(graph, seeds, graph.walk(nodes, prepared));
  }

  async walkEach(
    tx: Tx,
    model: CompiledModel,
    seedCodes: readonly string[],
    options: WalkOptions,
    field = 'cis',
  ): Promise<{ seeds: Reached[]; walks: Walk[] }> {
    const prepared = prepare(model, seedCodes, options, field);
    const graph = await this.topology?.sync(model, tx);
    if (!graph) return databaseWalkEach(tx, model, seedCodes, prepared, field);
    const { seeds, nodes } = seedsIn(graph, seedCodes, options.at ?? null, field);
    const walks = nodes.map((n, i) => walkOf(graph, [seeds[i]], graph.walk([n], prepared)));
    return { seeds, walks };
  }
}

function reachedIn(graph: TopologyGraph, node: NodeIndex): Reached {
  return {
    elementId: graph.elementIds[node],
    id: graph.ids[node],
    code: graph.codes[node],
    class: graph.className(node),
    lifecycle: graph.lifecycle(node),
    distance: 0,
    parent: null,
    from: null,
    via: null,
    forward: true,
  };
}

/** The seeds by code, in first-mention order like the database walk, refusing unknown codes by name. */
function seedsIn(graph: TopologyGraph, codes: readonly string[], at: number | null, field: string) {
  const unique = [...new Set(codes)];
  const missing = unique.filter((c) => graph.nodeOf(c) === undefined);
  if (missing.length) throw new NotFoundError(`no CI has code ${missing.join(', ')}`, { field, codes: missing });
  const nodes = unique.map((c) => graph.nodeOf(c)!);
  assertExisted(
    nodes.map((n) => ({ code: graph.codes[n], createdAt: graph.createdAt(n) })),
    at,
    field,
  );
  return { nodes, seeds: nodes.map((n) => reachedIn(graph, n)) };
}

/** A search's result as a Walk; read at once, since the next search reuses the arrays behind it. */
function walkOf(graph: TopologyGraph, seeds: Reached[], found: ReturnType<TopologyGraph['walk']>): Walk {
  const reached: Reached[] = new Array(found.order.length);
  found.order.forEach((node, i) => {
    const parent = found.parent(node);
    const edge = found.edge(node);
    // Parents come before their children in the order; a seed's position is -1 - its index.
    const at = found.position(parent);
    const ci = reachedIn(graph, node);
    ci.distance = found.distance(node);
    ci.parent = graph.elementIds[parent];
    ci.from = at < 0 ? seeds[-1 - at] : reached[at];
    ci.via = graph.edgeType(edge);
    ci.forward = graph.edgeFrom(edge, parent);
    reached[i] = ci;
  });
  return { seeds, reached, depthReached: reached.length ? reached[reached.length - 1].distance : 0, graph };
}
