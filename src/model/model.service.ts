// The configuration model room: the model is data, edited at run time by the configuration
// manager, versioned as a whole, and an edit that would break existing CIs is refused.

import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import type { OpLogService, WriteContext } from '../oplog/oplog.service';
import { CompiledModel, validateModelData, type ResolvedClass } from './compiled-model';
import {
  findAnywhere,
  MODEL_QUERIES,
  ModelRepository,
  relationQueries,
  relType,
  type CountWithExamples,
} from './model.repository';
import type { ClassDef, ConfigModelData, LifecycleDef, RelationTypeDef } from './model.types';

export interface Breakage extends CountWithExamples {
  /** What part of the edit breaks them, e.g. `classes.Server.attributes.rack`. */
  field: string;
  reason: string;
}

export function loadDefaultModel(projectRoot: string): ConfigModelData {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, 'schema', 'model.default.json'), 'utf8')) as ConfigModelData;
}

export class ModelService {
  private cached: CompiledModel | null = null;
  /** Patterns the database has already compiled. */
  private readonly checkedPatterns = new Set<string>();
  private checkedAt = 0;
  private readonly repo = new ModelRepository();

  constructor(
    private readonly executor: Executor,
    private readonly oplog: OpLogService,
    /** How long a read may trust the cached model before asking the database for its version. */
    private readonly cacheMs = 1000,
  ) {}

  /** The current model; `fresh` checks the stored version first (every write does). */
  async current(fresh = false): Promise<CompiledModel> {
    if (this.cached && !fresh && Date.now() - this.checkedAt < this.cacheMs) return this.cached;
    const version = await this.executor.read((tx) => this.repo.headVersion(tx));
    if (version === null) throw new Error('no configuration model: the service has not been initialised');
    if (!this.cached || this.cached.version !== version) {
      const loaded = await this.executor.read((tx) => this.repo.load(tx, version));
      this.cached = new CompiledModel(loaded!.data, loaded!.version);
    }
    this.checkedAt = Date.now();
    return this.cached;
  }

  /** The current model as the given transaction sees it (writers call this under their lock). */
  async inTransaction(tx: Tx): Promise<CompiledModel> {
    const version = await this.repo.headVersion(tx);
    if (version === null) throw new Error('no configuration model: the service has not been initialised');
    if (!this.cached || this.cached.version !== version) {
      const loaded = await this.repo.load(tx, version);
      this.cached = new CompiledModel(loaded!.data, loaded!.version);
    }
    this.checkedAt = Date.now();
    return this.cached;
  }

  /** A past version, for reading history. */
  async version(version: number): Promise<CompiledModel> {
    const loaded = await this.executor.read((tx) => this.repo.load(tx, version));
    if (!loaded) throw new NotFoundError(`model version ${version} does not exist`, { field: 'version' });
    return new CompiledModel(loaded.data, loaded.version);
  }

  async versions(limit = 50) {
    return this.executor.read((tx) => this.repo.versions(tx, limit));
  }

  /** Loads the shipped default model into an empty database; a no-op once any version exists. */
  async ensureInitialised(defaultModel: ConfigModelData): Promise<boolean> {
    return this.executor.write(async (tx) => {
      if ((await this.repo.headVersion(tx)) !== null) return false;
      const problems = validateModelData(defaultModel);
      if (problems.length) throw new Error(`default model invalid: ${problems[0].field}: ${problems[0].message}`);
      await this.repo.save(tx, {
        version: 1,
        data: defaultModel,
        at: Date.now(),
        actor: 'system',
        comment: 'default insurance IT model',
        changes: ['initial model'],
      });
      return true;
    });
  }

  upsertClass(ctx: WriteContext, def: ClassDef, comment?: string) {
    return this.edit(ctx, comment ?? `upsert class ${def.name}`, (data) => {
      const i = data.classes.findIndex((c) => c.name === def.name);
      if (i >= 0) data.classes[i] = def;
      else data.classes.push(def);
    });
  }

  removeClass(ctx: WriteContext, name: string, comment?: string) {
    return this.edit(ctx, comment ?? `remove class ${name}`, (data) => {
      if (!data.classes.some((c) => c.name === name))
        throw new NotFoundError(`class ${name} does not exist`, { field: 'name' });
      const children = data.classes.filter((c) => c.parent === name).map((c) => c.name);
      if (children.length) {
        throw new ConflictError(`class ${name} has subclasses ${children.join(', ')}: remove them first`, {
          field: 'name',
        });
      }
      data.classes = data.classes.filter((c) => c.name !== name);
    });
  }

