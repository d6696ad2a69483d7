// Creating CIs and relationships in one transaction: the single create, the relationship create,
// the demo estate and bulk import all come through here, so they validate alike and are all
// or nothing. Checks run set-wise (one query per kind, not per row) so a batch of thousands is fast;
// writes reach the CIs by the elementIds this transaction read or created them with; a bulk batch is
// logged as one entry (`batchRecord`), a single create as an entry per CI and relationship.
// The checks (`planBatch`) ask a `StoreView` what is stored: Neo4j inside the write transaction
// (`TxStoreView`), or what an initial load has accepted so far (src/imports/initial-load.ts).

import { createHash, randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError, type ErrorDetails } from '../platform/errors';
import type { Tx } from '../platform/neo4j/executor';
import type { CompiledModel, ResolvedClass } from '../model/compiled-model';
import { relType } from '../model/model.repository';
import type { OpRecord, WriteContext } from '../oplog/oplog.service';
import { BATCH_QUERIES, nodeProps, relationTypeQueries, snapshotOf, toCIRecord, type CIRecord } from './ci.repository';
import {
  checkAttributes,
  checkCode,
  identKeyOf,
  missingForBaseline,
  type Attributes,
  type RelationCount,
} from './ci.validation';

export interface NewCI {
  class: string;
  code: string;
  name: string;
  owner: string;
  lifecycle?: string | null;
  attributes?: Record<string, unknown> | null;
}

export interface NewRelation {
  type: string;
  /** Codes; either end may be a CI of the same batch. */
  source: string;
  target: string;
}

/** How refusals name fields: a single create says `code`, a batch says `cis[3].code`. */
export interface FieldNames {
  ci(index: number, field: string): string;
  relation(index: number, field: string): string;
}

export const BATCH_FIELDS: FieldNames = {
  ci: (i, f) => `cis[${i}].${f}`,
  relation: (i, f) => `relations[${i}].${f}`,
};

export interface BatchOptions {
  fields: FieldNames;
  /** Initial states only (interactive creates) or any state but retired (import of an existing estate). */
  anyState: boolean;
  /**
   * How the operation log records the batch: `each`, an entry per CI (CI_CREATE) and per relationship
   * (RELATION_CREATE), as single writes are logged; `batch`, one BATCH_CREATE entry for the whole
   * batch (bulk loads: the demo estate, imports), see `batchRecord`.
   */
  log: 'each' | 'batch';
}

/** What `writeBatch` needs beyond the caller's options: the ticket whose scope the created CIs join. */
export interface WriteBatchOptions extends BatchOptions {
  ticketId: string | null;
}

/** A stored CI as the checks need it: at either end of a relationship, or named as an owner. */
export type StoredCI = Pick<CIRecord, 'id' | 'code' | 'class' | 'lifecycle'>;

/** `R`: how the store's CIs come back, whole records from Neo4j or bare `StoredCI`s from memory. */
export interface BatchResult<R extends StoredCI = CIRecord> {
  cis: CIRecord[];
  relations: { id: string; type: string; source: CIRecord | R; target: CIRecord | R }[];
}

function fail(field: string, message: string, extra: ErrorDetails = {}): never {
  throw new ValidationError(message, { ...extra, field });
}

function text(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0) fail(field, `${field} is required`);
  if ((value as string).length > max) fail(field, `${field} must be at most ${max} characters`);
  return (value as string).trim();
}

export interface Prepared {
  ci: CIRecord;
  cls: ResolvedClass;
  identKey: string | null;
  claims: string[];
}

/**
 * The claims that hold unique attribute values, scoped by the class that declares each attribute:
 * `<class>.<attribute>=<json value>` (identification keys use `|`, so the two never collide).
 */
export function uniqueClaims(cls: ResolvedClass, attributes: Attributes): string[] {
  const claims: string[] = [];
  for (const def of cls.attributes.values()) {
    if (def.unique && attributes[def.name] !== undefined) {
      claims.push(`${cls.attributeOwners.get(def.name)}.${def.name}=${JSON.stringify(attributes[def.name])}`);
    }
  }
  return claims;
}

/** The attribute a key is about: `Class.attr=…` (unique claim) or `Class|attr=…` (identification key). */
export function attributeOfKey(key: string): string {
  return /^[A-Za-z0-9]+[.|]([A-Za-z0-9]+)=/.exec(key)?.[1] ?? '';
}

