// The initial load (§7.1.4.2.2 配置初始化) of an estate into a new, empty store, at the speed of
// Neo4j's offline importer instead of transactions. Every batch passes the same checks as the
// transactional bulk path (`planBatch`), against the CIs accepted before it instead of Neo4j; the
// graph it leaves is the one that path would have written: CIs with their CIVersion v1 and unique
// claims, relationships with id, since and createdBy, an INITIALIZATION ticket whose scope holds
// every CI, and an operation log (TICKET_OPEN, then a BATCH_CREATE entry per batch) hash-chained
// from the first entry. All or nothing: a rejected row stops the load before the store is touched.
//
// Steps: check every batch and write it as CSV files into a work folder; `neo4j-admin database
// import full` into the embedded store, which must never have held a database; the caller then
// starts Neo4j as usual, and the migrations build the indexes.

import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CompiledModel, ResolvedClass } from '../model/compiled-model';
import type { AttributeDef } from '../model/model.types';
import { relType } from '../model/model.repository';
import {
  batchRecords,
  planBatch,
  type BatchOptions,
  type BatchPlan,
  type BatchResult,
  type StoredCI,
  type Holder,
  type IdPair,
  type NewCI,
  type NewRelation,
  type StoreView,
  type StoredRefs,
} from '../cis/ci.batch';
import { nodeProps, snapshotOf } from '../cis/ci.repository';
import { chainEntries, type OpRecord, type WriteContext } from '../oplog/oplog.service';
import type { ChainLink } from '../oplog/oplog.chain';
import { ticketProps } from '../tickets/ticket.repository';
import { newTicket, ticketOpenRecord, ticketStateRecord } from '../tickets/ticket.service';
import { ConflictError, ValidationError } from '../platform/errors';
import { runNeo4jAdmin } from '../platform/neo4j/embedded';

/** The database an embedded store opens, under its home (`EMBEDDED_NEO4J_DATA_DIR`). */
const DATABASE = 'neo4j';

export interface InitialLoadOptions {
  /** The INITIALIZATION ticket the load opens and cites: its ITSM reference and title. */
  ticket: { ref: string; title: string };
  actor: string;
  /** Check everything and write nothing. */
  dryRun: boolean;
  /** The embedded store's folder; it must not hold a database yet. */
  dataDir: string;
  projectRoot?: string;
  /** JVM heap of the importer (default '1g'). */
  heap?: string;
  /** Keep the CSV files (under `<dataDir>/initial-load-…`) after the import. */
  keepFiles?: boolean;
  log?: (msg: string) => void;
}

export interface InitialLoadResult {
  dryRun: boolean;
  ticket: string;
  cis: number;
  relations: number;
  batches: number;
  /** Operation-log entries written: the ticket's opening and one per batch. */
  oplogEntries: number;
  /** Seconds spent checking the batches and writing the files, and in Neo4j's importer. */
  seconds: { check: number; import: number };
}

/** A batch of the load: its CIs and the relationships among them and the CIs of earlier batches. */
export interface LoadBatch {
  cis: NewCI[];
  relations: NewRelation[];
  /** Where each relationship stands in the file, when the batches regroup them; else counted on. */
  relationRows?: number[];
}

/**
 * A file's CIs in batches of about `size`, in file order, each with the relationships whose later end
 * (in file order) it holds, so every relationship is checked when both its ends exist. A batch reaches
 * past `size` where a CI names a later row as its owner, or needs a relationship to a later row for the
 * baseline of its state: then both are checked in one batch. Relationships naming a code the file
 * lacks go with the last batch, to be refused there.
 */
