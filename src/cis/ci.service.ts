// CIs and relationships under the model (§7.1.4.1, §7.1.4.2): every write is validated, unique by
// identification keys, versioned, and logged in its own transaction; every read can be as of a moment.

import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import type { CompiledModel, ModelProblem, ResolvedClass } from '../model/compiled-model';
import type { ModelService } from '../model/model.service';
import { relType } from '../model/model.repository';
import type { OpLogService, OpRecord, WriteContext } from '../oplog/oplog.service';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination';
import { ATTRIBUTE_NAME_PATTERN } from '../model/model.types';
import type { TicketService, WriteWhat } from '../tickets/ticket.service';
import {
  CI_QUERIES,
  CIRepository,
  listCIs,
  relationTypeQueries,
  type CIListFilter,
  type CIRecord,
  type RelationRecord,
} from './ci.repository';
import { checkAttributes, identKeyOf, missingForBaseline } from './ci.validation';
import {
  BATCH_FIELDS,
  attributeOfKey,
  concreteClass,
  publicState,
  readStoredRefs,
  uniqueClaims,
  writeBatch,
  type BatchOptions,
  type BatchResult,
  type FieldNames,
  type NewCI,
  type NewRelation,
} from './ci.batch';

export interface RelationSpec {
  type: string;
  /** Code of the other end when this CI is the source. */
  target?: string | null;
  /** Code of the other end when this CI is the target. */
  source?: string | null;
}

export interface CreateCIInput extends NewCI {
  relations?: RelationSpec[] | null;
}

/** A CI named by its immutable id or its business code. */
export interface CIRef {
  id?: string | null;
  code?: string | null;
}

export interface UpdateCIInput extends CIRef {
  expectedVersion: number;
  name?: string | null;
  owner?: string | null;
  /** A patch: listed attributes are set, null clears one, absent ones stay. */
  attributes?: Record<string, unknown> | null;
}

export interface LifecycleInput extends CIRef {
  expectedVersion: number;
  state: string;
}

export interface RelationInput {
  type: string;
  source: string;
  target: string;
}

export interface CIAsOf extends CIRecord {
  /** The moment this state was read for; null for the present. */
  asOf: number | null;
}

function refuse(problems: ModelProblem[]): never {
  throw new ValidationError(problems[0].message, { field: problems[0].field, problems });
}

function text(field: string, value: unknown, max = 256): string {
  if (typeof value !== 'string' || value.trim().length === 0) refuse([{ field, message: `${field} is required` }]);
  if ((value as string).length > max) refuse([{ field, message: `${field} must be at most ${max} characters` }]);
  return (value as string).trim();
}

export class CIService {
  private readonly repo = new CIRepository();

  constructor(
    private readonly executor: Executor,
    private readonly models: ModelService,
    private readonly oplog: OpLogService,
    private readonly tickets: TicketService,
  ) {}

  // ---------------------------------------------------------------- reads

  async get(ref: CIRef, asOf?: number | null): Promise<CIAsOf> {
    if (asOf !== undefined && asOf !== null && asOf > Date.now()) {
      throw new ValidationError('asOf is in the future', { field: 'asOf' });
    }
    return this.executor.read(async (tx) => {
      const ci = await this.find(tx, ref);
      if (asOf === undefined || asOf === null) return { ...ci, asOf: null };
      if (asOf < ci.createdAt)
        throw new NotFoundError(`CI ${ci.code} did not exist at ${new Date(asOf).toISOString()}`, { field: 'asOf' });
      const state = await this.repo.stateAt(tx, ci.id, asOf);
      if (!state)
        throw new NotFoundError(`no recorded state of CI ${ci.code} at ${new Date(asOf).toISOString()}`, {
          field: 'asOf',
        });
      return { ...state, id: ci.id, createdAt: ci.createdAt, asOf };
    });
  }

  /** Relationships in both directions; as of a moment, the other ends are shown as they were then. */
  relations(id: string, asOf: number | null): Promise<RelationRecord[]> {
    return this.executor.read(async (tx) => {
      const relations = await this.repo.relations(tx, id, asOf);
      if (asOf === null) return relations;
      return Promise.all(
        relations.map(async (r) => {
          const state = await this.repo.stateAt(tx, r.other.id, asOf);
          return state ? { ...r, other: { ...r.other, ...state } } : r;
        }),
      );
    });
  }