export function concreteClass(model: CompiledModel, name: string, field: string): ResolvedClass {
  const cls = model.getClass(name);
  if (!cls) fail(field, `unknown class ${JSON.stringify(name)}`);
  if (cls!.abstract) fail(field, `class ${name} is abstract: choose one of its subclasses`);
  return cls!;
}

/** Pure checks of one new CI against the model. */
export function prepare(
  model: CompiledModel,
  input: NewCI,
  i: number,
  ctx: WriteContext,
  options: Pick<BatchOptions, 'fields' | 'anyState'>,
): Prepared {
  const f = (name: string) => options.fields.ci(i, name);
  const cls = concreteClass(model, input.class, f('class'));
  const codeProblem = checkCode(cls, input.code);
  if (codeProblem) fail(f(codeProblem.field), codeProblem.message);
  const name = text(f('name'), input.name, 256);
  const owner = text(f('owner'), input.owner, 128);
  const lifecycle = input.lifecycle ?? model.data.lifecycle.initialStates[0];
  const allowed = options.anyState
    ? [...model.states].filter((s) => s !== model.retiredState)
    : model.data.lifecycle.initialStates;
  if (!allowed.includes(lifecycle)) {
    fail(f('lifecycle'), `a CI can be created only in ${allowed.join(', ')}, not ${lifecycle}`);
  }
  const { attributes, problems } = checkAttributes(cls, input.attributes ?? {});
  if (problems.length) fail(f(problems[0].field), problems[0].message, { problems });
  const ci: CIRecord = {
    id: randomUUID(),
    code: input.code,
    name,
    class: cls.name,
    lifecycle,
    owner,
    version: 1,
    createdAt: ctx.at,
    updatedAt: ctx.at,
    retiredAt: null,
    stale: false,
    attributes,
  };
  return { ci, cls, identKey: identKeyOf(cls, attributes), claims: uniqueClaims(cls, attributes) };
}

export function publicState(ci: CIRecord) {
  return {
    code: ci.code,
    name: ci.name,
    class: ci.class,
    lifecycle: ci.lifecycle,
    owner: ci.owner,
    version: ci.version,
    attributes: ci.attributes,
  };
}

/**
 * The SHA-256 of a batch's content, as its BATCH_CREATE entry records it: a line per CI in the order
 * of `after.ciIds` (its id and its first state, the `state` of its CIVersion v1) and then a line per
 * relationship in the order of `after.relationIds` (id, type, source id, target id). Anyone can
 * recompute it from the store to check that what was created is what the log says.
 */
export function batchDigest(
  cis: readonly { id: string; state: string }[],
  relations: readonly { id: string; type: string; sourceId: string; targetId: string }[],
): string {
  const hash = createHash('sha256');
  for (const c of cis) hash.update(`CI\t${c.id}\t${c.state}\n`);
  for (const r of relations) hash.update(`REL\t${r.id}\t${r.type}\t${r.sourceId}\t${r.targetId}\n`);
  return hash.digest('hex');
}

/** The `after` of a BATCH_CREATE entry. */
export interface BatchCreateSummary {
  cis: number;
  relations: number;
  /** The CIs created, in digest order; each also has a CONCERNS edge from the entry. */
  ciIds: string[];
  /** The relationships created, in digest order (their `id` property). */
  relationIds: string[];
  /** `batchDigest` of the CIs' first states and the relationships. */
  sha256: string;
}

/**
 * The one operation-log entry of a batch written with `log: 'batch'`. It records actor, time, ticket
 * and source like every entry; `before` is null (none of it existed) and `after` is the batch
 * summary: counts, the ids of what was created and the SHA-256 of its content. A created CI's own
 * "after" is its CIVersion v1 (the state it was created in, kept for as-of reads), which the digest
 * covers. The entry CONCERNS every CI it created and every stored CI that gained a relationship, so
 * the history of either shows it. `eids`: the elementIds of this transaction, when there is one.
 */
export function batchRecord<R extends StoredCI>(
  result: BatchResult<R>,
  stored: ReadonlyMap<string, R>,
  eids: ReadonlyMap<string, string> | null,
): OpRecord {
  const created = result.cis.map((ci) => ci.id);
  const ciIds = [...created];
  const seen = new Set(created);
  for (const r of result.relations) {
    for (const end of [r.source, r.target]) {
      if (!seen.has(end.id) && stored.has(end.code)) {
        seen.add(end.id);
        ciIds.push(end.id);
      }
    }
  }
  const after: BatchCreateSummary = {
    cis: result.cis.length,
    relations: result.relations.length,
    ciIds: created,
    relationIds: result.relations.map((r) => r.id),
    sha256: batchDigest(
      result.cis.map((ci) => ({ id: ci.id, state: snapshotOf(ci) })),
      result.relations.map((r) => ({ id: r.id, type: r.type, sourceId: r.source.id, targetId: r.target.id })),
    ),
  };
  return {
    action: 'BATCH_CREATE',
    targetType: 'BATCH',
    targetId: randomUUID(),
    ciIds,
    ...(eids ? { ciElementIds: ciIds.map((id) => eids.get(id)!) } : {}),
    before: null,
    after,
  };
}

