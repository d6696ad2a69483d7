// A stage-timed COPY of the product's bulk path (CIService.createBatch → TicketService.authorise → writeBatch →
// joinScope → OpLogService.record, as of the working tree of 2026-11 with change control), for `import.bench.ts --mode profile`. It exists to show where
// an import's time goes and to measure what-if variants; the product never runs it. When src/cis/ci.batch.ts
// or src/oplog changes, refresh this copy (a profile of stale code measures nothing).
//
// Without variants it issues the same queries, in the same order, in one write transaction, and does the
// same JavaScript work. Variants change one thing each, so their effect can be measured in isolation.

import { createHash, randomUUID } from 'node:crypto';
import type { Tx } from '../src/platform/neo4j/executor';
import type { Services } from '../src/services';
import type { WriteContext, OpLogEntry, OpRecord } from '../src/oplog/oplog.service';
import { entryDigest } from '../src/oplog/oplog.service';
import { MAIN_CHAIN, OPLOG_QUERIES } from '../src/oplog/oplog.repository';
import type { CompiledModel } from '../src/model/compiled-model';
import { relType } from '../src/model/model.repository';
import {
  BATCH_QUERIES,
  CI_QUERIES,
  nodeProps,
  relationTypeQueries,
  snapshotOf,
  toCIRecord,
  type CIRecord,
} from '../src/cis/ci.repository';
import {
  checkAttributes,
  checkCode,
  identKeyOf,
  missingForBaseline,
  type RelationCount,
} from '../src/cis/ci.validation';
import { concreteClass, publicState, uniqueClaims, type NewCI, type NewRelation } from '../src/cis/ci.batch';

export const VARIANTS = [
  /** Baseline check counts each new CI's relationships in one pass over the batch (Map by id), not CIs × relations. */
  'baseline-index',
  /** Group relationships by type with push, not by re-spreading the array for every relationship. */
  'bytype-push',
  /** One operation-log entry per CI (its relationships folded into `after`), none per relationship. */
  'oplog-per-ci',
  /** No operation log at all: the floor the log's cost is measured against. */
  'no-oplog',
  /** The log's CONCERNS edges found by elementId returned from createCIs, not by an index seek per id. */
  'concerns-by-element-id',
  /** Relationship creation by elementId of both ends instead of two index seeks per row. */
  'relations-by-element-id',
  /** Skip the per-type activePairs duplicate check against the store when both ends are new in this batch. */
  'skip-pairs-for-new',
  /**
   * One IMPORT entry per batch (counts and a SHA-256 of the batch's content; each CI's first state is its
   * CIVersion) with a CONCERNS edge to each new CI, instead of an entry per CI and per relationship.
   */
  'oplog-per-batch',
  /** New CIs join the ticket's scope with CREATE (they cannot be in it yet) instead of MERGE. */
  'scope-create',
] as const;
export type Variant = (typeof VARIANTS)[number];

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

const CREATE_CIS_RETURNING = `
    UNWIND $rows AS row
    CREATE (n:CI)
    SET n = row.props
    CREATE (:CIVersion {ciId: row.props.id, version: 1, validFrom: row.props.createdAt, validTo: null, state: row.snapshot})
    WITH n, row
    CALL (n, row) {
      UNWIND row.claims AS key
      CREATE (:UniqueClaim {key: key, ciId: n.id})
    }
    RETURN n.id AS id, elementId(n) AS eid`;

const BY_CODES_WITH_ELEMENT_ID = `UNWIND $codes AS code MATCH (n:CI {code: code}) RETURN n {.*} AS n, elementId(n) AS eid`;

const APPEND_BY_ELEMENT_ID = `
    UNWIND $entries AS e
    CREATE (o:OpLog)
    SET o = e.props
    WITH o, e
    UNWIND e.eids AS eid
    MATCH (c) WHERE elementId(c) = eid
    CREATE (o)-[:CONCERNS]->(c)`;

const relationsByElementId = (type: string) => `
    UNWIND $rows AS row
    MATCH (a) WHERE elementId(a) = row.sourceEid
    MATCH (b) WHERE elementId(b) = row.targetEid
    CREATE (a)-[r:${type} {id: row.id, since: $at, createdBy: $actor}]->(b)`;

const SCOPE_CREATE = `
    MATCH (t:Ticket {id: $id})
    UNWIND $ciIds AS ciId
    MATCH (c:CI {id: ciId})
    CREATE (t)-[:SCOPE {since: $at, addedBy: $actor}]->(c)`;