export function fileBatches(
  model: CompiledModel,
  data: { cis: NewCI[]; relations: NewRelation[] },
  size: number,
): Iterable<LoadBatch> {
  const n = data.cis.length;
  const rowOf = new Map(data.cis.map((c, i) => [c.code, i]));
  // What each row's state needs (`TYPE|OUT`, `TYPE|IN`), and reach[i]: the last row it must be checked with.
  const none = new Set<string>();
  const needs = data.cis.map((c) => {
    const state = c.lifecycle ?? model.data.lifecycle.initialStates[0];
    const required = model.getClass(c.class)?.baselines.get(state)?.requiredRelations ?? [];
    return required.length ? new Set(required.map((r) => `${r.type}|${r.direction}`)) : none;
  });
  const reach = Int32Array.from({ length: n }, (_, i) => i);
  const reachTo = (from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined && to > reach[from]) reach[from] = to;
  };
  data.cis.forEach((c, i) => reachTo(i, rowOf.get(c.owner)));
  for (const r of data.relations) {
    const [a, b] = [rowOf.get(r.source), rowOf.get(r.target)];
    if (a !== undefined && needs[a].has(`${r.type}|OUT`)) reachTo(a, b);
    if (b !== undefined && needs[b].has(`${r.type}|IN`)) reachTo(b, a);
  }
  const ends: number[] = [];
  for (let start = 0; start < n;) {
    let end = Math.min(n, start + size) - 1;
    for (let i = start; i <= end; i++) end = Math.max(end, reach[i]);
    ends.push(end);
    start = end + 1;
  }
  if (!ends.length) ends.push(-1);
  const batchOfRow = new Int32Array(n);
  const batches: (LoadBatch | null)[] = ends.map((end, k) => {
    const start = k === 0 ? 0 : ends[k - 1] + 1;
    batchOfRow.fill(k, start, end + 1);
    return { cis: data.cis.slice(start, end + 1), relations: [], relationRows: [] };
  });
  data.relations.forEach((r, j) => {
    const [a, b] = [rowOf.get(r.source), rowOf.get(r.target)];
    const batch = batches[a === undefined || b === undefined ? ends.length - 1 : batchOfRow[Math.max(a, b)]]!;
    batch.relations.push(r);
    batch.relationRows!.push(j);
  });
  return handOut(batches);
}

/**
 * The batches one by one, each let go of once handed out: with the rows held nowhere else (the
 * caller drops `data`), a large file is not kept in memory while the load builds its own state.
 * A function of its own so that its generator holds `batches` alone, not `fileBatches`' scope.
 */
function* handOut(batches: (LoadBatch | null)[]): Generator<LoadBatch> {
  for (let k = 0; k < batches.length; k++) {
    const batch = batches[k]!;
    batches[k] = null;
    yield batch;
  }
}

/** Whether the embedded store at `dataDir` already holds a database (it has been started or loaded before). */
export function storeHasDatabase(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'data', 'databases', DATABASE));
}

/**
 * Loads `batches` (in order: a batch may refer to the CIs of earlier ones) into the empty embedded
 * store at `options.dataDir`. Throws the first problem, naming its row as the file numbers it
 * (`cis[1234].owner`, counted across batches), before anything reaches the store.
 */