/** The stored CIs a batch refers to (owners and relationship ends outside it). */
export interface StoredRefs<R extends StoredCI = CIRecord> {
  byCode: Map<string, R>;
  /** elementId by CI id, valid in the transaction that read it; empty where there is no transaction. */
  eids: Map<string, string>;
}

/** A stored value that a CI of the batch also claims, and the stored CI that holds it. */
export interface Holder {
  key: string;
  code: string;
}

/** A relationship's ends by CI id. */
export interface IdPair {
  sourceId: string;
  targetId: string;
}

/**
 * What a batch's checks need to know of the store. Each method answers for the CIs and values it is
 * given, in one go (one query per kind, not per row, in Neo4j).
 */
export interface StoreView<R extends StoredCI> {
  /** A code among `codes` that a stored CI already has, or null. */
  existingCode(codes: string[]): Promise<string | null>;
  /** A stored CI holding one of these identification keys, or null. */
  identKeyHolder(keys: string[]): Promise<Holder | null>;
  /** A stored CI holding one of these unique-value claims, or null. */
  claimHolder(keys: string[]): Promise<Holder | null>;
  /** The stored CIs among these codes. */
  refs(codes: string[]): Promise<StoredRefs<R>>;
  /** Which of these pairs of stored CIs already have an active relationship of the type, as `source>target` ids. */
  activePairs(type: string, pairs: IdPair[]): Promise<Set<string>>;
  /** How many active relationships of the type each of these stored CIs has, outgoing or incoming. */
  counts(type: string, direction: 'out' | 'in', ids: string[]): Promise<Map<string, number>>;
}

/** The store as the caller's write transaction sees it (it holds the writers' lock, so nothing moves under it). */
export class TxStoreView implements StoreView<CIRecord> {
  constructor(
    private readonly tx: Tx,
    private readonly model: CompiledModel,
  ) {}

  async existingCode(codes: string[]) {
    const [row] = await this.tx.run(BATCH_QUERIES.existingCodes, { codes });
    return row ? (row.code as string) : null;
  }

  async identKeyHolder(keys: string[]) {
    const [row] = await this.tx.run(BATCH_QUERIES.identKeyHolders, { keys });
    return row ? { key: row.key as string, code: row.code as string } : null;
  }

  async claimHolder(keys: string[]) {
    const [row] = await this.tx.run(BATCH_QUERIES.claimHolders, { keys });
    return row ? { key: row.key as string, code: row.code as string } : null;
  }

  async refs(codes: string[]) {
    const refs: StoredRefs = { byCode: new Map(), eids: new Map() };
    if (!codes.length) return refs;
    for (const row of await this.tx.run(BATCH_QUERIES.byCodes, { codes })) {
      const ci = toCIRecord(row.n as Record<string, unknown>);
      refs.byCode.set(ci.code, ci);
      refs.eids.set(ci.id, row.eid as string);
    }
    return refs;
  }

  async activePairs(type: string, pairs: IdPair[]) {
    const q = relationTypeQueries(relType(this.model, type));
    const rows = await this.tx.run(q.activePairs, { pairs });
    return new Set(rows.map((row) => `${row.sourceId}>${row.targetId}`));
  }

  async counts(type: string, direction: 'out' | 'in', ids: string[]) {
    const q = relationTypeQueries(relType(this.model, type));
    const rows = await this.tx.run(direction === 'out' ? q.outCounts : q.inCounts, { ids });
    return new Map(rows.map((row) => [row.id as string, row.count as number]));
  }
}

/** The codes a batch refers to outside itself: owners and relationship ends. */
export function outsideCodes(batch: { cis: NewCI[]; relations: NewRelation[] }): string[] {
  const own = new Set(batch.cis.map((c) => c.code));
  const outside = new Set<string>();
  const add = (code: unknown) => {
    if (typeof code === 'string' && !own.has(code)) outside.add(code);
  };
  for (const c of batch.cis) add(typeof c.owner === 'string' ? c.owner.trim() : null);
  for (const r of batch.relations) {
    add(r.source);
    add(r.target);
  }
  return [...outside];
}