function fail(message: string): never {
  throw new Error(`profiled batch refused: ${message}`);
}

/** `prepare` of ci.batch.ts, with anyState (the import's options). */
function prepare(model: CompiledModel, input: NewCI, ctx: WriteContext) {
  const cls = concreteClass(model, input.class, 'class');
  const codeProblem = checkCode(cls, input.code);
  if (codeProblem) fail(codeProblem.message);
  const name = input.name.trim();
  const owner = input.owner.trim();
  if (!name || name.length > 256 || !owner || owner.length > 128) fail(`${input.code}: name or owner`);
  const lifecycle = input.lifecycle ?? model.data.lifecycle.initialStates[0];
  const allowed = [...model.states].filter((s) => s !== model.retiredState);
  if (!allowed.includes(lifecycle)) fail(`${input.code}: lifecycle ${lifecycle}`);
  const { attributes, problems } = checkAttributes(cls, input.attributes ?? {});
  if (problems.length) fail(`${input.code}: ${problems[0].message}`);
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

/** CIService.createBatch with every stage timed. Refusals throw plain errors: the estate is valid. */
export async function profiledCreateBatch(
  services: Services,
  ctx: WriteContext,
  batch: { cis: NewCI[]; relations: NewRelation[] },
  clock: StageClock,
  variants: Set<Variant>,
): Promise<void> {
  const has = (v: Variant) => variants.has(v);
  const t = <T>(stage: string, work: () => Promise<T> | T) => clock.time(stage, work);
  let workDone = 0;
  clock.countBatch();
  await t('total', async () => {
    await services.executor.write(async (tx: Tx) => {
      await t('db: lock + model', () => services.oplog.lock(tx, ctx.at));
      const model = await t('db: lock + model', () => services.model.inTransaction(tx));
      // Change control: a relationship between two stored CIs needs one of them in the ticket's scope.
      const ticket = await t('db: change control (authorise)', async () => {
        const newCodes = new Set(batch.cis.map((c) => c.code));
        const storedCodes = [
          ...new Set(batch.relations.flatMap((r) => [r.source, r.target]).filter((c) => !newCodes.has(c))),
        ];
        const ids = new Map(
          (await tx.run(CI_QUERIES.idsByCodes, { codes: storedCodes })).map((r) => [r.code as string, r.id as string]),
        );
        const groups = batch.relations
          .filter((r) => ids.has(r.source) && ids.has(r.target))
          .map((r) => [r.source, r.target].map((code) => ({ id: ids.get(code)!, code })));
        return services.tickets.authorise(tx, ctx, [], groups);
      });

      const prepared = await t('js: prepare (attributes, codes)', () =>
        batch.cis.map((input) => prepare(model, input, ctx)),
      );
      const byCode = new Map<string, number>();
      await t('js: in-batch duplicates', () => {
        const seenKeys = new Set<string>();
        prepared.forEach((p, i) => {
          if (byCode.has(p.ci.code)) fail(`code ${p.ci.code} twice`);
          byCode.set(p.ci.code, i);
          for (const key of [p.identKey, ...p.claims]) {
            if (!key) continue;
            if (seenKeys.has(key)) fail(`${key} twice`);
            seenKeys.add(key);
          }
        });
      });

      await t('db: identity checks (codes, keys, claims)', async () => {
        const codes = prepared.map((p) => p.ci.code);
        if ((await tx.run(BATCH_QUERIES.existingCodes, { codes })).length) fail('code exists');
        const identKeys = prepared.map((p) => p.identKey).filter((k): k is string => k !== null);
        if ((await tx.run(BATCH_QUERIES.identKeyHolders, { keys: identKeys })).length) fail('ident key exists');
        const claimKeys = prepared.flatMap((p) => p.claims);
        if ((await tx.run(BATCH_QUERIES.claimHolders, { keys: claimKeys })).length) fail('claim exists');
      });

      const referenced = new Set<string>([
        ...prepared.map((p) => p.ci.owner!),
        ...batch.relations.flatMap((r) => [r.source, r.target]),
      ]);
      const known = new Map<string, CIRecord>(prepared.map((p) => [p.ci.code, p.ci]));
      const outside = [...referenced].filter((c) => typeof c === 'string' && !known.has(c));
      const stored = new Map<string, CIRecord>();
      const eids = new Map<string, string>();
      await t('db: referenced CIs (byCodes)', async () => {
        const byElement = has('relations-by-element-id') || has('concerns-by-element-id');
        for (const row of await tx.run(byElement ? BY_CODES_WITH_ELEMENT_ID : BATCH_QUERIES.byCodes, {
          codes: outside,
        })) {
          const ci = toCIRecord(row.n as Record<string, unknown>);
          stored.set(ci.code, ci);
          if (byElement) eids.set(ci.id, row.eid as string);
        }
      });
      const lookup = (code: string) => known.get(code) ?? stored.get(code);

      await t('js: owners', () => {
        prepared.forEach(({ ci }) => {
          if (ci.owner === ci.code && model.ownerClassSet.has(ci.class)) return;
          const owner = lookup(ci.owner!);
          if (!owner || !model.ownerClassSet.has(owner.class) || owner.lifecycle === model.retiredState)
            fail(`owner ${ci.owner}`);
        });
      });

      const planned: { type: string; source: CIRecord; target: CIRecord; index: number }[] = [];
      await t('js: relation ends and types', () => {
        batch.relations.forEach((r, j) => {
          const type = model.relationTypes.get(r.type);
          if (!type) fail(`type ${r.type}`);
          const source = lookup(r.source);
          const target = lookup(r.target);
          if (!source || !target) fail(`no CI ${r.source} or ${r.target}`);
          if (source.code === target.code) fail('self');
          if (!model.relationAllows(type, source.class, target.class)) fail(`${r.type} ends`);
          if (source.lifecycle === model.retiredState || target.lifecycle === model.retiredState) fail('retired');
          planned.push({ type: r.type, source, target, index: j });
        });
      });

      const byType = new Map<string, typeof planned>();
      await t('js: group by type', () => {
        if (has('bytype-push')) {
          for (const p of planned) {
            const list = byType.get(p.type);
            if (list) list.push(p);
            else byType.set(p.type, [p]);
          }
        } else {
          for (const p of planned) byType.set(p.type, [...(byType.get(p.type) ?? []), p]);
        }
      });

      const counts = new Map<string, number>();
      const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
      for (const [typeName, rels] of byType) {
        const type = model.relationTypes.get(typeName)!;
        const q = relationTypeQueries(relType(model, typeName));
        const storedIds = (list: CIRecord[]) => [...new Set(list.filter((c) => stored.has(c.code)).map((c) => c.id))];
        const pairRels = has('skip-pairs-for-new')
          ? rels.filter((r) => stored.has(r.source.code) && stored.has(r.target.code))
          : rels;
        const pairs = pairRels.map((r) => ({ sourceId: r.source.id, targetId: r.target.id }));
        const existingPairs = await t('db: duplicate pairs (activePairs)', async () =>
          pairs.length
            ? new Set((await tx.run(q.activePairs, { pairs })).map((row) => `${row.sourceId}>${row.targetId}`))
            : new Set<string>(),
        );
        await t('js: duplicate pairs', () => {
          const seenPairs = new Set<string>();
          for (const r of rels) {
            const pair = `${r.source.id}>${r.target.id}`;
            if (existingPairs.has(pair) || seenPairs.has(pair)) fail(`${pair} exists`);
            seenPairs.add(pair);
          }
        });
        const oneOut = type.cardinality === 'MANY_TO_ONE' || type.cardinality === 'ONE_TO_ONE';
        const oneIn = type.cardinality === 'ONE_TO_MANY' || type.cardinality === 'ONE_TO_ONE';
        await t('db: cardinality counts', async () => {
          if (oneOut) {
            for (const row of await tx.run(q.outCounts, { ids: storedIds(rels.map((r) => r.source)) }))
              counts.set(`out|${typeName}|${row.id}`, row.count as number);
          }
          if (oneIn) {
            for (const row of await tx.run(q.inCounts, { ids: storedIds(rels.map((r) => r.target)) }))
              counts.set(`in|${typeName}|${row.id}`, row.count as number);
          }
        });
        await t('js: cardinality', () => {
          for (const r of rels) {
            if (oneOut) {
              bump(`out|${typeName}|${r.source.id}`);
              if (counts.get(`out|${typeName}|${r.source.id}`)! > 1) fail(`${r.source.code} has two ${typeName}`);
            }
            if (oneIn) {
              bump(`in|${typeName}|${r.target.id}`);
              if (counts.get(`in|${typeName}|${r.target.id}`)! > 1) fail(`${r.target.code} has two in ${typeName}`);
            }
          }
        });
      }

      await t('js: lifecycle baselines', () => {
        if (has('baseline-index')) {
          const have = new Map<string, RelationCount[]>();
          const add = (id: string, type: string, direction: 'OUT' | 'IN') => {
            let list = have.get(id);
            if (!list) have.set(id, (list = []));
            const c = list.find((x) => x.type === type && x.direction === direction);
            if (c) c.count += 1;
            else list.push({ type, direction, count: 1 });
          };
          for (const p of planned) {
            add(p.source.id, p.type, 'OUT');
            add(p.target.id, p.type, 'IN');
          }
          for (const { ci, cls } of prepared) {
            if (missingForBaseline(model, cls, ci.lifecycle, ci.attributes, have.get(ci.id) ?? []).length)
              fail(`${ci.code} baseline`);
          }
        } else {
          prepared.forEach(({ ci, cls }) => {
            const have: RelationCount[] = [];
            for (const p of planned) {
              const direction = p.source.id === ci.id ? 'OUT' : p.target.id === ci.id ? 'IN' : null;
              if (!direction) continue;
              const c = have.find((x) => x.type === p.type && x.direction === direction);
              if (c) c.count += 1;
              else have.push({ type: p.type, direction, count: 1 });
            }
            if (missingForBaseline(model, cls, ci.lifecycle, ci.attributes, have).length) fail(`${ci.code} baseline`);
          });
        }
      });

      const byElement = has('relations-by-element-id') || has('concerns-by-element-id');
      await t('db: create CIs + versions + claims', async () => {
        if (!prepared.length) return;
        const rows = prepared.map((p) => ({
          props: nodeProps(p.ci, p.identKey),
          snapshot: snapshotOf(p.ci),
          claims: p.claims,
        }));
        if (byElement) {
          for (const row of await tx.run(CREATE_CIS_RETURNING, { rows })) eids.set(row.id as string, row.eid as string);
        } else {
          await tx.run(BATCH_QUERIES.createCIs, { rows });
        }
      });

      const relations: { id: string; type: string; source: CIRecord; target: CIRecord }[] = [];
      for (const [typeName, rels] of byType) {
        const type = relType(model, typeName);
        const rows = await t('js: relation rows', () =>
          rels.map((r) => ({
            id: randomUUID(),
            sourceId: r.source.id,
            targetId: r.target.id,
            sourceEid: eids.get(r.source.id),
            targetEid: eids.get(r.target.id),
          })),
        );
        await t('db: create relationships', () =>
          has('relations-by-element-id')
            ? tx.run(relationsByElementId(type), { rows, at: ctx.at, actor: ctx.actor })
            : tx.run(relationTypeQueries(type).createMany, {
                rows: rows.map(({ id, sourceId, targetId }) => ({ id, sourceId, targetId })),
                at: ctx.at,
                actor: ctx.actor,
              }),
        );
        rels.forEach((r, k) => relations.push({ id: rows[k].id, type: typeName, source: r.source, target: r.target }));
      }

      await t('db: change control (joinScope)', async () => {
        await (has('scope-create')
          ? tx.run(SCOPE_CREATE, { id: ticket.id, ciIds: prepared.map((p) => p.ci.id), at: ctx.at, actor: ctx.actor })
          : services.tickets.joinScope(
              tx,
              ctx,
              ticket,
              prepared.map((p) => p.ci.id),
            ));
      });

      if (has('no-oplog')) {
        workDone = performance.now();
        return;
      }
      const records = await t('js: op records', (): OpRecord[] => {
        if (has('oplog-per-batch')) {
          const digest = createHash('sha256');
          for (const p of prepared) digest.update(snapshotOf(p.ci)).update('\n');
          for (const r of relations) digest.update(`${r.type}|${r.source.code}|${r.target.code}|${r.id}\n`);
          return [
            {
              action: 'IMPORT',
              targetType: 'CI',
              targetId: randomUUID(),
              ciIds: prepared.map((p) => p.ci.id),
              before: null,
              after: { cis: prepared.length, relations: relations.length, sha256: digest.digest('hex') },
            },
          ];
        }
        if (has('oplog-per-ci')) {
          const outgoing = new Map<string, { type: string; target: string }[]>();
          const incoming: typeof relations = [];
          for (const r of relations) {
            if (known.has(r.source.code)) {
              const list = outgoing.get(r.source.id) ?? [];
              list.push({ type: r.type, target: r.target.code });
              outgoing.set(r.source.id, list);
            } else incoming.push(r);
          }
          return [
            ...prepared.map(({ ci }): OpRecord => ({
              action: 'CI_CREATE',
              targetType: 'CI',
              targetId: ci.id,
              ciIds: [ci.id],
              before: null,
              after: { ...publicState(ci), relations: outgoing.get(ci.id) ?? [] },
            })),
            // Relationships between two stored CIs still get their own entries.
            ...incoming.map((r): OpRecord => ({
              action: 'RELATION_CREATE',
              targetType: 'RELATION',
              targetId: r.id,
              ciIds: [r.source.id, r.target.id],
              before: null,
              after: { type: r.type, source: r.source.code, target: r.target.code },
            })),
          ];
        }
        return [
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
      });

      // OpLogService.record: lock and read the head, chain the entries, append, move the head.
      const head0 = await t('db: lock + model', async () => {
        await tx.run(OPLOG_QUERIES.lockHead, { key: MAIN_CHAIN.key, at: ctx.at });
        const [row] = await tx.run(OPLOG_QUERIES.readHead, { key: MAIN_CHAIN.key });
        return { seq: row.seq as number, hash: row.hash as string };
      });
      let head = head0;
      const entries = await t('js: oplog entries (JSON + SHA-256)', () =>
        records.map((r) => {
          const base: Omit<OpLogEntry, 'hash'> = {
            seq: head.seq + 1,
            at: ctx.at,
            actor: ctx.actor,
            action: r.action,
            targetType: r.targetType,
            targetId: r.targetId,
            ticket: ctx.ticket ?? null,
            source: ctx.source,
            before: r.before === undefined || r.before === null ? null : JSON.stringify(r.before),
            after: r.after === undefined || r.after === null ? null : JSON.stringify(r.after),
            prevHash: head.hash,
          };
          const hash = entryDigest(base);
          head = { seq: base.seq, hash };
          return { props: { ...base, hash }, ciIds: r.ciIds, eids: r.ciIds.map((id) => eids.get(id)) };
        }),
      );
      await t('db: oplog append (entries + CONCERNS)', () =>
        has('concerns-by-element-id')
          ? tx.run(APPEND_BY_ELEMENT_ID, { entries: entries.map(({ props, eids: e }) => ({ props, eids: e })) })
          : tx.run(OPLOG_QUERIES.append, { entries: entries.map(({ props, ciIds }) => ({ props, ciIds })) }),
      );
      await t('db: lock + model', () => tx.run(OPLOG_QUERIES.moveHead, { key: MAIN_CHAIN.key, ...head }));
      workDone = performance.now();
    });
    // Commit: from the end of the transaction function to executeWrite resolving.
    clock.add('db: commit', performance.now() - workDone);
  });
}

const RAW_CREATE_CIS = `
    UNWIND $rows AS row
    CREATE (n:CI)
    SET n = row`;

const rawCreateRelations = (type: string) => `
    UNWIND $rows AS row
    MATCH (a:CI {code: row.source}), (b:CI {code: row.target})
    CREATE (a)-[:${type} {id: row.id, since: $at, createdBy: $actor}]->(b)`;

/**
 * The floor (`--mode raw`): the same CIs and relationships written with no validation, no versions,
 * claims, ticket scope or operation log — what this data shape costs Neo4j on this machine at best.
 */
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
      const rows = batch.cis.map((c) => ({
        ...(c.attributes ?? {}),
        id: randomUUID(),
        code: c.code,
        name: c.name,
        class: c.class,
        lifecycle: c.lifecycle ?? 'PLANNED',
        owner: c.owner,
        version: 1,
        createdAt: ctx.at,
        updatedAt: ctx.at,
      }));
      await t('db: create CIs', () => tx.run(RAW_CREATE_CIS, { rows }));
      const byType = new Map<string, { id: string; source: string; target: string }[]>();
      for (const r of batch.relations) {
        const list = byType.get(r.type);
        const row = { id: randomUUID(), source: r.source, target: r.target };
        if (list) list.push(row);
        else byType.set(r.type, [row]);
      }
      for (const [type, list] of byType) {
        if (!/^[A-Z][A-Z0-9_]*$/.test(type)) fail(`relation type ${type}`);
        await t('db: create relationships', () =>
          tx.run(rawCreateRelations(type), { rows: list, at: ctx.at, actor: ctx.actor }),
        );
      }
      workDone = performance.now();
    });
    clock.add('db: commit', performance.now() - workDone);
  });
}