export async function initialLoad(
  model: CompiledModel,
  batches: Iterable<LoadBatch> | AsyncIterable<LoadBatch>,
  options: InitialLoadOptions,
): Promise<InitialLoadResult> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const workDir = path.join(options.dataDir, `initial-load-${started}`);
  const lock = takeLock(options.dataDir);
  try {
    if (storeHasDatabase(options.dataDir)) {
      throw new ConflictError(
        `the store at ${options.dataDir} already holds a database: the initial load fills only a new store (point EMBEDDED_NEO4J_DATA_DIR at an empty folder)`,
        { field: 'dataDir' },
      );
    }
    // A dry run formats every row as the real run does, and writes none.
    const files = new LoadFiles(options.dryRun ? null : workDir, model);
    const ticketCtx: WriteContext = {
      actor: options.actor,
      at: started,
      source: 'initial-load',
      ticket: options.ticket.ref,
    };
    const ticket = newTicket(ticketCtx, { kind: 'INITIALIZATION', ...options.ticket });
    let head: ChainLink = { seq: 0, hash: '' };
    head = files.oplog(head, ticketCtx, [ticketOpenRecord(ticket, [], [])]);

    const checker = new LoadChecker(model);
    for await (const batch of batches) {
      const ctx: WriteContext = { actor: options.actor, at: Date.now(), source: 'initial-load', ticket: ticket.ref };
      const { plan, result } = await checker.check(batch, ctx);
      for (const p of plan.prepared)
        files.ci(p.cls, nodeProps(p.ci, p.identKey), snapshotOf(p.ci), p.claims, ticket.id, ctx);
      for (const r of result.relations) files.relation(r.type, r.id, r.source.id, r.target.id, ctx);
      head = files.oplog(head, ctx, batchRecords(result, plan.stored.byCode, null, 'batch'));
    }
    const { cis, relations, batches: batchCount } = checker.counts;
    // The initialisation ends with its load (§7.1.4.2.1 a): closed, it authorises no later write.
    const closing: WriteContext = { ...ticketCtx, at: Date.now() };
    head = files.oplog(head, closing, [ticketStateRecord(ticket, 'CLOSED')]);
    files.ticket(ticketProps({ ...ticket, state: 'CLOSED', updatedAt: closing.at }));
    files.head(head);
    const checked = Date.now();
    log(`initial load: ${cis} CIs and ${relations} relationships checked and written out in ${checked - started} ms`);
    files.close();
    if (!options.dryRun) {
      // Again, right before the import: the cleanup below may remove only what the importer made.
      if (storeHasDatabase(options.dataDir)) {
        throw new ConflictError(`a database appeared in ${options.dataDir} during the load: nothing was imported`, {
          field: 'dataDir',
        });
      }
      try {
        await runNeo4jAdmin({
          dataDir: options.dataDir,
          projectRoot: options.projectRoot,
          heap: options.heap,
          log,
          args: ['database', 'import', 'full', ...files.importArgs(), DATABASE],
        });
      } catch (e) {
        // The database did not exist before (checked under the lock, which keeps other loads and the
        // service out: see assertNoInitialLoad): what is there now, the importer left.
        for (const dir of ['databases', 'transactions']) {
          fs.rmSync(path.join(options.dataDir, 'data', dir, DATABASE), { recursive: true, force: true });
        }
        throw e;
      }
      log(`initial load: imported in ${Date.now() - checked} ms`);
    }
    return {
      dryRun: options.dryRun,
      ticket: ticket.ref,
      cis,
      relations,
      batches: batchCount,
      oplogEntries: head.seq,
      seconds: { check: (checked - started) / 1000, import: (Date.now() - checked) / 1000 },
    };
  } finally {
    if (!options.keepFiles) fs.rmSync(workDir, { recursive: true, force: true });
    fs.rmSync(lock, { force: true });
  }
}

const LOCK_FILE = 'initial-load.lock';

/** One initial load per store at a time: a lock file, created only if absent. Returns its path. */
function takeLock(dataDir: string): string {
  fs.mkdirSync(dataDir, { recursive: true });
  const lock = path.join(dataDir, LOCK_FILE);
  try {
    fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    throw new ConflictError(
      `another initial load holds ${lock}; if none is running (it was killed), remove the file and try again`,
      { field: 'dataDir' },
    );
  }
  return lock;
}

/** Refuses to open a store an initial load is filling: the service starts only on a finished load. */
export function assertNoInitialLoad(dataDir: string): void {
  const lock = path.join(dataDir, LOCK_FILE);
  if (fs.existsSync(lock)) {
    throw new Error(
      `an initial load is filling the store at ${dataDir}; start the service when it has finished (if it was killed, remove ${lock} and the store folder, and load again)`,
    );
  }
}