  upsertRelationType(ctx: WriteContext, def: RelationTypeDef, comment?: string) {
    return this.edit(ctx, comment ?? `upsert relation type ${def.name}`, (data) => {
      const i = data.relationTypes.findIndex((r) => r.name === def.name);
      if (i >= 0) data.relationTypes[i] = def;
      else data.relationTypes.push(def);
    });
  }

  removeRelationType(ctx: WriteContext, name: string, comment?: string) {
    return this.edit(ctx, comment ?? `remove relation type ${name}`, (data) => {
      if (!data.relationTypes.some((r) => r.name === name)) {
        throw new NotFoundError(`relation type ${name} does not exist`, { field: 'name' });
      }
      data.relationTypes = data.relationTypes.filter((r) => r.name !== name);
    });
  }

  setLifecycle(ctx: WriteContext, lifecycle: LifecycleDef, comment?: string) {
    return this.edit(ctx, comment ?? 'edit lifecycle', (data) => {
      data.lifecycle = lifecycle;
    });
  }

  replaceModel(ctx: WriteContext, replacement: ConfigModelData, comment?: string) {
    return this.edit(ctx, comment ?? 'replace model', (data) => {
      Object.assign(data, replacement);
    });
  }

  /**
   * Applies `change` to a copy of the current model, validates it, refuses it if it would break
   * existing CIs, and stores it as the next version — all in one transaction. Two concurrent edits
   * of the same version collide on the version's uniqueness constraint: the later one is refused.
   */
  private async edit(
    ctx: WriteContext,
    comment: string,
    change: (data: ConfigModelData) => void,
  ): Promise<CompiledModel> {
    await this.assertPatternsCompileInDatabase(change);
    const result = await this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const before = await this.inTransaction(tx);
      const data = structuredClone(before.data);
      change(data);
      const problems = validateModelData(data);
      if (problems.length) {
        throw new ValidationError(`the edited model is invalid: ${problems[0].field}: ${problems[0].message}`, {
          field: problems[0].field,
          problems,
        });
      }
      const after = new CompiledModel(data, before.version + 1);
      const changes = describeChanges(before, after);
      if (changes.length === 0) return before;
      const breakage = await this.findBreakage(tx, before, after);
      if (breakage.length) {
        const first = breakage[0];
        throw new ConflictError(
          `the edit would break ${first.count} existing CI(s) (${first.reason}; e.g. ${first.examples.join(', ')})`,
          { field: first.field, count: first.count, examples: first.examples, breakage },
        );
      }
      await this.syncUniqueClaims(tx, before, after);
      try {
        await this.repo.save(tx, { version: after.version, data, at: ctx.at, actor: ctx.actor, comment, changes });
      } catch (e) {
        if (String((e as { code?: string }).code).includes('ConstraintValidationFailed')) {
          throw new ConflictError(`the model was changed concurrently (version ${after.version} exists): retry`, {
            field: 'version',
          });
        }
        throw e;
      }
      await this.oplog.record(tx, ctx, [
        {
          action: 'MODEL_EDIT',
          targetType: 'MODEL',
          targetId: String(after.version),
          ciIds: [],
          before: { version: before.version },
          after: { version: after.version, comment, changes },
        },
      ]);
      return after;
    });
    this.cached = result;
    this.checkedAt = Date.now();
    return result;
  }

  /**
   * Breakage checks run patterns in Neo4j's regex engine, which refuses some patterns JavaScript
   * accepts: such a pattern is refused as invalid input, before the edit's transaction starts.
   */
  private async assertPatternsCompileInDatabase(change: (data: ConfigModelData) => void): Promise<void> {
    const data = structuredClone((await this.current(true)).data);
    change(data);
    const patterns = data.classes.flatMap((c) => [
      ...(c.codePattern ? [{ field: `classes.${c.name}.codePattern`, pattern: c.codePattern }] : []),
      ...c.attributes
        .filter((a) => a.pattern)
        .map((a) => ({ field: `classes.${c.name}.attributes.${a.name}.pattern`, pattern: a.pattern! })),
    ]);
    for (const { field, pattern } of patterns) {
      if (this.checkedPatterns.has(pattern)) continue;
      try {
        await this.executor.query(MODEL_QUERIES.regexCheck, { pattern: findAnywhere(pattern) });
        this.checkedPatterns.add(pattern);
      } catch {
        throw new ValidationError(`${field} is not a regular expression the database can run: ${pattern}`, { field });
      }
    }
  }

  /** Unique values of live CIs are claimed when an attribute becomes unique, released when it stops being. */
  private async syncUniqueClaims(tx: Tx, before: CompiledModel, after: CompiledModel): Promise<void> {
    const declared = (m: CompiledModel) =>
      new Set(
        [...m.classes.values()].flatMap((c) =>
          [...c.attributes.values()]
            .filter((a) => a.unique && c.attributeOwners.get(a.name) === c.name)
            .map((a) => `${c.name}.${a.name}`),
        ),
      );
    const was = declared(before);
    const now = declared(after);
    for (const key of now) {
      if (was.has(key)) continue;
      const [cls, attribute] = key.split('.');
      const rows = await tx.run(MODEL_QUERIES.valuesOf, {
        classes: after.expandClasses([cls]),
        attribute,
        retired: after.retiredState,
      });
      const claims = rows.map((r) => ({ key: `${key}=${JSON.stringify(r.value)}`, ciId: r.id }));
      await tx.run(MODEL_QUERIES.createClaims, { claims });
    }
    for (const key of was) if (!now.has(key)) await tx.run(MODEL_QUERIES.dropClaims, { prefix: `${key}=` });
  }

  /** Every way the new model would leave existing CIs or relationships invalid, with counts and examples. */
  async findBreakage(tx: Tx, before: CompiledModel, after: CompiledModel): Promise<Breakage[]> {
    const out: Breakage[] = [];
    const check = async (field: string, reason: string, cypher: string, params: Record<string, unknown>) => {
      const result = await this.repo.count(tx, cypher, params);
      if (result.count > 0) out.push({ field, reason, ...result });
    };
    const retired = after.retiredState;

    for (const old of before.classes.values()) {
      const now = after.getClass(old.name);
      const classes = [old.name];
      if (!now) {
        await check(`classes.${old.name}`, `class ${old.name} is removed but has CIs`, MODEL_QUERIES.countByClass, {
          classes,
        });
        continue;
      }
      if (sameClassShape(old, now)) continue;
      if (now.abstract && !old.abstract) {
        await check(
          `classes.${old.name}.abstract`,
          `class ${old.name} becomes abstract but has CIs`,
          MODEL_QUERIES.countByClass,
          { classes },
        );
      }
      if (
        JSON.stringify(old.identificationKeys) !== JSON.stringify(now.identificationKeys) ||
        old.identDeclaringClass !== now.identDeclaringClass
      ) {
        await check(
          `classes.${old.name}.identificationKeys`,
          `identification keys of ${old.name} change while it has CIs`,
          MODEL_QUERIES.countByClass,
          { classes },
        );
      }
      if (now.codePattern && now.codePattern.source !== old.codePattern?.source) {
        await check(
          `classes.${old.name}.codePattern`,
          `codes break the new naming rule of ${old.name}`,
          MODEL_QUERIES.codeNotMatching,
          { classes, retired, pattern: findAnywhere(now.codePattern.source) },
        );
      }
      for (const [name, was] of old.attributes) {
        const field = `classes.${old.name}.attributes.${name}`;
        const attr = now.attributes.get(name);
        if (!attr) {
          await check(field, `attribute ${name} is removed but CIs hold values`, MODEL_QUERIES.hasAttribute, {
            classes,
            retired,
            attribute: name,
          });
        } else if (attr.type !== was.type) {
          await check(field, `attribute ${name} changes type but CIs hold values`, MODEL_QUERIES.hasAttribute, {
            classes,
            retired,
            attribute: name,
          });
        }
      }
      for (const [name, attr] of now.attributes) {
        const was = old.attributes.get(name);
        const field = `classes.${old.name}.attributes.${name}`;
        const params = { classes, attribute: name, retired };
        if (attr.required && !was?.required) {
          await check(
            field,
            `attribute ${name} becomes required but CIs lack it`,
            MODEL_QUERIES.missingAttribute,
            params,
          );
        }
        if (!was || was.type !== attr.type) continue;
        if (attr.allowedValues && JSON.stringify(attr.allowedValues) !== JSON.stringify(was.allowedValues)) {
          await check(field, `values of ${name} fall outside the new allowed values`, MODEL_QUERIES.valueNotIn, {
            ...params,
            values: attr.allowedValues,
          });
        }
        if (attr.pattern && attr.pattern !== was.pattern) {
          await check(field, `values of ${name} break the new pattern`, MODEL_QUERIES.valueNotMatching, {
            ...params,
            pattern: findAnywhere(attr.pattern),
          });
        }
        if ((attr.min !== undefined && attr.min !== was.min) || (attr.max !== undefined && attr.max !== was.max)) {
          await check(field, `values of ${name} fall outside the new range`, MODEL_QUERIES.valueOutOfRange, {
            ...params,
            min: attr.min ?? null,
            max: attr.max ?? null,
          });
        }
        // Uniqueness spans the declaring class and its subclasses: checked once, at the declaring class.
        if (attr.unique && !was.unique && now.attributeOwners.get(name) === old.name) {
          await check(field, `values of ${name} are not unique`, MODEL_QUERIES.duplicateValues, {
            ...params,
            classes: after.expandClasses([old.name]),
          });
        }
      }
    }

    for (const old of before.relationTypes.values()) {
      const now = after.relationTypes.get(old.name);
      const q = relationQueries(relType(before, old.name));
      const field = `relationTypes.${old.name}`;
      if (!now) {
        await check(field, `relation type ${old.name} is removed but active relationships use it`, q.active, {});
        continue;
      }
      if (JSON.stringify([old.sources, old.targets]) !== JSON.stringify([now.sources, now.targets])) {
        await check(
          `${field}.sources`,
          `relationships of ${old.name} join classes the edit no longer allows`,
          q.endpointsOutside,
          {
            sources: after.expandClasses(now.sources),
            targets: after.expandClasses(now.targets),
          },
        );
      }
      const maxOneOut = (c: string) => c === 'MANY_TO_ONE' || c === 'ONE_TO_ONE';
      const maxOneIn = (c: string) => c === 'ONE_TO_MANY' || c === 'ONE_TO_ONE';
      if (maxOneOut(now.cardinality) && !maxOneOut(old.cardinality)) {
        await check(`${field}.cardinality`, `CIs have more than one ${old.name} target`, q.manyOut, {});
      }
      if (maxOneIn(now.cardinality) && !maxOneIn(old.cardinality)) {
        await check(`${field}.cardinality`, `CIs have more than one ${old.name} source`, q.manyIn, {});
      }
    }

    const removedStates = [...before.states].filter((s) => !after.states.has(s));
    if (removedStates.length) {
      await check(
        'lifecycle.states',
        `states ${removedStates.join(', ')} are removed but CIs are in them`,
        MODEL_QUERIES.inState,
        { states: removedStates },
      );
    }
    if (before.retiredState !== after.retiredState) {
      await check('lifecycle.retiredState', `the retired state changes while CIs are retired`, MODEL_QUERIES.inState, {
        states: [before.retiredState],
      });
    }
    if (JSON.stringify([...before.ownerClassSet].sort()) !== JSON.stringify([...after.ownerClassSet].sort())) {
      await check(
        'ownerClasses',
        'CIs are owned by CIs of classes that can no longer own',
        MODEL_QUERIES.ownersOutside,
        { ownerClasses: [...after.ownerClassSet] },
      );
    }
    return out;
  }
}

