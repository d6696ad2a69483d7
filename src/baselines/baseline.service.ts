// Baselines 基线 (§3.15, §7.1.4.2.3): named, immutable records of what a scope held at a moment, their
// comparison with now, with a past moment or with another baseline, the baseline a change gets when it
// moves to implementing, and the report of CIs that fail the lifecycle baseline of their state.

import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import { decodeCursor, encodeCursor } from '../platform/pagination';
import type { CompiledModel } from '../model/compiled-model';
import type { ModelService } from '../model/model.service';
import { relType } from '../model/model.repository';
import type { OpLogService, WriteContext } from '../oplog/oplog.service';
import type { TicketService } from '../tickets/ticket.service';
import type { Ticket } from '../tickets/ticket.types';
import { DEFAULT_DEPTH, MAX_DEPTH, directionsFor, type Flow } from '../cis/propagation';
import { missingForBaseline, type RelationCount } from '../cis/ci.validation';
import { toCIRecord } from '../cis/ci.repository';
import type { RelationRequirement } from '../model/model.types';
import {
  countByClass,
  countDifferences,
  diffContents,
  type BaselineContent,
  type DiffCounts,
  type Difference,
} from './baseline.diff';
import {
  BASELINE_QUERIES,
  BaselineRepository,
  levelQuery,
  type ScopeCI,
  type StoredBaseline,
} from './baseline.repository';

/** What a baseline covers. At least one of `cis`, `businessSystem` or `classes`. */
export interface ScopeInput {
  /** Codes of CIs, with what they depend on (against failure propagation) to `depth`. */
  cis?: readonly string[] | null;
  /** 0 for the CIs alone; default DEFAULT_DEPTH, at most MAX_DEPTH. */
  depth?: number | null;
  /** A business system with everything under it. */
  businessSystem?: string | null;
  /** With `cis` or `businessSystem`: keep only CIs of these classes; alone: every CI of these classes. */
  classes?: readonly string[] | null;
}

/** The stored scope definition: re-evaluated at any moment to compare with it. */
export interface Scope {
  cis: string[];
  depth: number;
  businessSystem: string | null;
  classes: string[];
  /** A change's scope and one level of its dependents (the baseline captured at implementation). */
  change: { id: string; ref: string } | null;
}

export interface CaptureInput {
  name: string;
  description?: string | null;
  scope: ScopeInput;
  /** Epoch ms; now when absent. */
  asOf?: number | null;
}

export interface CompareAgainst {
  /** Another baseline; or */
  baseline?: string | null;
  /** a past moment (epoch ms); now when neither is given. */
  at?: number | null;
}

export interface ComparisonSide {
  baseline: StoredBaseline | null;
  /** The moment compared; for "now", when the comparison was made. */
  asOf: number;
  ciCount: number;
  relationCount: number;
}

export interface Comparison {
  from: ComparisonSide;
  to: ComparisonSide;
  /** The classes the differences were filtered to (subclasses included); null for all. */
  classes: string[] | null;
  counts: DiffCounts;
  byClass: { key: string; count: number }[];
  differences: Difference[];
}

export interface ComplianceItem {
  id: string;
  code: string;
  name: string;
  class: string;
  owner: string | null;
  lifecycle: string;
  version: number;
  /** As the lifecycle check words it: `attribute managementIp`, `relation LOCATED_IN (位于)`. */
  missing: string[];
  missingAttributes: string[];
  missingRelations: RelationRequirement[];
}