/**
 * Checks batches one after another as the transactional bulk path would write them one transaction
 * after another: each against the model and the batches accepted before it (`MemoryStoreView`).
 * Rows are named as the file numbers them, counted across batches. Throws the first problem; a
 * refused batch is not accepted.
 */
export class LoadChecker {
  private readonly view: MemoryStoreView;
  readonly counts = { cis: 0, relations: 0, batches: 0 };

  constructor(private readonly model: CompiledModel) {
    this.view = new MemoryStoreView(model);
  }

  async check(
    batch: LoadBatch,
    ctx: WriteContext,
  ): Promise<{ plan: BatchPlan<StoredCI>; result: BatchResult<StoredCI> }> {
    const { cis, relations } = this.counts;
    const options: BatchOptions = {
      fields: {
        ci: (i, f) => `cis[${cis + i}].${f}`,
        relation: (j, f) => `relations[${batch.relationRows?.[j] ?? relations + j}].${f}`,
      },
      anyState: true,
      log: 'batch',
    };
    const plan = await planBatch(this.view, this.model, ctx, batch, options);
    const result = {
      cis: plan.prepared.map((p) => p.ci),
      relations: [...plan.byType.values()].flat().map((r) => ({ ...r, id: randomUUID() })),
    };
    this.view.accept(
      plan.prepared.map((p) => ({ ref: p.ci, identKey: p.identKey, claims: p.claims })),
      result.relations,
    );
    this.counts.cis += batch.cis.length;
    this.counts.relations += batch.relations.length;
    this.counts.batches++;
    return { plan, result };
  }
}

/**
 * The store as an initial load has built it so far: the CIs of the batches accepted before this one,
 * their identification keys and unique claims, which pairs are related and, for the relationship
 * types that allow one per end, how many each CI has. About 300 bytes a CI and 10 a relationship.
 */
export class MemoryStoreView implements StoreView<StoredCI> {
  private readonly byCode = new Map<string, StoredCI>();
  /** A number per CI, for the compact pair keys below. */
  private readonly ordinals = new Map<string, number>();
  private readonly identKeys = new Map<string, string>();
  private readonly claims = new Map<string, string>();
  /** Per type, `source ordinal × 2^26 + target ordinal` of every relationship. */
  private readonly pairs = new Map<string, Set<number>>();
  /** `out|TYPE` and `in|TYPE`: how many relationships each CI (by ordinal) has, for the types whose cardinality limits an end. */
  private readonly endCounts = new Map<string, Map<number, number>>();

  constructor(private readonly model: CompiledModel) {}

  existingCode(codes: string[]) {
    return Promise.resolve(codes.find((c) => this.byCode.has(c)) ?? null);
  }

  identKeyHolder(keys: string[]) {
    return Promise.resolve(this.holder(this.identKeys, keys));
  }

  claimHolder(keys: string[]) {
    return Promise.resolve(this.holder(this.claims, keys));
  }

  refs(codes: string[]) {
    const refs: StoredRefs<StoredCI> = { byCode: new Map(), eids: new Map() };
    for (const code of codes) {
      const ci = this.byCode.get(code);
      if (ci) refs.byCode.set(code, ci);
    }
    return Promise.resolve(refs);
  }

  activePairs(type: string, pairs: IdPair[]) {
    const set = this.pairs.get(type);
    return Promise.resolve(
      new Set(
        set
          ? pairs.filter((p) => set.has(this.pairKey(p.sourceId, p.targetId))).map((p) => `${p.sourceId}>${p.targetId}`)
          : [],
      ),
    );
  }

  counts(type: string, direction: 'out' | 'in', ids: string[]) {
    const counts = this.endCounts.get(`${direction}|${type}`);
    return Promise.resolve(new Map(ids.map((id) => [id, counts?.get(this.ordinals.get(id)!) ?? 0])));
  }

