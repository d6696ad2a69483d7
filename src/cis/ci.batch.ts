// Creating CIs and relationships in one transaction: the single create, the relationship create,
// the demo estate and bulk import all come through here, so they validate alike and are all
// or nothing. Checks run set-wise (one query per kind, not per row) so a batch of thousands is fast.

import { randomUUID } from 'node:crypto';
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
}

export interface BatchResult {
  cis: CIRecord[];
  relations: { id: string; type: string; source: CIRecord; target: CIRecord }[];
}

function fail(field: string, message: string, extra: ErrorDetails = {}): never {
  throw new ValidationError(message, { ...extra, field });
}

function text(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0) fail(field, `${field} is required`);
  if ((value as string).length > max) fail(field, `${field} must be at most ${max} characters`);
  return (value as string).trim();
}

interface Prepared {
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
  options: BatchOptions,
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
 * Validates and writes a batch inside the caller's write transaction (which holds the writers'
 * lock). Refuses the whole batch on the first problem, naming the row and field.
 */
export async function writeBatch(
  tx: Tx,
  model: CompiledModel,
  ctx: WriteContext,
  batch: { cis: NewCI[]; relations: NewRelation[] },
  options: BatchOptions,
): Promise<{ result: BatchResult; records: OpRecord[] }> {
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
  const codes = prepared.map((p) => p.ci.code);
  for (const row of await tx.run(BATCH_QUERIES.existingCodes, { codes })) {
    const i = byCode.get(row.code as string)!;
    throw new ConflictError(`a CI with code ${row.code} already exists`, {
      field: options.fields.ci(i, 'code'),
      existing: row.code,
    });
  }
  const identKeys = prepared.map((p) => p.identKey).filter((k): k is string => k !== null);
  for (const row of await tx.run(BATCH_QUERIES.identKeyHolders, { keys: identKeys })) {
    const i = prepared.findIndex((p) => p.identKey === row.key);
    const { cls, ci } = prepared[i];
    const keys = cls.identificationKeys;
    throw new ConflictError(
      `CI ${row.code} already has the identification keys ${keys.map((k) => `${k}=${ci.attributes[k]}`).join(', ')} of ${cls.identDeclaringClass}`,
      { field: options.fields.ci(i, `attributes.${keys[0]}`), existing: row.code },
    );
  }
  const claimKeys = prepared.flatMap((p) => p.claims);
  for (const row of await tx.run(BATCH_QUERIES.claimHolders, { keys: claimKeys })) {
    const i = prepared.findIndex((p) => p.claims.includes(row.key as string));
    const attribute = attributeOfKey(row.key as string);
    throw new ConflictError(
      `CI ${row.code} already has ${attribute}=${prepared[i].ci.attributes[attribute]}, which must be unique`,
      {
        field: options.fields.ci(i, `attributes.${attribute}`),
        existing: row.code,
      },
    );
  }

  // Every code the batch refers to: owners and relationship ends, from the batch or the store.
  const referenced = new Set<string>([
    ...prepared.map((p) => p.ci.owner!),
    ...batch.relations.flatMap((r) => [r.source, r.target]),
  ]);
  const known = new Map<string, CIRecord>(prepared.map((p) => [p.ci.code, p.ci]));
  const outside = [...referenced].filter((c) => typeof c === 'string' && !known.has(c));
  const stored = new Map<string, CIRecord>();
  for (const row of await tx.run(BATCH_QUERIES.byCodes, { codes: outside })) {
    const ci = toCIRecord(row.n as Record<string, unknown>);
    stored.set(ci.code, ci);
  }
  const lookup = (code: string) => known.get(code) ?? stored.get(code);

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
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const planned: { type: string; source: CIRecord; target: CIRecord; index: number }[] = [];
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
    planned.push({ type: r.type, source, target, index: j });
  });
  const byType = new Map<string, typeof planned>();
  for (const p of planned) byType.set(p.type, [...(byType.get(p.type) ?? []), p]);
  for (const [typeName, rels] of byType) {
    const type = model.relationTypes.get(typeName)!;
    const q = relationTypeQueries(relType(model, typeName));
    const storedIds = (list: CIRecord[]) => [...new Set(list.filter((c) => stored.has(c.code)).map((c) => c.id))];
    const pairs = rels.map((r) => ({ sourceId: r.source.id, targetId: r.target.id }));
    const existingPairs = new Set(
      (await tx.run(q.activePairs, { pairs })).map((row) => `${row.sourceId}>${row.targetId}`),
    );
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
    const oneOut = type.cardinality === 'MANY_TO_ONE' || type.cardinality === 'ONE_TO_ONE';
    const oneIn = type.cardinality === 'ONE_TO_MANY' || type.cardinality === 'ONE_TO_ONE';
    if (oneOut) {
      for (const row of await tx.run(q.outCounts, { ids: storedIds(rels.map((r) => r.source)) }))
        counts.set(`out|${typeName}|${row.id}`, row.count as number);
    }
    if (oneIn) {
      for (const row of await tx.run(q.inCounts, { ids: storedIds(rels.map((r) => r.target)) }))
        counts.set(`in|${typeName}|${row.id}`, row.count as number);
    }
    for (const r of rels) {
      const field = options.fields.relation(r.index, 'type');
      if (oneOut) {
        bump(`out|${typeName}|${r.source.id}`);
        if (counts.get(`out|${typeName}|${r.source.id}`)! > 1) {
          fail(field, `${r.source.code} already has a ${typeName} and the model allows one (${type.cardinality})`);
        }
      }
      if (oneIn) {
        bump(`in|${typeName}|${r.target.id}`);
        if (counts.get(`in|${typeName}|${r.target.id}`)! > 1) {
          fail(
            field,
            `${r.target.code} already has an incoming ${typeName} and the model allows one (${type.cardinality})`,
          );
        }
      }
    }
  }

  // New CIs must meet the baseline of the state they are created in, counting the batch's relationships.
  prepared.forEach(({ ci, cls }, i) => {
    const have: RelationCount[] = [];
    for (const p of planned) {
      const direction = p.source.id === ci.id ? 'OUT' : p.target.id === ci.id ? 'IN' : null;
      if (!direction) continue;
      const c = have.find((x) => x.type === p.type && x.direction === direction);
      if (c) c.count += 1;
      else have.push({ type: p.type, direction, count: 1 });
    }
    const missing = missingForBaseline(model, cls, ci.lifecycle, ci.attributes, have);
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

  // Everything holds: write.
  if (prepared.length) {
    await tx.run(BATCH_QUERIES.createCIs, {
      rows: prepared.map((p) => ({ props: nodeProps(p.ci, p.identKey), snapshot: snapshotOf(p.ci), claims: p.claims })),
    });
  }
  const relations: BatchResult['relations'] = [];
  for (const [typeName, rels] of byType) {
    const q = relationTypeQueries(relType(model, typeName));
    const rows = rels.map((r) => ({ id: randomUUID(), sourceId: r.source.id, targetId: r.target.id }));
    await tx.run(q.createMany, { rows, at: ctx.at, actor: ctx.actor });
    rels.forEach((r, k) => relations.push({ id: rows[k].id, type: typeName, source: r.source, target: r.target }));
  }
  const records: OpRecord[] = [
    ...prepared.map(({ ci }): OpRecord => ({
      action: 'CI_CREATE',
      targetType: 'CI',
      targetId: ci.id,
      ciIds: [ci.id],
      before: null,
      after: publicState(ci),
    })),
    ...relations.map((r): OpRecord => ({
      action: 'RELATION_CREATE',
      targetType: 'RELATION',
      targetId: r.id,
      ciIds: [r.source.id, r.target.id],
      before: null,
      after: { type: r.type, source: r.source.code, target: r.target.code },
    })),
  ];
  return { result: { cis: prepared.map((p) => p.ci), relations }, records };
}