function sameClassShape(a: ResolvedClass, b: ResolvedClass): boolean {
  const shape = (c: ResolvedClass) =>
    JSON.stringify([
      c.abstract,
      c.codePattern?.source,
      c.identificationKeys,
      c.identDeclaringClass,
      [...c.attributes.entries()],
    ]);
  return shape(a) === shape(b);
}

/** One line per class, relation type or lifecycle part that differs; stored with the version. */
export function describeChanges(before: CompiledModel, after: CompiledModel): string[] {
  const changes: string[] = [];
  const diff = <T extends { name: string }>(kind: string, a: T[], b: T[]) => {
    const am = new Map(a.map((x) => [x.name, JSON.stringify(x)]));
    const bm = new Map(b.map((x) => [x.name, JSON.stringify(x)]));
    for (const [n, v] of bm) {
      if (!am.has(n)) changes.push(`added ${kind} ${n}`);
      else if (am.get(n) !== v) changes.push(`changed ${kind} ${n}`);
    }
    for (const n of am.keys()) if (!bm.has(n)) changes.push(`removed ${kind} ${n}`);
  };
  diff('class', before.data.classes, after.data.classes);
  diff('relation type', before.data.relationTypes, after.data.relationTypes);
  if (JSON.stringify(before.data.lifecycle) !== JSON.stringify(after.data.lifecycle)) changes.push('changed lifecycle');
  if (JSON.stringify(before.data.ownerClasses) !== JSON.stringify(after.data.ownerClasses))
    changes.push('changed owner classes');
  return changes;
}