  /** Records a batch that passed its checks. */
  accept(
    cis: { ref: StoredCI; identKey: string | null; claims: string[] }[],
    relations: { type: string; source: StoredCI; target: StoredCI }[],
  ): void {
    for (const { ref, identKey, claims } of cis) {
      if (this.ordinals.size >= 2 ** 26) throw new ValidationError('an initial load holds at most 67,108,864 CIs');
      this.byCode.set(ref.code, { id: ref.id, code: ref.code, class: ref.class, lifecycle: ref.lifecycle });
      this.ordinals.set(ref.id, this.ordinals.size);
      if (identKey) this.identKeys.set(identKey, ref.code);
      for (const claim of claims) this.claims.set(claim, ref.code);
    }
    const bump = (key: string, ordinal: number) => {
      let counts = this.endCounts.get(key);
      if (!counts) this.endCounts.set(key, (counts = new Map()));
      counts.set(ordinal, (counts.get(ordinal) ?? 0) + 1);
    };
    for (const r of relations) {
      let set = this.pairs.get(r.type);
      if (!set) this.pairs.set(r.type, (set = new Set()));
      const source = this.ordinals.get(r.source.id)!;
      const target = this.ordinals.get(r.target.id)!;
      set.add(source * 2 ** 26 + target);
      if (this.model.relationTypes.get(r.type)!.cardinality !== 'MANY_TO_MANY') {
        bump(`out|${r.type}`, source);
        bump(`in|${r.type}`, target);
      }
    }
  }

  private holder(map: Map<string, string>, keys: string[]): Holder | null {
    const key = keys.find((k) => map.has(k));
    return key === undefined ? null : { key, code: map.get(key)! };
  }

  private pairKey(sourceId: string, targetId: string): number {
    return this.ordinals.get(sourceId)! * 2 ** 26 + this.ordinals.get(targetId)!;
  }
}

// ---- The files neo4j-admin imports ----

/** A CSV column: its property name (empty for an importer-only column such as `:ID(CI)`) and Neo4j type. */
type Column = { name: string; header: string };

const column = (name: string, type: 'string' | 'double' | 'boolean' = 'string'): Column => ({
  name,
  header: type === 'string' ? name : `${name}:${type}`,
});

/**
 * The CI properties `nodeProps` writes besides the attributes, typed as the driver stores the values
 * it is given: JavaScript numbers become floats. A property a row has and no column names stops the
 * load (the columns must follow nodeProps).
 */
const CI_FIXED_COLUMNS: Column[] = [
  { name: 'id', header: 'id:ID(CI)' },
  column('code'),
  column('name'),
  column('class'),
  column('lifecycle'),
  column('owner'),
  column('version', 'double'),
  column('createdAt', 'double'),
  column('updatedAt', 'double'),
  column('retiredAt', 'double'),
  column('stale', 'boolean'),
  column('identKey'),
];

function attributeColumn(def: AttributeDef): Column {
  return column(
    def.name,
    def.type === 'INTEGER' || def.type === 'FLOAT' ? 'double' : def.type === 'BOOLEAN' ? 'boolean' : 'string',
  );
}

/** The columns of a few rows of plain values (the ticket, the log's head): typed by their first value. */
function columnsOf(rows: Record<string, unknown>[]): Column[] {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return names.map((name) => {
    const value = rows.map((r) => r[name]).find((v) => v !== null && v !== undefined);
    return column(name, typeof value === 'number' ? 'double' : typeof value === 'boolean' ? 'boolean' : 'string');
  });
}

/** A CSV file for neo4j-admin, written in large chunks. Strings are always quoted, so "" is an empty string and an empty cell no property. */
class CsvFile {
  private readonly fd: number | null;
  private buffer: string[] = [];
  private size = 0;
  /** A value held a line break: the importer must then read quoted fields across lines. */
  multiline = false;
  /** The longest line: the importer's read buffer must hold it. */
  longest = 0;