  /** Lists CIs by filter, ordered by code, with keyset cursors and an exact total. */
  async list(filter: CIListFilter, first: number, after: string | null): Promise<Page<CIRecord>> {
    const model = await this.models.current();
    const classes = filter.classes?.length ? filter.classes : null;
    for (const c of classes ?? [])
      if (!model.getClass(c)) refuse([{ field: 'filter.classes', message: `unknown class ${JSON.stringify(c)}` }]);
    const attributes = (filter.attributes ?? []).map((a) => {
      if (!ATTRIBUTE_NAME_PATTERN.test(a.name))
        refuse([{ field: 'filter.attributes', message: `invalid attribute name ${JSON.stringify(a.name)}` }]);
      return { name: a.name, equals: typedFilterValue(model, a.name, a.equals) };
    });
    const afterCode = decodeCursor(after);
    const page = await this.executor.read((tx) =>
      listCIs(tx, { ...filter, attributes, classes: classes ? model.expandClasses(classes) : null }, first, afterCode),
    );
    const last = page.items[page.items.length - 1];
    return { ...page, endCursor: last ? encodeCursor(last.code) : null };
  }

  /** The CIs matching a filter (up to `limit`) and the active relationships among them, for export. */
  async exportSet(filter: CIListFilter, limit: number): Promise<{ cis: CIRecord[]; relations: NewRelation[] }> {
    const cis: CIRecord[] = [];
    let after: string | null = null;
    while (cis.length < limit) {
      const page: Page<CIRecord> = await this.list(filter, Math.min(500, limit - cis.length), after);
      cis.push(...page.items);
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    const rows = await this.executor.query(CI_QUERIES.relationsAmong, { ids: cis.map((c) => c.id) });
    return {
      cis,
      relations: rows.map((r) => ({ type: r.type as string, source: r.source as string, target: r.target as string })),
    };
  }

  versions(id: string) {
    return this.executor.read((tx) => this.repo.versions(tx, id));
  }

  history(id: string) {
    return this.executor.read((tx) => this.oplog.historyOfCi(tx, id));
  }

  // ---------------------------------------------------------------- writes

  /** Creates one CI, with the relationships given with it, in one transaction. */
  async create(ctx: WriteContext, input: CreateCIInput): Promise<CIRecord> {
    const relations = (input.relations ?? []).map((spec, j) => {
      const field = `relations[${j}]`;
      if (!spec.target === !spec.source) refuse([{ field, message: `${field} needs exactly one of target or source` }]);
      return spec.target
        ? { type: spec.type, source: input.code, target: spec.target }
        : { type: spec.type, source: spec.source!, target: input.code };
    });
    const fields: FieldNames = { ci: (_i, f) => f, relation: (j, f) => `relations[${j}].${f}` };
    const { cis } = await this.createBatch(ctx, { cis: [input], relations }, { fields, anyState: false, log: 'each' });
    return cis[0];
  }

  /**
   * Creates many CIs and relationships at once, all or nothing: the demo estate, bulk loads.
   * With `anyState`, CIs may start in any state but retired, provided they meet its baseline.
   * By default the batch is logged as one BATCH_CREATE entry (`batchRecord` in ci.batch.ts: counts,
   * the ids created, a SHA-256 of the content; each CI's first state is its CIVersion v1); single
   * creates pass `log: 'each'` and get an entry per CI and per relationship.
   */
  async createBatch(
    ctx: WriteContext,
    batch: { cis: NewCI[]; relations: NewRelation[] },
    options: BatchOptions = { fields: BATCH_FIELDS, anyState: true, log: 'batch' },
  ): Promise<BatchResult> {
    return this.executor.write(async (tx) => {
      const model = await this.lockForWrite(tx, ctx);
      // A relationship between two stored CIs needs one of them in the ticket's scope; CIs the batch creates join it.
      // The stored CIs the batch refers to are read once, here, and handed on to writeBatch.
      const refs = await readStoredRefs(tx, model, batch);
      const groups = batch.relations
        .filter((r) => refs.byCode.has(r.source) && refs.byCode.has(r.target))
        .map((r) => [r.source, r.target].map((code) => ({ id: refs.byCode.get(code)!.id, code })));
      const ticket = await this.tickets.authorise(tx, ctx, [], groups);
      const { result, records } = await writeBatch(tx, model, ctx, batch, { ...options, ticketId: ticket.id }, refs);
      await this.oplog.record(tx, ctx, records);
      return result;
    });
  }

  async update(ctx: WriteContext, input: UpdateCIInput): Promise<CIRecord> {
    return this.executor.write(async (tx) => {
      const model = await this.lockForWrite(tx, ctx);
      const current = await this.lockedCurrent(tx, input, input.expectedVersion);
      const cls = concreteClass(model, current.class, 'id');
      await this.tickets.authorise(tx, ctx, [current], [], updateWrite(cls, current, input));
      const { next, record } = await this.applyUpdate(tx, model, ctx, current, input);
      if (record) await this.oplog.record(tx, ctx, [record]);
      return next;
    });
  }

  /**
   * Validates and writes an update of `current` inside the caller's write transaction (which holds
   * the writers' lock and has authorised it). Returns the log record, or null when nothing changes.
   * `field` names refused fields, e.g. `rows[3].${name}` for an import.
   */
  async applyUpdate(
    tx: Tx,
    model: CompiledModel,
    ctx: WriteContext,
    current: CIRecord,
    patch: { name?: string | null; owner?: string | null; attributes?: Record<string, unknown> | null },
    field: (name: string) => string = (name) => name,
  ): Promise<{ next: CIRecord; record: OpRecord | null }> {
    if (current.lifecycle === model.retiredState) {
      throw new ValidationError(`CI ${current.code} is retired and can no longer change`, { field: field('id') });
    }
    const cls = concreteClass(model, current.class, field('id'));
    const { attributes, problems } = checkAttributes(cls, patch.attributes ?? {}, current.attributes);
    if (problems.length) refuse(problems.map((p) => ({ ...p, field: field(p.field) })));
    const next: CIRecord = {
      ...current,
      name: patch.name === undefined || patch.name === null ? current.name : text(field('name'), patch.name),
      owner: patch.owner === undefined || patch.owner === null ? current.owner : text(field('owner'), patch.owner, 128),
      attributes,
      version: current.version + 1,
      updatedAt: ctx.at,
    };
    if (sameState(current, next)) return { next: current, record: null };
    const identKey = identKeyOf(cls, attributes);
    await this.assertIdentity(tx, cls, next, identKey, field);
    if (next.owner !== current.owner) await this.assertOwner(tx, model, next, field);
    const claims = uniqueClaims(cls, attributes);
    await this.assertClaims(tx, next, claims, field);
    await this.repo.update(tx, next, identKey, claims, ctx.at);
    return {
      next,
      record: {
        action: 'CI_UPDATE',
        targetType: 'CI',
        targetId: next.id,
        ciIds: [next.id],
        before: publicState(current),
        after: publicState(next),
      },
    };
  }

  /** Moves a CI along its lifecycle; refused when the transition is not allowed or the target state's baseline is unmet. */
  async changeLifecycle(ctx: WriteContext, input: LifecycleInput): Promise<CIRecord> {
    return this.executor.write(async (tx) => {
      const model = await this.lockForWrite(tx, ctx);
      const current = await this.lockedCurrent(tx, input, input.expectedVersion);
      await this.tickets.authorise(tx, ctx, [current], [], { managementOnly: false, what: 'a lifecycle change' });
      if (!model.states.has(input.state))
        refuse([{ field: 'state', message: `unknown lifecycle state ${input.state}` }]);
      if (!model.canTransition(current.lifecycle, input.state)) {
        const allowed = model.allowedTransitionsFrom(current.lifecycle);
        refuse([
          {
            field: 'state',
            message: `${current.code} cannot go from ${current.lifecycle} to ${input.state}; allowed: ${allowed.join(', ') || 'none'}`,
          },
        ]);
      }
      const cls = concreteClass(model, current.class, 'id');
      const missing = missingForBaseline(
        model,
        cls,
        input.state,
        current.attributes,
        await this.repo.relationCounts(tx, current.id),
      );
      if (missing.length) {
        throw new ValidationError(
          `${current.code} does not meet the ${input.state} baseline: it lacks ${missing.join(', ')}`,
          {
            field: 'state',
            missing,
          },
        );
      }
      const retiring = input.state === model.retiredState;
      const next: CIRecord = {
        ...current,
        lifecycle: input.state,
        version: current.version + 1,
        updatedAt: ctx.at,
        retiredAt: retiring ? ctx.at : current.retiredAt,
      };
      // A retired CI gives up its identification keys and unique values: the real entity may return as a new CI.
      const identKey = retiring ? null : identKeyOf(cls, current.attributes);
      const claims = retiring ? [] : uniqueClaims(cls, current.attributes);
      await this.repo.update(tx, next, identKey, claims, ctx.at);
      await this.oplog.record(tx, ctx, [
        {
          action: retiring ? 'CI_RETIRE' : 'CI_LIFECYCLE',
          targetType: 'CI',
          targetId: next.id,
          ciIds: [next.id],
          before: { lifecycle: current.lifecycle, version: current.version },
          after: { lifecycle: next.lifecycle, version: next.version },
        },
      ]);
      return next;
    });
  }

  async createRelation(ctx: WriteContext, input: RelationInput): Promise<RelationRecord> {
    const fields: FieldNames = { ci: (_i, f) => f, relation: (_j, f) => f };
    const { relations } = await this.createBatch(
      ctx,
      { cis: [], relations: [input] },
      { fields, anyState: false, log: 'each' },
    );
    const [r] = relations;
    return { id: r.id, type: r.type, direction: 'OUT', since: ctx.at, until: null, other: r.target };
  }

  async endRelation(ctx: WriteContext, input: RelationInput): Promise<RelationRecord> {
    return this.executor.write(async (tx) => {
      const model = await this.lockForWrite(tx, ctx);
      if (!model.relationTypes.has(input.type))
        refuse([{ field: 'type', message: `unknown relation type ${JSON.stringify(input.type)}` }]);
      const [source, target] = await this.endpoints(tx, input);
      await this.tickets.authorise(tx, ctx, [], [[source, target]], { managementOnly: false, what: 'a relationship' });
      const q = relationTypeQueries(relType(model, input.type));
      const [ended] = await tx.run(q.end, { sourceId: source.id, targetId: target.id, at: ctx.at, actor: ctx.actor });
      if (!ended)
        throw new NotFoundError(`${source.code} has no active ${input.type} to ${target.code}`, { field: 'type' });
      const id = ended.id as string;
      await this.oplog.record(tx, ctx, [
        {
          action: 'RELATION_END',
          targetType: 'RELATION',
          targetId: id,
          ciIds: [source.id, target.id],
          before: { type: input.type, source: source.code, target: target.code, since: ended.since },
          after: { until: ctx.at },
        },
      ]);
      return { id, type: input.type, direction: 'OUT', since: ended.since as number, until: ctx.at, other: target };
    });
  }

  // ---------------------------------------------------------------- helpers

  private async find(tx: Tx, ref: CIRef): Promise<CIRecord> {
    if (!ref.id && !ref.code) refuse([{ field: 'id', message: 'give the id or the code of the CI' }]);
    const ci = ref.id ? await this.repo.byId(tx, ref.id) : await this.repo.byCode(tx, ref.code!);
    if (!ci)
      throw new NotFoundError(`no CI with ${ref.id ? `id ${ref.id}` : `code ${ref.code}`}`, {
        field: ref.id ? 'id' : 'code',
      });
    return ci;
  }

  /**
   * Takes the writers' lock, then reads the model inside the same transaction: a model edit that
   * committed while this write waited is the one it validates against.
   */
  async lockForWrite(tx: Tx, ctx: WriteContext): Promise<CompiledModel> {
    await this.oplog.lock(tx, ctx.at);
    return this.models.inTransaction(tx);
  }

  /** Reads the CI under the writers' lock and refuses a stale expected version: no lost updates. */
  private async lockedCurrent(tx: Tx, ref: CIRef, expectedVersion: number): Promise<CIRecord> {
    const current = await this.find(tx, ref);
    if (current.version !== expectedVersion) {
      throw new ConflictError(
        `CI ${current.code} is at version ${current.version}, not ${expectedVersion}: reload and retry`,
        {
          field: 'expectedVersion',
          currentVersion: current.version,
        },
      );
    }
    return current;
  }

  private async assertIdentity(
    tx: Tx,
    cls: ResolvedClass,
    ci: CIRecord,
    identKey: string | null,
    field: (name: string) => string,
  ): Promise<void> {
    if (!identKey) return;
    const holder = await this.repo.holderOfIdentKey(tx, identKey);
    if (holder && holder.id !== ci.id) {
      const keys = cls.identificationKeys;
      throw new ConflictError(
        `CI ${holder.code} already has the identification keys ${keys.map((k) => `${k}=${ci.attributes[k]}`).join(', ')} of ${cls.identDeclaringClass}`,
        { field: field(`attributes.${keys[0]}`), existing: holder.code },
      );
    }
  }

  private async assertClaims(tx: Tx, ci: CIRecord, claims: string[], field: (name: string) => string): Promise<void> {
    const [held] = await this.repo.claimsHeldByOthers(tx, ci.id, claims);
    if (held) {
      const attribute = attributeOfKey(held.key);
      throw new ConflictError(
        `CI ${held.code} already has ${attribute}=${ci.attributes[attribute]}, which must be unique`,
        {
          field: field(`attributes.${attribute}`),
          existing: held.code,
        },
      );
    }
  }

  private async assertOwner(
    tx: Tx,
    model: CompiledModel,
    ci: CIRecord,
    field: (name: string) => string,
  ): Promise<void> {
    if (ci.owner === ci.code && model.ownerClassSet.has(ci.class)) return;
    const owner = await this.repo.owner(tx, ci.owner!);
    if (!owner || !model.ownerClassSet.has(owner.class) || owner.retired) {
      const kinds = model.data.ownerClasses.join(' or ');
      throw new ValidationError(`owner ${ci.owner} must be the code of an active ${kinds} CI`, {
        field: field('owner'),
      });
    }
  }

  private async endpoints(tx: Tx, input: RelationInput): Promise<[CIRecord, CIRecord]> {
    const source = await this.repo.byCode(tx, String(input.source));
    if (!source) throw new NotFoundError(`no CI has code ${input.source}`, { field: 'source' });
    const target = await this.repo.byCode(tx, String(input.target));
    if (!target) throw new NotFoundError(`no CI has code ${input.target}`, { field: 'target' });
    return [source, target];
  }
}

/** Filter values arrive as text; compare them as the attribute is typed in the model. */
function typedFilterValue(
  model: CompiledModel,
  name: string,
  value: string | number | boolean,
): string | number | boolean {
  const def = [...model.classes.values()].map((c) => c.attributes.get(name)).find((a) => a !== undefined);
  if (!def || typeof value !== 'string') return value;
  if (def.type === 'INTEGER' || def.type === 'FLOAT') return Number.isNaN(Number(value)) ? value : Number(value);
  if (def.type === 'BOOLEAN') return value === 'true';
  return value;
}

/** Whether an update changes nothing: then no version is spent and nothing is logged. */
/**
 * What an update of `current` changes, for the tickets that authorise only some writes: a service
 * request fulfils the owner and the class's management attributes, nothing else (§7.1.4.2.1 e).
 */
export function updateWrite(
  cls: ResolvedClass,
  current: CIRecord,
  patch: { name?: string | null; owner?: string | null; attributes?: Record<string, unknown> | null },
): WriteWhat {
  const changed: string[] = [];
  if (patch.name != null && patch.name !== current.name) changed.push('name');
  if (patch.owner != null && patch.owner !== current.owner) changed.push('owner');
  for (const [name, value] of Object.entries(patch.attributes ?? {})) {
    if (JSON.stringify(value ?? null) !== JSON.stringify(current.attributes[name] ?? null)) changed.push(name);
  }
  const others = changed.filter((f) => f !== 'owner' && !cls.attributes.get(f)?.management);
  return { managementOnly: others.length === 0, what: `the fields ${others.join(', ')} of ${current.code}` };
}

function sameState(a: CIRecord, b: CIRecord): boolean {
  if (a.name !== b.name || a.owner !== b.owner) return false;
  const keys = new Set([...Object.keys(a.attributes), ...Object.keys(b.attributes)]);
  return [...keys].every((k) => a.attributes[k] === b.attributes[k]);
}