export interface ComplianceReport {
  totalCount: number;
  groups: { class: string; owner: string | null; count: number }[];
  items: ComplianceItem[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** "Everything under" a business system: the walk goes on until nothing new is reached, up to this. */
const WHOLE_SYSTEM_DEPTH = 50;
const FINAL_CHANGE_STATES = ['CLOSED', 'FAILED', 'ROLLED_BACK'];
const CONTENT_CACHE = 8;

export class BaselineService {
  private readonly repo = new BaselineRepository();
  /** Baselines never change: parsed contents are kept for paging and repeated comparisons. */
  private readonly cache = new Map<string, Promise<BaselineContent>>();

  constructor(
    private readonly executor: Executor,
    private readonly models: ModelService,
    private readonly oplog: OpLogService,
    private readonly tickets: TicketService,
  ) {}

  // ---------------------------------------------------------------- capture

  /** Captures a baseline now or as of a past moment. Serialised with writers, so "now" is a consistent cut. */
  async capture(ctx: WriteContext, input: CaptureInput): Promise<StoredBaseline> {
    const name = checkName(input.name);
    if (input.asOf !== undefined && input.asOf !== null && input.asOf > ctx.at) {
      throw new ValidationError('asOf is in the future', { field: 'asOf' });
    }
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const model = await this.models.inTransaction(tx);
      const scope = checkScope(model, input.scope);
      return this.captureIn(tx, model, ctx, {
        name,
        description: input.description ?? null,
        scope,
        at: input.asOf ?? ctx.at,
        ticket: null,
      });
    });
  }

  /** TicketService transition listener: a change moving to IMPLEMENTING gets its baseline in the same transaction. */
  async onTicketTransition(tx: Tx, ctx: WriteContext, before: Ticket, after: Ticket): Promise<void> {
    if (after.kind !== 'CHANGE' || after.state !== 'IMPLEMENTING' || before.state === 'IMPLEMENTING') return;
    const model = await this.models.inTransaction(tx);
    await this.captureIn(tx, model, ctx, {
      name: `${after.ref} 实施前基线 (before implementation)`,
      description: `Captured automatically when change ${after.ref} moved to IMPLEMENTING: its scope and one level of dependents`,
      scope: { cis: [], depth: 0, businessSystem: null, classes: [], change: { id: after.id, ref: after.ref } },
      at: ctx.at,
      ticket: after,
    });
  }

  private async captureIn(
    tx: Tx,
    model: CompiledModel,
    ctx: WriteContext,
    input: { name: string; description: string | null; scope: Scope; at: number; ticket: Ticket | null },
  ): Promise<StoredBaseline> {
    const content = await this.contentOf(tx, model, input.scope, input.at);
    const baseline: StoredBaseline = {
      id: randomUUID(),
      name: input.name,
      description: input.description,
      capturedAt: ctx.at,
      asOf: input.at,
      createdBy: ctx.actor,
      scope: JSON.stringify(input.scope),
      ticketId: input.ticket?.id ?? null,
      ticketRef: input.ticket?.ref ?? null,
      ciCount: content.items.length,
      relationCount: content.relations.length,
      modelVersion: model.version,
    };
    await this.repo.create(tx, baseline, content);
    // The capture is logged like any write; its content is the baseline itself, immutable, so the entry
    // names it and its size rather than concerning every CI in it.
    await this.oplog.record(tx, ctx, [
      {
        action: 'BASELINE_CAPTURE',
        targetType: 'BASELINE',
        targetId: baseline.id,
        ciIds: [],
        before: null,
        after: {
          name: baseline.name,
          asOf: baseline.asOf,
          scope: input.scope,
          ticket: baseline.ticketRef,
          ciCount: baseline.ciCount,
          relationCount: baseline.relationCount,
        },
      },
    ]);
    return baseline;
  }

  /** What the scope held at `at`. */
  private async contentOf(tx: Tx, model: CompiledModel, scope: Scope, at: number): Promise<BaselineContent> {
    const cis = await this.resolveScope(tx, model, scope, at);
    return this.repo.contentAt(tx, cis, at);
  }

