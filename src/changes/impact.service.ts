// Change impact analysis 变更影响分析 (§7.2.5.2 d/e, §7.2.5.3): the blast radius of a change or of any
// set of CIs, as of now or any past moment, with the parties to involve, the internet-facing services
// whose customers must be told, and the DR counterparts that must follow.

import { ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import type { ModelService } from '../model/model.service';
import type { TicketService } from '../tickets/ticket.service';
import { relType } from '../model/model.repository';
import type { CompiledModel } from '../model/compiled-model';
import { DEFAULT_DEPTH, pathTo, type PathStep, type Propagation, type Reached, type Walk } from '../cis/propagation';
import { CHANGES_QUERIES } from './changes.repository';

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
  return [...m].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

export class ImpactService {
  constructor(
    private readonly executor: Executor,
    private readonly model: ModelService,
    private readonly tickets: TicketService,
    private readonly propagation: Propagation,
  ) {}

  /** The blast radius and one page of its impacted CIs (with the seeds) described, in one read transaction. */
  async blastRadius(
    request: BlastRadiusRequest,
    page: { first: number; after: string | null } = { first: DEFAULT_PAGE, after: null },
  ): Promise<BlastRadius & { page: ImpactPage }> {
    const model = await this.model.current();
    return this.executor.read(async (tx) => {
      const { radius, pageOf } = await this.computePaged(tx, model, request, page);
      return { ...radius, page: pageOf! };
    });
  }

  /** Inside a caller's transaction (the assessment stores what it computes). */
  async compute(tx: Tx, model: CompiledModel, request: BlastRadiusRequest): Promise<BlastRadius> {
    return (await this.computePaged(tx, model, request, null)).radius;
  }

  /** The radius, and with a page its CIs described; the queries after the walk go out together. */
  private async computePaged(
    tx: Tx,
    model: CompiledModel,
    request: BlastRadiusRequest,
    page: { first: number; after: string | null } | null,
  ): Promise<{ radius: BlastRadius; pageOf: ImpactPage | null }> {
    const { codes, field } = await this.seedCodes(request);
    const at = request.at ?? null;
    const maxDepth = request.maxDepth ?? DEFAULT_DEPTH;
    const w = await this.propagation.walk(tx, model, codes, { flow: 'DOWNSTREAM', ...request, maxDepth, at }, field);
    const everything = [...w.seeds, ...w.reached];
    if (at !== null) await this.lifecyclesAt(tx, everything, at);

    // The in-memory walk lists each distance's CIs by code already: sorting that is one pass.
    const impacted = [...w.reached].sort((a, b) => a.distance - b.distance || (a.code < b.code ? -1 : 1));
    const systemClasses = new Set(model.expandClasses([BUSINESS_SYSTEM]));
    const paged = page ? pageAfter(impacted, page.after, page.first) : null;
    const [systems, drCounterparts, described] = await Promise.all([
      this.systems(
        tx,
        everything.filter((c) => systemClasses.has(c.class)),
        at,
      ),
      this.drCounterparts(tx, model, w, at),
      paged
        ? this.describe(
            tx,
            [...w.seeds, ...paged.items].map((c) => c.id),
            at,
          )
        : null,
    ]);
    const radius: BlastRadius = {
      at,
      maxDepth,
      depthReached: w.depthReached,
      seeds: w.seeds,
      impacted,
      summary: {
        byClass: counts(impacted.map((c) => c.class)),
        byLifecycle: counts(impacted.map((c) => c.lifecycle)),
        byImportance: counts(systems.map((s) => s.importance ?? 'UNKNOWN')),
        byDistance: counts(impacted.map((c) => String(c.distance))).sort((a, b) => Number(a.key) - Number(b.key)),
      },
      businessSystems: systems,
      internetFacing: systems.filter((s) => s.internetFacing),
      drCounterparts,
      path: pathTo,
    };
    return { radius, pageOf: paged && described ? { ...paged, described } : null };
  }

  /** Name and owner of a page of CIs (the walk carries only what totals need), as of the same moment. */
  private async describe(tx: Tx, ids: string[], at: number | null): Promise<ImpactPage['described']> {
    const rows =
      at === null
        ? await tx.run(CHANGES_QUERIES.namesNow, { ids })
        : (await tx.run(CHANGES_QUERIES.statesAt, { ids, at })).map((r) => ({
            id: r.id,
            ...(JSON.parse(r.state as string) as { name: string; owner: string | null }),
          }));
    return new Map(
      rows.map((r) => [r.id as string, { name: r.name as string, owner: (r.owner as string | null) ?? null }]),
    );
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

  private async systems(tx: Tx, reached: Reached[], at: number | null): Promise<ImpactedSystem[]> {
    if (!reached.length) return [];
    const ids = reached.map((c) => c.id);
    const distance = new Map(reached.map((c) => [c.id, c.distance]));
    let rows: Record<string, unknown>[];
    if (at === null) rows = await tx.run(CHANGES_QUERIES.systemsNow, { ids });
    else {
      // As of a moment: importance, owner… as they were recorded then.
      const states = await tx.run(CHANGES_QUERIES.statesAt, { ids, at });
      rows = states.map((r) => {
        const s = JSON.parse(r.state as string) as {
          code: string;
          name: string;
          lifecycle: string;
          owner: string | null;
          attributes: Record<string, unknown>;
        };
        return { id: r.id, code: s.code, name: s.name, lifecycle: s.lifecycle, owner: s.owner, ...s.attributes };
      });
      const owners = [...new Set(rows.map((r) => r.owner).filter((o): o is string => typeof o === 'string'))];
      const names = new Map(
        (await tx.run(CHANGES_QUERIES.ownerNames, { codes: owners })).map((r) => [r.code as string, r.name as string]),
      );
      for (const r of rows) r.ownerName = typeof r.owner === 'string' ? (names.get(r.owner) ?? null) : null;
    }
    return rows
      .map((r) => ({
        id: r.id as string,
        code: r.code as string,
        name: r.name as string,
        lifecycle: r.lifecycle as string,
        owner: (r.owner as string | null) ?? null,
        ownerName: (r.ownerName as string | null) ?? null,
        importance: (r.importance as string | null) ?? null,
        internetFacing: r.internetFacing === true,
        branchScope: (r.branchScope as string | null) ?? null,
        distance: distance.get(r.id as string) ?? 0,
      }))
      .sort((a, b) => a.distance - b.distance || (a.code < b.code ? -1 : 1));
  }

  private async drCounterparts(tx: Tx, model: CompiledModel, w: Walk, at: number | null): Promise<DrCounterpart[]> {
    const types = [...model.relationTypes.values()]
      .filter((t) => t.disasterRecovery)
      .map((t) => relType(model, t.name));
    if (!types.length || !w.seeds.length) return [];
    const rows = await tx.run(CHANGES_QUERIES.drCounterparts(types), { ids: w.seeds.map((s) => s.id), at });
    return rows.map((r) => ({
      of: r.of as string,
      code: r.code as string,
      name: r.name as string,
      class: r.class as string,
      lifecycle: r.lifecycle as string,
      via: r.via as string,
    }));
  }
}
