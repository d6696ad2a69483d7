// Change impact analysis 变更影响分析 (§7.2.5.2 d/e, §7.2.5.3): the blast radius of a change or of any
// set of CIs, as of now or any past moment, with the parties to involve, the internet-facing services
// whose customers must be told, and the DR counterparts that must follow.

import { ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import type { ModelService } from '../model/model.service';
import type { TicketService } from '../tickets/ticket.service';
import { relType } from '../model/model.repository';
import type { CompiledModel } from '../model/compiled-model';
import { DEFAULT_DEPTH, pathTo, type PathStep, type Propagation, type Reached } from '../cis/propagation';
import { CHANGES_QUERIES, SYSTEM_COLUMNS } from './changes.repository';
import type { TopologyGraph } from '../cis/topology';

export interface BlastRadiusRequest {
  /** Codes of the CIs changed; or */
  cis?: readonly string[] | null;
  /** the change (ITSM reference) whose scope is changed. */
  change?: string | null;
  maxDepth?: number | null;
  relationTypes?: readonly string[] | null;
  skipRelationTypes?: readonly string[] | null;
  stopAtClasses?: readonly string[] | null;
  at?: number | null;
}

export interface Count {
  key: string;
  count: number;
}

export interface ImpactedSystem {
  id: string;
  code: string;
  name: string;
  lifecycle: string;
  owner: string | null;
  ownerName: string | null;
  importance: string | null;
  internetFacing: boolean;
  branchScope: string | null;
  /** 0 when the system itself is in the change's scope. */
  distance: number;
}

export interface DrCounterpart {
  of: string;
  code: string;
  name: string;
  class: string;
  lifecycle: string;
  via: string;
}

export interface BlastRadius {
  at: number | null;
  maxDepth: number;
  depthReached: number;
  seeds: Reached[];
  /** Every impacted CI (the seeds excluded), nearest first, then by code. */
  impacted: Reached[];
  summary: { byClass: Count[]; byLifecycle: Count[]; byImportance: Count[]; byDistance: Count[] };
  /** Business systems in scope (distance 0) or impacted, with their owners: the parties to involve. */
  businessSystems: ImpactedSystem[];
  /** Those that serve customers over the internet: tell them before the change (§7.2.5.3). */
  internetFacing: ImpactedSystem[];
  /** DR counterparts of the changed CIs: they follow within one working day (§7.2.5.2 e, §7.2.5.4 g). */
  drCounterparts: DrCounterpart[];
  path(ci: Reached): PathStep[];
}

export interface ImpactPage {
  items: Reached[];
  hasNextPage: boolean;
  /** Name and owner of the page's CIs and of the seeds. */
  described: Map<string, { name: string; owner: string | null }>;
}

const BUSINESS_SYSTEM = 'BusinessSystem';
const DEFAULT_PAGE = 50;

/** The place of an impacted CI in the (distance, code) order: the key its cursor carries. */
export function impactKey(c: Reached): string {
  return `${String(c.distance).padStart(2, '0')}:${c.code}`;
}

/** The page after a key, in the (distance, code) order of `impacted`. */
export function pageAfter(impacted: Reached[], after: string | null, first: number) {
  const start = after === null ? 0 : impacted.findIndex((c) => impactKey(c) > after);
  const from = start < 0 ? impacted.length : start;
  return { items: impacted.slice(from, from + first), hasNextPage: from + first < impacted.length };
}

function counts(values: Iterable<string>): Count[] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return sortedCounts(m);
}