  /** The CIs in a scope at `at`: id and elementId. */
  private async resolveScope(tx: Tx, model: CompiledModel, scope: Scope, at: number): Promise<ScopeCI[]> {
    const found = new Map<string, { id: string; class: string }>();
    let walked = false;
    if (scope.cis.length) {
      walked = true;
      await this.walkFrom(tx, model, scope.cis, 'UPSTREAM', scope.depth, at, found, 'scope.cis');
    }
    if (scope.businessSystem) {
      walked = true;
      await this.walkFrom(
        tx,
        model,
        [scope.businessSystem],
        'UPSTREAM',
        WHOLE_SYSTEM_DEPTH,
        at,
        found,
        'scope.businessSystem',
        'BusinessSystem',
      );
    }
    if (scope.change) {
      walked = true;
      const rows = await tx.run(BASELINE_QUERIES.ticketScope, { ticketId: scope.change.id, at });
      const codes = rows.map((r) => r.code as string);
      if (codes.length) await this.walkFrom(tx, model, codes, 'DOWNSTREAM', 1, at, found, 'scope.change');
    }
    const classes = scope.classes.length ? new Set(model.expandClasses(scope.classes)) : null;
    if (!walked && classes) {
      const rows = await tx.run(BASELINE_QUERIES.ofClasses, { classes: [...classes], at });
      return rows.map((r) => ({ id: r.id as string, eid: r.eid as string }));
    }
    return [...found].filter(([, c]) => !classes || classes.has(c.class)).map(([eid, c]) => ({ id: c.id, eid }));
  }

  /** Breadth-first from the seeds to `depth`; every CI that existed at `at` over relationships live then. */
  private async walkFrom(
    tx: Tx,
    model: CompiledModel,
    codes: readonly string[],
    flow: Flow,
    depth: number,
    at: number,
    found: Map<string, { id: string; class: string }>,
    field: string,
    mustBe: string | null = null,
  ): Promise<void> {
    const rows = await tx.run(BASELINE_QUERIES.seeds, { codes: [...new Set(codes)], at });
    const missing = rows.filter((r) => r.eid === null).map((r) => r.code as string);
    if (missing.length) throw new NotFoundError(`no CI has code ${missing.join(', ')}`, { field, codes: missing });
    const wrong = mustBe ? rows.find((r) => !model.isA(r.class as string, mustBe)) : undefined;
    if (wrong) throw new ValidationError(`${wrong.code} is a ${wrong.class}, not a ${mustBe}`, { field });
    let frontier: string[] = [];
    for (const r of rows) {
      if (!r.existed || found.has(r.eid as string)) continue;
      found.set(r.eid as string, { id: r.id as string, class: r.class as string });
      frontier.push(r.eid as string);
    }
    const { forward, backward } = directionsFor(model, flow);
    const query = levelQuery(forward, backward);
    for (let level = 1; query && level <= depth && frontier.length; level++) {
      const next: string[] = [];
      for (const r of await tx.run(query, { frontier, at })) {
        const eid = r.eid as string;
        if (found.has(eid)) continue;
        found.set(eid, { id: r.id as string, class: r.class as string });
        next.push(eid);
      }
      frontier = next;
    }
  }

  // ---------------------------------------------------------------- reads

  async get(id: string): Promise<StoredBaseline> {
    const b = await this.executor.read((tx) => this.repo.byId(tx, id));
    if (!b) throw new NotFoundError(`no baseline ${id}`, { field: 'id' });
    return b;
  }

  async list(filter: { ticket?: string | null; name?: string | null }, first: number, after: string | null) {
    const ticketId = filter.ticket ? (await this.tickets.get(filter.ticket)).id : null;
    const page = await this.executor.read((tx) =>
      this.repo.list(tx, { ticketId, name: filter.name ?? null }, first, decodeCursor(after)),
    );
    const last = page.items[page.items.length - 1];
    return { ...page, endCursor: last ? encodeCursor((last as StoredBaseline & { sortKey: string }).sortKey) : null };
  }

  /** The baseline a change got when it moved to implementing; null when it has none (yet). */
  ofChange(ticketId: string): Promise<StoredBaseline | null> {
    return this.executor.read((tx) => this.repo.ofTicket(tx, ticketId));
  }

