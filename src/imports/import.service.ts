// Initialisation and bulk import (§7.1.4.2.2): rows of CIs and relationships, matched to stored
// CIs by identification keys, reported row by row as CREATE / UPDATE / UNCHANGED / REJECTED.
// Each batch is one transaction: a batch with a rejected row writes nothing. A dry run is the real
// run, rolled back, so it reports exactly what the real run would do.

import { DomainError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import type { OpLogService, OpRecord, WriteContext } from '../oplog/oplog.service';
import { combineWrites, STRUCTURAL_WRITE, type TicketService, type WriteWhat } from '../tickets/ticket.service';
import { updateWrite, type CIService } from '../cis/ci.service';
import { BATCH_FIELDS, concreteClass, prepare, writeBatch, type NewCI, type NewRelation } from '../cis/ci.batch';
import { toCIRecord, type CIRecord } from '../cis/ci.repository';
import { relType } from '../model/model.repository';

export type RowAction = 'CREATE' | 'UPDATE' | 'UNCHANGED' | 'REJECTED';

export interface RowReport {
  /** Index in the CI rows or the relation rows, from 0. */
  row: number;
  kind: 'CI' | 'RELATION';
  /** The CI's code, or `SOURCE TYPE TARGET` for a relationship. */
  key: string;
  action: RowAction;
  /** Why a row is rejected, or that its batch was not written because of another row. */
  reason: string | null;
  field: string | null;
  batch: number;
  written: boolean;
}

export interface ImportReport {
  dryRun: boolean;
  rows: RowReport[];
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  batches: number;
  batchesWritten: number;
}

export interface ImportInput {
  cis: NewCI[];
  relations: NewRelation[];
}

const QUERIES = {
  byIdentKeys: `UNWIND $keys AS key MATCH (n:CI {identKey: key}) RETURN key, n {.*} AS n`,
  byCodes: `UNWIND $codes AS code MATCH (n:CI {code: code}) RETURN code, n {.*} AS n`,
} as const;

/** Thrown inside a batch's transaction to roll it back (a dry run, or a rejected row). */
class Rollback extends Error {}

export class ImportService {
  constructor(
    private readonly executor: Executor,
    private readonly cis: CIService,
    private readonly tickets: TicketService,
    private readonly oplog: OpLogService,
  ) {}

  async run(
    ctx: WriteContext,
    input: ImportInput,
    options: { dryRun: boolean; batchSize?: number },
  ): Promise<ImportReport> {
    const batchSize = Math.max(1, Math.min(options.batchSize ?? 1000, 10_000));
    const rows: RowReport[] = [];
    let batch = 0;
    let written = 0;
    for (let start = 0; start < input.cis.length; start += batchSize, batch++) {
      const slice = input.cis.slice(start, start + batchSize);
      const reports = await this.inTransaction(options.dryRun, (tx) => this.ciBatch(tx, ctx, slice, start, batch));
      rows.push(...reports);
      if (!options.dryRun && reports.every((r) => r.written || r.action === 'UNCHANGED')) written++;
    }
    // Relationships after every CI, so either end may come from any CI batch. A dry run cannot see
    // the CIs it did not write, so their relationships are checked against the file's own rows.
    for (let start = 0; start < input.relations.length; start += batchSize, batch++) {
      const slice = input.relations.slice(start, start + batchSize);
      const planned = options.dryRun ? new Set(input.cis.map((c) => c.code)) : new Set<string>();
      const reports = await this.inTransaction(options.dryRun, (tx) =>
        this.relationBatch(tx, ctx, slice, start, batch, planned),
      );
      rows.push(...reports);
      if (!options.dryRun && reports.every((r) => r.written || r.action === 'UNCHANGED')) written++;
    }
    const count = (a: RowAction) => rows.filter((r) => r.action === a).length;
    return {
      dryRun: options.dryRun,
      rows,
      created: count('CREATE'),
      updated: count('UPDATE'),
      unchanged: count('UNCHANGED'),
      rejected: count('REJECTED'),
      batches: batch,
      batchesWritten: options.dryRun ? 0 : written,
    };
  }

  /** Runs a batch in a write transaction; rolls it back for a dry run or when a row is rejected. */
  private async inTransaction(dryRun: boolean, work: (tx: Tx) => Promise<RowReport[]>): Promise<RowReport[]> {
    let reports: RowReport[] = [];
    try {
      await this.executor.write(async (tx) => {
        reports = await work(tx);
        const rejected = reports.some((r) => r.action === 'REJECTED');
        if (dryRun || rejected) throw new Rollback();
        for (const r of reports) r.written = r.action !== 'UNCHANGED';
      });
    } catch (e) {
      if (!(e instanceof Rollback)) throw e;
      const rejected = reports.find((r) => r.action === 'REJECTED');
      if (rejected && !dryRun) {
        for (const r of reports) {
          r.written = false;
          if (r.action !== 'REJECTED') r.reason = `batch ${r.batch} not written: row ${rejected.row} is rejected`;
        }
      }
    }
    return reports;
  }

  private async ciBatch(tx: Tx, ctx: WriteContext, rows: NewCI[], offset: number, batch: number): Promise<RowReport[]> {
    const model = await this.cis.lockForWrite(tx, ctx);
    const field = (i: number) => (name: string) => `cis[${offset + i}].${name}`;
    const reports: RowReport[] = rows.map((r, i) => report(offset + i, 'CI', String(r.code), batch));
    const reject = (i: number, e: unknown) => {
      if (!(e instanceof DomainError)) throw e;
      Object.assign(reports[i], { action: 'REJECTED', reason: e.message, field: e.details.field ?? null });
    };

    // Match each row to a stored CI: by identification keys where its class has them, else by code.
    const prepared = rows.map((r, i) => {
      try {
        return prepare(model, r, offset + i, ctx, { fields: BATCH_FIELDS, anyState: true });
      } catch (e) {
        reject(i, e);
        return null;
      }
    });
    const keys = prepared.flatMap((p) => (p?.identKey ? [p.identKey] : []));
    const byKey = new Map(
      (await tx.run(QUERIES.byIdentKeys, { keys })).map((r) => [
        r.key as string,
        toCIRecord(r.n as Record<string, unknown>),
      ]),
    );
    const byCode = new Map(
      (await tx.run(QUERIES.byCodes, { codes: rows.map((r) => r.code) })).map((r) => [
        r.code as string,
        toCIRecord(r.n as Record<string, unknown>),
      ]),
    );

    const creates: { row: number; ci: NewCI }[] = [];
    const updates: { row: number; current: CIRecord }[] = [];
    rows.forEach((r, i) => {
      const p = prepared[i];
      if (!p) return;
      const stored = (p.identKey ? byKey.get(p.identKey) : undefined) ?? byCode.get(r.code);
      if (!stored) return creates.push({ row: i, ci: r });
      if (stored.code !== r.code) {
        return reject(
          i,
          new ConflictReason(`the identification keys belong to ${stored.code}, not ${r.code}`, field(i)('code')),
        );
      }
      if (stored.class !== p.ci.class) {
        return reject(
          i,
          new ConflictReason(`${stored.code} is a ${stored.class}, not a ${p.ci.class}`, field(i)('class')),
        );
      }
      updates.push({ row: i, current: stored });
    });
    if (reports.some((r) => r.action === 'REJECTED')) return reports;

    const records: OpRecord[] = [];
    const touched: CIRecord[] = [];
    const writes: WriteWhat[] = creates.length ? [STRUCTURAL_WRITE] : [];
    for (const { row, current } of updates) {
      try {
        const input = rows[row];
        writes.push(updateWrite(concreteClass(model, current.class, field(row)('class')), current, input));
        const { record } = await this.cis.applyUpdate(
          tx,
          model,
          ctx,
          current,
          { name: input.name, owner: input.owner, attributes: input.attributes },
          field(row),
        );
        reports[row].action = record ? 'UPDATE' : 'UNCHANGED';
        if (record) {
          records.push(record);
          touched.push(current);
        }
      } catch (e) {
        reject(row, e);
      }
    }
    if (reports.some((r) => r.action === 'REJECTED')) return reports;
    // A batch that changes nothing needs no authority: re-importing a file is a no-op.
    if (touched.length === 0 && creates.length === 0) return reports;
    const ticket = await this.authorise(tx, ctx, touched, reports, updates, combineWrites(writes));
    if (!ticket) return reports;

    if (creates.length) {
      try {
        const fields = {
          ci: (i: number, f: string) => field(creates[i].row)(f),
          relation: (j: number, f: string) => `relations[${j}].${f}`,
        };
        // Created CIs join the ticket's scope; the batch's creates are logged as one BATCH_CREATE entry.
        const { records: created } = await writeBatch(
          tx,
          model,
          ctx,
          { cis: creates.map((c) => c.ci), relations: [] },
          { fields, anyState: true, log: 'batch', ticketId: ticket.id },
        );
        records.push(...created);
        for (const c of creates) reports[c.row].action = 'CREATE';
      } catch (e) {
        const at = e instanceof DomainError ? /^cis\[(\d+)\]/.exec(String(e.details.field ?? ''))?.[1] : undefined;
        reject(at === undefined ? creates[0].row : Number(at) - offset, e);
        return reports;
      }
    }
    await this.oplog.record(tx, { ...ctx, source: 'import' }, records);
    return reports;
  }

  private async relationBatch(
    tx: Tx,
    ctx: WriteContext,
    rows: NewRelation[],
    offset: number,
    batch: number,
    planned: Set<string>,
  ): Promise<RowReport[]> {
    const model = await this.cis.lockForWrite(tx, ctx);
    const reports = rows.map((r, j) => report(offset + j, 'RELATION', `${r.source} ${r.type} ${r.target}`, batch));
    const codes = [...new Set(rows.flatMap((r) => [r.source, r.target]))];
    const stored = new Map(
      (await tx.run(QUERIES.byCodes, { codes })).map((r) => [
        r.code as string,
        toCIRecord(r.n as Record<string, unknown>),
      ]),
    );
    const fresh: { row: number; rel: NewRelation }[] = [];
    for (const [j, r] of rows.entries()) {
      const missing = [r.source, r.target].find((c) => !stored.has(c));
      if (missing) {
        if (planned.has(missing)) reports[j].action = 'CREATE';
        else
          Object.assign(reports[j], {
            action: 'REJECTED',
            reason: `no CI has code ${missing}`,
            field: `relations[${offset + j}].${missing === r.source ? 'source' : 'target'}`,
          });
        continue;
      }
      if (!model.relationTypes.has(r.type)) {
        Object.assign(reports[j], {
          action: 'REJECTED',
          reason: `unknown relation type ${JSON.stringify(r.type)}`,
          field: `relations[${offset + j}].type`,
        });
        continue;
      }
      const q = `MATCH (a:CI {id: $a})-[r:${relType(model, r.type)}]->(b:CI {id: $b}) WHERE r.until IS NULL RETURN count(r) AS n`;
      const [row] = await tx.run(q, { a: stored.get(r.source)!.id, b: stored.get(r.target)!.id });
      if ((row.n as number) > 0) reports[j].action = 'UNCHANGED';
      else fresh.push({ row: j, rel: r });
    }
    if (reports.some((r) => r.action === 'REJECTED') || fresh.length === 0) return reports;
    const groups = fresh.map(({ rel }) => [stored.get(rel.source)!, stored.get(rel.target)!]);
    try {
      await this.tickets.authorise(tx, ctx, [], groups);
      const fields = {
        ci: (i: number, f: string) => `cis[${i}].${f}`,
        relation: (j: number, f: string) => `relations[${offset + fresh[j].row}].${f}`,
      };
      const { records } = await writeBatch(
        tx,
        model,
        ctx,
        { cis: [], relations: fresh.map((f) => f.rel) },
        { fields, anyState: true, log: 'batch', ticketId: null },
      );
      await this.oplog.record(tx, { ...ctx, source: 'import' }, records);
      for (const f of fresh) reports[f.row].action = 'CREATE';
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      const at = /^relations\[(\d+)\]/.exec(String(e.details.field ?? ''))?.[1];
      const j = at === undefined ? fresh[0].row : Number(at) - offset;
      Object.assign(reports[j], { action: 'REJECTED', reason: e.message, field: e.details.field ?? null });
    }
    return reports;
  }

  /** The batch's ticket must cover every CI it updates; a refusal rejects those rows. */
  private async authorise(
    tx: Tx,
    ctx: WriteContext,
    touched: CIRecord[],
    reports: RowReport[],
    updates: { row: number; current: CIRecord }[],
    writes: WriteWhat,
  ) {
    try {
      return await this.tickets.authorise(tx, ctx, touched, [], writes);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      const code = e.details.ci as string | undefined;
      const row = updates.find((u) => u.current.code === code)?.row ?? updates[0]?.row ?? 0;
      Object.assign(reports[row], { action: 'REJECTED', reason: e.message, field: 'ticket' });
      return null;
    }
  }
}

class ConflictReason extends DomainError {
  constructor(message: string, field: string) {
    super('CONFLICT', message, { field });
  }
}

function report(row: number, kind: 'CI' | 'RELATION', key: string, batch: number): RowReport {
  return { row, kind, key, action: 'UNCHANGED', reason: null, field: null, batch, written: false };
}