function sortedCounts(m: Map<string, number>): Count[] {
  return [...m].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/** Impacted CIs by class, lifecycle and distance, in one pass. */
function summarise(impacted: Reached[]): Omit<BlastRadius['summary'], 'byImportance'> {
  const byClass = new Map<string, number>();
  const byLifecycle = new Map<string, number>();
  const byDistance: number[] = [];
  for (const c of impacted) {
    byClass.set(c.class, (byClass.get(c.class) ?? 0) + 1);
    byLifecycle.set(c.lifecycle, (byLifecycle.get(c.lifecycle) ?? 0) + 1);
    byDistance[c.distance] = (byDistance[c.distance] ?? 0) + 1;
  }
  return {
    byClass: sortedCounts(byClass),
    byLifecycle: sortedCounts(byLifecycle),
    byDistance: byDistance.flatMap((count, d) => (count ? [{ key: String(d), count }] : [])),
  };
}

/** The walk's CIs in (distance, code) order: the in-memory walk gives them so, and then nothing is copied. */
function inImpactOrder(reached: Reached[]): Reached[] {
  const before = (a: Reached, b: Reached) =>
    a.distance - b.distance || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
  for (let i = 1; i < reached.length; i++) {
    if (before(reached[i - 1], reached[i]) > 0) return [...reached].sort(before);
  }
  return reached;
}

/** A business system as read (now, as recorded then, or from memory): its facts still untyped, no distance. */
type SystemRow = Omit<ImpactedSystem, 'importance' | 'internetFacing' | 'branchScope' | 'distance'> & {
  importance?: unknown;
  internetFacing?: unknown;
  branchScope?: unknown;
};

interface Details {
  systems: SystemRow[];
  drCounterparts: DrCounterpart[];
  described: { id: string; name: string; owner: string | null }[];
}

function toImpactedSystem(r: SystemRow, distance: number): ImpactedSystem {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    lifecycle: r.lifecycle,
    owner: r.owner ?? null,
    ownerName: r.ownerName ?? null,
    importance: (r.importance as string | null) ?? null,
    internetFacing: r.internetFacing === true,
    branchScope: (r.branchScope as string | null) ?? null,
    distance,
  };
}

/**
 * What the page shows, from the graph the walk ran on (now): business systems with their facts and their
 * owners' names, the seeds' live DR counterparts (the same rules as `CHANGES_QUERIES.detailsNow`), names.
 */