  content(id: string): Promise<BaselineContent> {
    let hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
    } else {
      hit = this.executor.read((tx) => this.repo.content(tx, id));
      hit.catch(() => this.cache.delete(id));
    }
    this.cache.set(id, hit);
    while (this.cache.size > CONTENT_CACHE) this.cache.delete(this.cache.keys().next().value!);
    return hit;
  }

  // ---------------------------------------------------------------- compare

  /** Compares a baseline with another baseline, with a past moment, or with now (its scope re-evaluated then). */
  async compare(
    id: string,
    against: CompareAgainst = {},
    classes: readonly string[] | null = null,
  ): Promise<Comparison> {
    if (against.baseline && against.at !== undefined && against.at !== null) {
      throw new ValidationError('compare with a baseline or with a moment, not both', { field: 'against' });
    }
    const from = await this.get(id);
    const model = await this.models.current();
    const filter = checkClasses(model, classes, 'classes');
    const a = await this.content(id);
    let to: ComparisonSide;
    let b: BaselineContent;
    if (against.baseline) {
      const other = await this.get(against.baseline);
      b = await this.content(other.id);
      to = { baseline: other, asOf: other.asOf, ciCount: b.items.length, relationCount: b.relations.length };
    } else {
      const now = Date.now();
      const at = against.at ?? now;
      if (at > now) throw new ValidationError('at is in the future', { field: 'against.at' });
      const scope = JSON.parse(from.scope) as Scope;
      b = await this.executor.read((tx) => this.contentOf(tx, model, scope, at));
      to = { baseline: null, asOf: at, ciCount: b.items.length, relationCount: b.relations.length };
    }
    return comparison(
      { baseline: from, asOf: from.asOf, ciCount: a.items.length, relationCount: a.relations.length },
      to,
      diffContents(a, b),
      filter,
    );
  }

  /**
   * What was done under a change: its implementation baseline compared with the moment it closed (or
   * with now while it is implementing). Null when the change has no baseline.
   */
  async driftOfChange(
    ticket: Pick<Ticket, 'id' | 'state' | 'updatedAt'>,
    classes: readonly string[] | null = null,
  ): Promise<Comparison | null> {
    const baseline = await this.ofChange(ticket.id);
    if (!baseline) return null;
    const at = FINAL_CHANGE_STATES.includes(ticket.state) ? ticket.updatedAt : null;
    return this.compare(baseline.id, { at }, classes);
  }

  // ---------------------------------------------------------------- compliance

  /**
   * Every CI that fails the lifecycle baseline of its current state (§7.1.4.2.3), with what it lacks:
   * ordered by class, owner and code, grouped by class and owner. Retired CIs are left out.
   */
  async compliance(
    filter: { classes?: readonly string[] | null; owner?: string | null },
    first: number,
    after: string | null,
  ): Promise<ComplianceReport> {
    const model = await this.models.current();
    const only = checkClasses(model, filter.classes ?? null, 'filter.classes');
    const failing: (ComplianceItem & { key: string })[] = [];
    await this.executor.read(async (tx) => {
      for (const cls of model.classes.values()) {
        if (cls.abstract || (only && !only.includes(cls.name))) continue;
        for (const [state, baseline] of cls.baselines) {
          if (state === model.retiredState) continue;
          const rels = baseline.requiredRelations;
          if (!baseline.requiredAttributes.length && !rels.length) continue;
          const query = complianceQuery(model, rels, !!filter.owner);
          const rows = await tx.run(query, {
            class: cls.name,
            state,
            owner: filter.owner ?? null,
            attrs: baseline.requiredAttributes,
          });
          for (const row of rows) {
            const ci = toCIRecord(row.n as Record<string, unknown>);
            const counts: RelationCount[] = rels.map((r, i) => ({
              type: r.type,
              direction: r.direction,
              count: row[`r${i}`] ? 1 : 0,
            }));
            const missing = missingForBaseline(model, cls, state, ci.attributes, counts);
            if (!missing.length) continue;
            failing.push({
              id: ci.id,
              code: ci.code,
              name: ci.name,
              class: ci.class,
              owner: ci.owner,
              lifecycle: ci.lifecycle,
              version: ci.version,
              missing,
              missingAttributes: baseline.requiredAttributes.filter((a) => ci.attributes[a] === undefined),
              missingRelations: rels.filter((_r, i) => !row[`r${i}`]),
              key: `${ci.class}\u0000${ci.owner ?? ''}\u0000${ci.code}`,
            });
          }
        }
      }
    });
    failing.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    const groups = new Map<string, { class: string; owner: string | null; count: number }>();
    for (const f of failing) {
      const k = `${f.class}\u0000${f.owner ?? ''}`;
      const g = groups.get(k) ?? { class: f.class, owner: f.owner, count: 0 };
      g.count++;
      groups.set(k, g);
    }
    const cursor = decodeCursor(after);
    const start = cursor === null ? 0 : failing.findIndex((f) => f.key > cursor);
    const from = start < 0 ? failing.length : start;
    const page = failing.slice(from, from + first);
    return {
      totalCount: failing.length,
      groups: [...groups.values()],
      items: page.map(({ key: _k, ...item }) => item),
      hasNextPage: from + first < failing.length,
      endCursor: page.length ? encodeCursor(page[page.length - 1].key) : null,
    };
  }
}