/**
 * Reads the stored CIs a batch refers to: every owner and relationship end that is not a CI of the
 * batch, in one query. Callers that need them before `writeBatch` (change control) pass them on.
 */
export function readStoredRefs(
  tx: Tx,
  model: CompiledModel,
  batch: { cis: NewCI[]; relations: NewRelation[] },
): Promise<StoredRefs> {
  return new TxStoreView(tx, model).refs(outsideCodes(batch));
}

/** A relationship the batch will create, its ends resolved. */
export interface PlannedRelation<R extends StoredCI> {
  type: string;
  source: CIRecord | R;
  target: CIRecord | R;
  /** Its row in the batch. */
  index: number;
}

/** A batch that passed every check: what to write. */
export interface BatchPlan<R extends StoredCI> {
  prepared: Prepared[];
  /** The relationships by model type, in batch order within each. */
  byType: Map<string, PlannedRelation<R>[]>;
  stored: StoredRefs<R>;
}

/**
 * Every check of a batch, against the model and what `view` says is stored. Refuses the whole batch
 * on the first problem, naming the row and field. `refs`: the batch's stored CIs, when the caller
 * has already read them.
 */
export async function planBatch<R extends StoredCI>(
  view: StoreView<R>,
  model: CompiledModel,
  ctx: WriteContext,
  batch: { cis: NewCI[]; relations: NewRelation[] },
  options: BatchOptions,
  refs?: StoredRefs<R>,
): Promise<BatchPlan<R>> {
  const prepared = batch.cis.map((input, i) => prepare(model, input, i, ctx, options));
  const byCode = new Map<string, number>();
  const seenKeys = new Map<string, number>();
  prepared.forEach((p, i) => {
    if (byCode.has(p.ci.code))
      fail(
        options.fields.ci(i, 'code'),
        `code ${p.ci.code} appears twice in the batch (rows ${byCode.get(p.ci.code)} and ${i})`,
      );
    byCode.set(p.ci.code, i);
    for (const key of [p.identKey, ...p.claims]) {
      if (!key) continue;
      if (seenKeys.has(key)) {
        const attribute = attributeOfKey(key);
        throw new ConflictError(
          `row ${i} repeats the identifying value ${key.replace(/^[^.|]+[.|]/, '')} of row ${seenKeys.get(key)}`,
          {
            field: options.fields.ci(i, `attributes.${attribute}`),
          },
        );
      }
      seenKeys.set(key, i);
    }
  });

  // Identity against what is stored: codes, identification keys, unique values.
  if (prepared.length) {
    const existing = await view.existingCode(prepared.map((p) => p.ci.code));
    if (existing !== null) {
      throw new ConflictError(`a CI with code ${existing} already exists`, {
        field: options.fields.ci(byCode.get(existing)!, 'code'),
        existing,
      });
    }
    const keyHolder = await view.identKeyHolder(prepared.flatMap((p) => (p.identKey ? [p.identKey] : [])));
    if (keyHolder) {
      const i = prepared.findIndex((p) => p.identKey === keyHolder.key);
      const { cls, ci } = prepared[i];
      const keys = cls.identificationKeys;
      throw new ConflictError(
        `CI ${keyHolder.code} already has the identification keys ${keys.map((k) => `${k}=${ci.attributes[k]}`).join(', ')} of ${cls.identDeclaringClass}`,
        { field: options.fields.ci(i, `attributes.${keys[0]}`), existing: keyHolder.code },
      );
    }
    const claimHolder = await view.claimHolder(prepared.flatMap((p) => p.claims));
    if (claimHolder) {
      const i = prepared.findIndex((p) => p.claims.includes(claimHolder.key));
      const attribute = attributeOfKey(claimHolder.key);
      throw new ConflictError(
        `CI ${claimHolder.code} already has ${attribute}=${prepared[i].ci.attributes[attribute]}, which must be unique`,
        { field: options.fields.ci(i, `attributes.${attribute}`), existing: claimHolder.code },
      );
    }
  }

  // Every code the batch refers to: owners and relationship ends, from the batch or the store.
  const known = new Map<string, CIRecord>(prepared.map((p) => [p.ci.code, p.ci]));
  const stored = refs ?? (await view.refs(outsideCodes(batch)));
  const lookup = (code: string): CIRecord | R | undefined => known.get(code) ?? stored.byCode.get(code);

  prepared.forEach(({ ci }, i) => {
    if (ci.owner === ci.code && model.ownerClassSet.has(ci.class)) return;
    const owner = lookup(ci.owner!);
    if (!owner || !model.ownerClassSet.has(owner.class) || owner.lifecycle === model.retiredState) {
      fail(
        options.fields.ci(i, 'owner'),
        `owner ${ci.owner} must be the code of an active ${model.data.ownerClasses.join(' or ')} CI`,
      );
    }
  });

  // Relationships: allowed ends, no duplicates, cardinality counting what is stored and what the batch adds.
  const counts = new Map<string, number>();
  const bump = (key: string) => {
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return n;
  };
  const byType = new Map<string, PlannedRelation<R>[]>();
  batch.relations.forEach((r, j) => {
    const f = (name: string) => options.fields.relation(j, name);
    const type = model.relationTypes.get(r.type);
    if (!type) fail(f('type'), `unknown relation type ${JSON.stringify(r.type)}`);
    const source = lookup(r.source);
    if (!source) throw new NotFoundError(`no CI has code ${r.source}`, { field: f('source') });
    const target = lookup(r.target);
    if (!target) throw new NotFoundError(`no CI has code ${r.target}`, { field: f('target') });
    if (source.code === target.code) fail(f('target'), 'a CI cannot be related to itself');
    if (!model.relationAllows(type!, source.class, target.class)) {
      fail(
        f('type'),
        `${r.type} cannot join ${source.class} ${source.code} to ${target.class} ${target.code}: allowed ${type!.sources.join('/')} → ${type!.targets.join('/')}`,
      );
    }
    for (const [end, ci] of [
      ['source', source],
      ['target', target],
    ] as const) {
      if (ci.lifecycle === model.retiredState) fail(f(end), `CI ${ci.code} is retired`);
    }
    const list = byType.get(r.type);
    const p = { type: r.type, source, target, index: j };
    if (list) list.push(p);
    else byType.set(r.type, [p]);
  });
  const isStored = (ci: StoredCI) => stored.byCode.has(ci.code);
  for (const [typeName, rels] of byType) {
    const type = model.relationTypes.get(typeName)!;
    const storedIds = (list: StoredCI[]) => [...new Set(list.filter(isStored).map((c) => c.id))];
    // Only two stored CIs can already be related; a pair with a new end is checked against the batch alone.
    const pairs = rels
      .filter((r) => isStored(r.source) && isStored(r.target))
      .map((r) => ({ sourceId: r.source.id, targetId: r.target.id }));
    const existingPairs = pairs.length ? await view.activePairs(typeName, pairs) : new Set<string>();
    const seenPairs = new Set<string>();
    for (const r of rels) {
      const pair = `${r.source.id}>${r.target.id}`;
      if (existingPairs.has(pair) || seenPairs.has(pair)) {
        throw new ConflictError(`${r.source.code} ${typeName} ${r.target.code} already exists`, {
          field: options.fields.relation(r.index, 'type'),
        });
      }
      seenPairs.add(pair);
    }
    // Cardinality: the store's counts for stored ends (a new CI has none), plus the batch's own, counted here.
    const oneOut = type.cardinality === 'MANY_TO_ONE' || type.cardinality === 'ONE_TO_ONE';
    const oneIn = type.cardinality === 'ONE_TO_MANY' || type.cardinality === 'ONE_TO_ONE';
    const outIds = oneOut ? storedIds(rels.map((r) => r.source)) : [];
    const inIds = oneIn ? storedIds(rels.map((r) => r.target)) : [];
    if (outIds.length) {
      for (const [id, n] of await view.counts(typeName, 'out', outIds)) counts.set(`out|${typeName}|${id}`, n);
    }
    if (inIds.length) {
      for (const [id, n] of await view.counts(typeName, 'in', inIds)) counts.set(`in|${typeName}|${id}`, n);
    }
    for (const r of rels) {
      const field = options.fields.relation(r.index, 'type');
      if (oneOut && bump(`out|${typeName}|${r.source.id}`) > 1) {
        fail(field, `${r.source.code} already has a ${typeName} and the model allows one (${type.cardinality})`);
      }
      if (oneIn && bump(`in|${typeName}|${r.target.id}`) > 1) {
        fail(
          field,
          `${r.target.code} already has an incoming ${typeName} and the model allows one (${type.cardinality})`,
        );
      }
    }
  }

  // New CIs must meet the baseline of the state they are created in, counting the batch's relationships
  // (indexed by CI in one pass over them).
  const have = new Map<string, RelationCount[]>();
  const count = (ci: StoredCI, type: string, direction: 'OUT' | 'IN') => {
    if (!known.has(ci.code)) return;
    let list = have.get(ci.id);
    if (!list) have.set(ci.id, (list = []));
    const c = list.find((x) => x.type === type && x.direction === direction);
    if (c) c.count += 1;
    else list.push({ type, direction, count: 1 });
  };
  for (const [typeName, rels] of byType) {
    for (const r of rels) {
      count(r.source, typeName, 'OUT');
      count(r.target, typeName, 'IN');
    }
  }
  prepared.forEach(({ ci, cls }, i) => {
    const missing = missingForBaseline(model, cls, ci.lifecycle, ci.attributes, have.get(ci.id) ?? []);
    if (missing.length) {
      throw new ValidationError(
        `${ci.code} cannot be created ${ci.lifecycle}: its baseline needs ${missing.join(', ')}`,
        {
          field: options.fields.ci(i, 'lifecycle'),
          missing,
        },
      );
    }
  });
  return { prepared, byType, stored };
}