function detailsInMemory(
  graph: TopologyGraph,
  drTypes: ReadonlySet<string>,
  systems: Reached[],
  seeds: Reached[],
  page: Reached[],
): Details {
  const nodeOf = (c: Reached) => graph.nodeOf(c.code)!;
  const ownerName = (owner: string | null) => {
    const o = owner === null ? undefined : graph.nodeOf(owner);
    return o === undefined ? null : graph.names[o];
  };
  const drCounterparts: DrCounterpart[] = [];
  for (const seed of seeds) {
    const s = nodeOf(seed);
    for (const out of [true, false]) {
      graph.eachEdge(s, out, (e) => {
        const type = graph.edgeType(e);
        const c = graph.otherEnd(e, s);
        if (!drTypes.has(type) || !graph.edgeLiveNow(e) || !graph.live(c, null)) return;
        drCounterparts.push({
          of: seed.code,
          code: graph.codes[c],
          name: graph.names[c],
          class: graph.className(c),
          lifecycle: graph.lifecycle(c),
          via: type,
        });
      });
    }
  }
  drCounterparts.sort((a, b) => (a.of < b.of ? -1 : a.of > b.of ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return {
    systems: systems.map((c) => {
      const n = nodeOf(c);
      const owner = graph.owner(n);
      const facts = graph.systemFacts(n);
      return {
        id: c.id,
        code: c.code,
        name: graph.names[n],
        lifecycle: graph.lifecycle(n),
        owner,
        ownerName: ownerName(owner),
        importance: facts?.importance ?? null,
        internetFacing: facts?.internetFacing ?? false,
        branchScope: facts?.branchScope ?? null,
      };
    }),
    drCounterparts,
    described: page.map((c) => {
      const n = nodeOf(c);
      return { id: c.id, name: graph.names[n], owner: graph.owner(n) };
    }),
  };
}

export class ImpactService {
  constructor(
    private readonly executor: Executor,
    private readonly model: ModelService,
    private readonly tickets: TicketService,
    private readonly propagation: Propagation,
  ) {}

  /**
   * The blast radius and one page of its impacted CIs (with the seeds) described. Now, with the topology
   * in memory, no transaction at all: the walk and what the page shows come from the same graph.
   */
  async blastRadius(
    request: BlastRadiusRequest,
    page: { first: number; after: string | null } = { first: DEFAULT_PAGE, after: null },
  ): Promise<BlastRadius & { page: ImpactPage }> {
    const model = await this.model.current();
    const { radius, pageOf } = await this.computePaged(null, model, request, page);
    return { ...radius, page: pageOf! };
  }

  /** Inside a caller's transaction (the assessment stores what it computes). */
  async compute(tx: Tx, model: CompiledModel, request: BlastRadiusRequest): Promise<BlastRadius> {
    return (await this.computePaged(tx, model, request, null)).radius;
  }

  /**
   * The radius, and with a page its CIs described: from the in-memory graph the walk ran on (now), in one
   * statement (now, walked in Neo4j), or from the recorded versions (as of a moment). Without a caller's
   * transaction, what needs Neo4j is read in one of its own.
   */
  private async computePaged(
    tx: Tx | null,
    model: CompiledModel,
    request: BlastRadiusRequest,
    page: { first: number; after: string | null } | null,
  ): Promise<{ radius: BlastRadius; pageOf: ImpactPage | null }> {
    const { codes, field } = await this.seedCodes(request);
    const at = request.at ?? null;
    const maxDepth = request.maxDepth ?? DEFAULT_DEPTH;
    const inTx = <T>(work: (t: Tx) => Promise<T>): Promise<T> => (tx ? work(tx) : this.executor.read(work));
    const w = await this.propagation.walk(tx, model, codes, { flow: 'DOWNSTREAM', ...request, maxDepth, at }, field);
    if (at !== null) await inTx((t) => this.lifecyclesAt(t, [...w.seeds, ...w.reached], at));

    // A hub reaches most of the estate (760k CIs of 1M): no copies of the list where one pass will do.
    const impacted = inImpactOrder(w.reached);
    const systemClasses = new Set(model.expandClasses([BUSINESS_SYSTEM]));
    const systemsReached = w.seeds.filter((c) => systemClasses.has(c.class));
    for (const c of impacted) if (systemClasses.has(c.class)) systemsReached.push(c);
    const paged = page ? pageAfter(impacted, page.after, page.first) : null;
    const pageCIs = paged ? [...w.seeds, ...paged.items] : [];
    const pageIds = pageCIs.map((c) => c.id);
    const drTypes = [...model.relationTypes.values()].filter((t) => t.disasterRecovery).map((t) => t.name);
    const { graph } = w;
    const details =
      at !== null
        ? await inTx((t) => this.detailsAt(t, model, drTypes, systemsReached, w.seeds, pageIds, at))
        : graph
          ? detailsInMemory(graph, new Set(drTypes), systemsReached, w.seeds, pageCIs)
          : await inTx((t) => this.detailsNow(t, model, drTypes, systemsReached, w.seeds, pageIds));
    const distanceOf = new Map(systemsReached.map((c) => [c.id, c.distance]));
    const systems = details.systems
      .map((r) => toImpactedSystem(r, distanceOf.get(r.id) ?? 0))
      .sort((a, b) => a.distance - b.distance || (a.code < b.code ? -1 : 1));
    const tally = summarise(impacted);
    const radius: BlastRadius = {
      at,
      maxDepth,
      depthReached: w.depthReached,
      seeds: w.seeds,
      impacted,
      summary: { ...tally, byImportance: counts(systems.map((s) => s.importance ?? 'UNKNOWN')) },
      businessSystems: systems,
      internetFacing: systems.filter((s) => s.internetFacing),
      drCounterparts: details.drCounterparts,
      path: pathTo,
    };
    const described = new Map(details.described.map((r) => [r.id, { name: r.name, owner: r.owner ?? null }]));
    return { radius, pageOf: paged ? { ...paged, described } : null };
  }

  private async detailsNow(
    tx: Tx,
    model: CompiledModel,
    drTypes: string[],
    systems: Reached[],
    seeds: Reached[],
    pageIds: string[],
  ): Promise<Details> {
    const [row] = await tx.run(CHANGES_QUERIES.detailsNow(drTypes.map((t) => relType(model, t))), {
      systemIds: systems.map((c) => c.id),
      seedIds: seeds.map((c) => c.id),
      pageIds,
    });
    const columns = (values: unknown[]) =>
      Object.fromEntries(SYSTEM_COLUMNS.map((name, i) => [name, values[i]])) as unknown as SystemRow;
    return {
      systems: (row.systems as unknown[][]).map(columns),
      drCounterparts: row.drCounterparts as unknown as DrCounterpart[],
      described: row.described as unknown as Details['described'],
    };
  }

  /** As of a moment: names, owners, importance… as recorded then (CIVersion), relationships live then. */
  private async detailsAt(
    tx: Tx,
    model: CompiledModel,
    drTypes: string[],
    systems: Reached[],
    seeds: Reached[],
    pageIds: string[],
    at: number,
  ): Promise<Details> {
    const stateRows = async (ids: string[]) =>
      (await tx.run(CHANGES_QUERIES.statesAt, { ids, at })).map((r) => ({
        id: r.id as string,
        ...(JSON.parse(r.state as string) as Omit<SystemRow, 'id' | 'ownerName'> & {
          attributes: Record<string, unknown>;
        }),
      }));
    const [states, drCounterparts, described] = await Promise.all([
      systems.length ? stateRows(systems.map((c) => c.id)) : [],
      drTypes.length && seeds.length
        ? tx.run(CHANGES_QUERIES.drCounterpartsAt(drTypes.map((t) => relType(model, t))), {
            ids: seeds.map((c) => c.id),
            at,
          })
        : [],
      pageIds.length ? stateRows(pageIds) : [],
    ]);
    const owners = [...new Set(states.map((s) => s.owner).filter((o): o is string => typeof o === 'string'))];
    const ownerNames = new Map(
      owners.length
        ? (await tx.run(CHANGES_QUERIES.ownerNames, { codes: owners })).map((r) => [r.code as string, r.name as string])
        : [],
    );
    return {
      systems: states.map((s) => ({
        ...s.attributes,
        id: s.id,
        code: s.code,
        name: s.name,
        lifecycle: s.lifecycle,
        owner: s.owner,
        ownerName: s.owner ? (ownerNames.get(s.owner) ?? null) : null,
      })),
      drCounterparts: drCounterparts as unknown as DrCounterpart[],
      described,
    };
  }

  private async seedCodes(request: BlastRadiusRequest): Promise<{ codes: string[]; field: string }> {
    if (request.change && request.cis?.length) {
      throw new ValidationError('give either a change or a list of CIs, not both', { field: 'change' });
    }
    if (request.change) {
      const ticket = await this.tickets.get(request.change);
      const scope = await this.tickets.scope(ticket.id);
      if (!scope.length) {
        throw new ValidationError(`ticket ${ticket.ref} has no CIs in its scope to analyse`, { field: 'change' });
      }
      return { codes: scope.map((c) => c.code as string), field: 'change' };
    }
    return { codes: [...(request.cis ?? [])], field: 'cis' };
  }

  /** As of a past moment the lifecycle is the one recorded then, not the node's current one. */
  private async lifecyclesAt(tx: Tx, cis: Reached[], at: number): Promise<void> {
    const byId = new Map(cis.map((c) => [c.id, c]));
    for (let i = 0; i < cis.length; i += 10_000) {
      const ids = cis.slice(i, i + 10_000).map((c) => c.id);
      for (const row of await tx.run(CHANGES_QUERIES.statesAt, { ids, at })) {
        const state = JSON.parse(row.state as string) as { lifecycle: string };
        byId.get(row.id as string)!.lifecycle = state.lifecycle;
      }
    }
  }
}