/** One class and state: the CIs missing a required attribute or without a live relationship of a required type. */
function complianceQuery(model: CompiledModel, rels: RelationRequirement[], byOwner: boolean): string {
  const exists = rels.map((r) => {
    const t = relType(model, r.type);
    const pattern = r.direction === 'OUT' ? `(n)-[r:${t}]->(:CI)` : `(n)<-[r:${t}]-(:CI)`;
    return `EXISTS { MATCH ${pattern} WHERE r.since IS NOT NULL AND r.until IS NULL }`;
  });
  const lacks = ['any(a IN $attrs WHERE n[a] IS NULL)', ...exists.map((e) => `NOT ${e}`)].join(' OR ');
  return `
    MATCH (n:CI) WHERE n.class = $class AND n.lifecycle = $state ${byOwner ? 'AND n.owner = $owner' : ''}
    WITH n WHERE ${lacks}
    RETURN n {.*} AS n${exists.map((e, i) => `, ${e} AS r${i}`).join('')}`;
}

function comparison(from: ComparisonSide, to: ComparisonSide, all: Difference[], classes: string[] | null): Comparison {
  const set = classes ? new Set(classes) : null;
  const differences = set ? all.filter((d) => d.classes.some((c) => set.has(c))) : all;
  return {
    from,
    to,
    classes,
    counts: countDifferences(differences),
    byClass: countByClass(differences),
    differences,
  };
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !name.trim() || name.trim().length > 200) {
    throw new ValidationError('name is required, at most 200 characters', { field: 'name' });
  }
  return name.trim();
}

/** Known class names, expanded to their subclasses; null when none given. */
function checkClasses(model: CompiledModel, classes: readonly string[] | null, field: string): string[] | null {
  if (!classes?.length) return null;
  for (const [i, c] of classes.entries()) {
    if (!model.getClass(c))
      throw new ValidationError(`${field}[${i}]: unknown class ${c}`, { field: `${field}[${i}]` });
  }
  return model.expandClasses(classes);
}

export function checkScope(model: CompiledModel, input: ScopeInput): Scope {
  const cis = [...new Set(input.cis ?? [])];
  const classes = [...new Set(input.classes ?? [])];
  const businessSystem = input.businessSystem ?? null;
  if (!cis.length && !businessSystem && !classes.length) {
    throw new ValidationError('a baseline scope needs CIs, a business system or classes', { field: 'scope' });
  }
  if (cis.length > 10_000) throw new ValidationError('at most 10000 CIs in scope.cis', { field: 'scope.cis' });
  const depth = input.depth ?? DEFAULT_DEPTH;
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_DEPTH) {
    throw new ValidationError(`scope.depth must be a whole number from 0 to ${MAX_DEPTH}; got ${depth}`, {
      field: 'scope.depth',
    });
  }
  checkClasses(model, classes, 'scope.classes');
  return { cis, depth, businessSystem, classes, change: null };
}