  /** `file`: null formats the rows and writes nothing (a dry run). */
  constructor(
    readonly file: string | null,
    header: string[],
  ) {
    this.fd = file === null ? null : fs.openSync(file, 'w');
    this.line(header.join(','));
  }

  row(cells: unknown[]): void {
    this.line(cells.map((v) => this.cell(v)).join(','));
  }

  close(): void {
    this.flush();
    if (this.fd !== null) fs.closeSync(this.fd);
  }

  private cell(value: unknown): string {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') {
      if (!this.multiline && (value.includes('\n') || value.includes('\r'))) this.multiline = true;
      return value.includes('"') ? `"${value.replace(/"/g, '""')}"` : `"${value}"`;
    }
    return String(value);
  }

  private line(text: string): void {
    this.buffer.push(text, '\n');
    this.size += text.length + 1;
    if (text.length > this.longest) this.longest = text.length;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.fd !== null && this.buffer.length) fs.writeFileSync(this.fd, this.buffer.join('')); // all of it, unlike writeSync;
    this.buffer = [];
    this.size = 0;
  }
}

/** The node and relationship files of one load, and the importer's arguments for them. */
class LoadFiles {
  private readonly ciFiles = new Map<string, { file: CsvFile; columns: Column[]; named: Set<string> }>();
  private readonly relationTypes = new Set<string>();
  private readonly versions: CsvFile;
  private readonly claims: CsvFile;
  private readonly relations: CsvFile;
  private readonly scope: CsvFile;
  private readonly concerns: CsvFile;
  private readonly entries: CsvFile;
  private readonly small: { label: string; file: CsvFile }[] = [];

  /** `dir`: where the files go; null for a dry run, which writes none. */
  constructor(
    private readonly dir: string | null,
    private readonly model: CompiledModel,
  ) {
    if (dir) fs.mkdirSync(dir, { recursive: true });
    const f = (name: string, header: string[]) => new CsvFile(this.path(name), header);
    // `version: 1` is a literal in createCIs' Cypher, so an integer there; the other numbers come from JavaScript.
    this.versions = f('ci-versions.csv', ['ciId', 'version:long', 'validFrom:double', 'state']);
    this.claims = f('unique-claims.csv', ['key', 'ciId']);
    this.relations = f('relations.csv', [':START_ID(CI)', ':END_ID(CI)', ':TYPE', 'id', 'since:double', 'createdBy']);
    this.scope = f('ticket-scope.csv', [':START_ID(Ticket)', ':END_ID(CI)', ':TYPE', 'since:double', 'addedBy']);
    this.concerns = f('oplog-concerns.csv', [':START_ID(OpLog)', ':END_ID(CI)', ':TYPE']);
    this.entries = f('oplog.csv', [
      ':ID(OpLog)',
      ...['seq', 'at'].map((n) => column(n, 'double').header),
      ...['actor', 'action', 'targetType', 'targetId', 'ticket', 'source', 'before', 'after', 'prevHash', 'hash'],
    ]);
  }

  /** A created CI as `writeBatch` writes it: the node, its CIVersion v1, its unique claims, its place in the ticket's scope. */
  ci(
    cls: ResolvedClass,
    props: Record<string, unknown>,
    snapshot: string,
    claims: string[],
    ticketId: string,
    ctx: WriteContext,
  ): void {
    let entry = this.ciFiles.get(cls.name);
    if (!entry) {
      const columns = [...CI_FIXED_COLUMNS, ...[...cls.attributes.values()].map(attributeColumn)];
      entry = {
        file: new CsvFile(
          this.path(`ci-${cls.name}.csv`),
          columns.map((c) => c.header),
        ),
        columns,
        named: new Set(columns.map((c) => c.name)),
      };
      this.ciFiles.set(cls.name, entry);
    }
    const unnamed = Object.keys(props).find((k) => !entry.named.has(k));
    if (unnamed)
      throw new Error(`initial load: CI property ${unnamed} has no column (CI_FIXED_COLUMNS must follow nodeProps)`);
    entry.file.row(entry.columns.map((c) => props[c.name]));
    this.versions.row([props.id, 1, props.createdAt, snapshot]);
    for (const key of claims) this.claims.row([key, props.id]);
    this.scope.row([ticketId, props.id, 'SCOPE', ctx.at, ctx.actor]);
  }