/** The records that describe a written batch in the operation log (`options.log`). */
export function batchRecords<R extends StoredCI>(
  result: BatchResult<R>,
  stored: ReadonlyMap<string, R>,
  eids: ReadonlyMap<string, string> | null,
  log: BatchOptions['log'],
): OpRecord[] {
  if (log === 'batch') {
    return result.cis.length || result.relations.length ? [batchRecord(result, stored, eids)] : [];
  }
  const elementIds = (...ids: string[]) => (eids ? { ciElementIds: ids.map((id) => eids.get(id)!) } : {});
  return [
    ...result.cis.map((ci): OpRecord => ({
      action: 'CI_CREATE',
      targetType: 'CI',
      targetId: ci.id,
      ciIds: [ci.id],
      ...elementIds(ci.id),
      before: null,
      after: publicState(ci),
    })),
    ...result.relations.map((r): OpRecord => ({
      action: 'RELATION_CREATE',
      targetType: 'RELATION',
      targetId: r.id,
      ciIds: [r.source.id, r.target.id],
      ...elementIds(r.source.id, r.target.id),
      before: null,
      after: { type: r.type, source: r.source.code, target: r.target.code },
    })),
  ];
}

/**
 * Validates and writes a batch inside the caller's write transaction (which holds the writers'
 * lock and has authorised it): `planBatch` against the transaction's view of the store, then the
 * writes. Created CIs join the scope of `options.ticketId`. Returns what was written and the
 * operation-log records that describe it (`options.log`); the caller appends them. `refs`: the
 * batch's `readStoredRefs`, when the caller has already read them in this transaction.
 */