  relation(type: string, id: string, sourceId: string, targetId: string, ctx: WriteContext): void {
    if (!this.relationTypes.has(type)) {
      relType(this.model, type); // the guard the transactional path's Cypher has
      this.relationTypes.add(type);
    }
    this.relations.row([sourceId, targetId, type, id, ctx.at, ctx.actor]);
  }

  /** Appends records to the chain after `head`; returns the new head. */
  oplog(head: ChainLink, ctx: WriteContext, records: OpRecord[]): ChainLink {
    const chained = chainEntries(head, ctx, records);
    for (const { entry, record } of chained.entries) {
      this.entries.row([
        entry.seq,
        entry.seq,
        entry.at,
        entry.actor,
        entry.action,
        entry.targetType,
        entry.targetId,
        entry.ticket,
        entry.source,
        entry.before,
        entry.after,
        entry.prevHash,
        entry.hash,
      ]);
      for (const ciId of record.ciIds) this.concerns.row([entry.seq, ciId, 'CONCERNS']);
    }
    return chained.head;
  }

  ticket(props: Record<string, unknown>): void {
    this.smallFile('Ticket', [props], ':ID(Ticket)', props.id);
  }

  /** The log's head: where the chain ends, with no purge yet (anchor 0, ''). */
  head(head: ChainLink): void {
    this.smallFile('OpLogHead', [{ key: 'head', seq: head.seq, hash: head.hash, anchorSeq: 0, anchorHash: '' }]);
  }

  close(): void {
    for (const { file } of this.ciFiles.values()) file.close();
    for (const file of [this.versions, this.claims, this.relations, this.scope, this.concerns, this.entries])
      file.close();
  }

  importArgs(): string[] {
    if (!this.dir) throw new Error('initial load: a dry run has no files to import');
    const inputs: [string, CsvFile][] = [
      ...[...this.ciFiles.values()].map((e): [string, CsvFile] => ['--nodes=CI', e.file]),
      ['--nodes=CIVersion', this.versions],
      ['--nodes=UniqueClaim', this.claims],
      ['--nodes=OpLog', this.entries],
      ...this.small.map((s): [string, CsvFile] => [`--nodes=${s.label}`, s.file]),
      ['--relationships', this.relations],
      ['--relationships', this.scope],
      ['--relationships', this.concerns],
    ];
    const files = inputs.map(([, file]) => file);
    return [
      ...inputs.map(([option, file]) => `${option}=${file.file}`),
      `--multiline-fields=${files.some((f) => f.multiline)}`,
      // A BATCH_CREATE entry lists every id of its batch: large batches make lines beyond the default 4 MiB.
      `--read-buffer-size=${Math.max(4 << 20, 4 * Math.max(...files.map((f) => f.longest)) + (1 << 20))}`,
      '--bad-tolerance=0',
      '--high-parallel-io=on',
      `--report-file=${this.path('import.report')}`,
    ];
  }

  private path(name: string): string | null {
    return this.dir ? path.join(this.dir, name) : null;
  }

  private smallFile(label: string, rows: Record<string, unknown>[], idHeader?: string, id?: unknown): void {
    const columns = columnsOf(rows);
    const file = new CsvFile(this.path(`${label}.csv`), [
      ...(idHeader ? [idHeader] : []),
      ...columns.map((c) => c.header),
    ]);
    for (const row of rows) file.row([...(idHeader ? [id] : []), ...columns.map((c) => row[c.name])]);
    file.close();
    this.small.push({ label, file });
  }
}