export async function writeBatch(
  tx: Tx,
  model: CompiledModel,
  ctx: WriteContext,
  batch: { cis: NewCI[]; relations: NewRelation[] },
  options: WriteBatchOptions,
  refs?: StoredRefs,
): Promise<{ result: BatchResult; records: OpRecord[] }> {
  const { prepared, byType, stored } = await planBatch(new TxStoreView(tx, model), model, ctx, batch, options, refs);
  // The store's CIs come with their elementIds, by which the writes below reach them.
  const eids = stored.eids;
  if (prepared.length) {
    const rows = await tx.run(BATCH_QUERIES.createCIs, {
      rows: prepared.map((p) => ({ props: nodeProps(p.ci, p.identKey), snapshot: snapshotOf(p.ci), claims: p.claims })),
      ticketId: options.ticketId,
      at: ctx.at,
      actor: ctx.actor,
    });
    for (const row of rows) eids.set(row.id as string, row.eid as string);
  }
  const relations: BatchResult['relations'] = [];
  for (const [typeName, rels] of byType) {
    const q = relationTypeQueries(relType(model, typeName));
    const rows = rels.map((r) => ({
      id: randomUUID(),
      sourceEid: eids.get(r.source.id)!,
      targetEid: eids.get(r.target.id)!,
    }));
    await tx.run(q.createMany, { rows, at: ctx.at, actor: ctx.actor });
    rels.forEach((r, k) => relations.push({ id: rows[k].id, type: typeName, source: r.source, target: r.target }));
  }
  const result: BatchResult = { cis: prepared.map((p) => p.ci), relations };
  return { result, records: batchRecords(result, stored.byCode, eids, options.log) };
}
