// Audits room (§7.1.4.3, §7.1.3 d, §7.1.4.1 f): samples CI classes reproducibly, freezes the sample
// under an AUDIT ticket, records what the checks found, turns corrections made under the audit into
// MATCHED with their trail, reports, and creates the audits that scenarios and the annual job call for.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import { int } from '../platform/neo4j/mappers';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination';
import type { CompiledModel } from '../model/compiled-model';
import type { ModelService } from '../model/model.service';
import type { OpLogService, WriteContext } from '../oplog/oplog.service';
import type { CIService } from '../cis/ci.service';
import { toCIRecord } from '../cis/ci.repository';
import { MAX_DEPTH, type Propagation } from '../cis/propagation';
import type { TicketService } from '../tickets/ticket.service';
import { TICKET_QUERIES, ticketProps } from '../tickets/ticket.repository';
import { TICKET_REF_PATTERN } from '../tickets/ticket.service';
import type { Ticket } from '../tickets/ticket.types';
import { AUDIT_QUERIES, AuditRepository, auditProps, itemProps, toAudit, toItem, toRun } from './audit.repository';
import { drawSample, sampleSize } from './sampling';
import { buildReport, type AuditReport } from './audit.report';
import {
  DEFAULT_AUDIT_CAUSES,
  type Audit,
  type AuditEvent,
  type AuditItem,
  type AuditJobRun,
  type AuditScenario,
  type AuditTrigger,
  type Correction,
  type FieldDifference,
  type Finding,
  type StratumSpec,
  type Stratum,
} from './audit.types';

export type { AuditScenario } from './audit.types';

export const MAX_SAMPLE = 20_000;
export const BUSINESS_SYSTEM_CLASS = 'BusinessSystem';
export const IN_SERVICE_STATE = 'IN_SERVICE';

export interface CreateAuditInput {
  ref?: string | null;
  title?: string | null;
  /** Classes (subclasses included), each its own stratum, with ratio and minimum or the defaults. */
  classes: { class: string; ratio?: number | null; minimum?: number | null }[];
  ratio?: number | null;
  minimum?: number | null;
  /** Limit the audit to the subgraph of this business system (code). */
  system?: string | null;
  /** Limit the audit to these CIs (codes). */
  cis?: string[] | null;
  /** Reproduce a sample: the same seed over the same CIs gives the same sample. Random when absent. */
  seed?: string | null;
}

export interface ResultInput {
  /** The sampled CI's code. */
  code: string;
  status: Finding;
  fields?: { field: string; observed?: string | null }[] | null;
  cause?: string | null;
  note?: string | null;
  /** When the entity was checked; now when absent. */
  auditedAt?: number | null;
}

export interface CorrectionInput {
  audit: string;
  code: string;
  expectedVersion: number;
  name?: string | null;
  owner?: string | null;
  attributes?: Record<string, unknown> | null;
}

export interface AuditOptions {
  /** The configurable list of causes of a difference. */
  causes: readonly string[];
}

/** What the audit-creating core needs, from a person or a job. */
interface AuditSpec {
  ref: string;
  title: string;
  trigger: AuditTrigger;
  scenario: AuditScenario | null;
  scenarioKey: string | null;
  strata: StratumSpec[];
  system: string | null;
  /** Restrict to these CI ids (retired ones included); null: every live CI of the classes. */
  ciIds: string[] | null;
  seed: string;
}

export interface ScanOutcome {
  scanned: number;
  watermark: number;
  created: string[];
  corrected: number;
}

const DIFF_CAUSE_REQUIRED: Finding[] = ['MISMATCHED', 'MISSING'];
const TOP_LEVEL_FIELDS = new Set(['code', 'name', 'owner', 'lifecycle', 'class']);

function datePart(at: number): string {
  return new Date(at).toISOString().slice(0, 10).replace(/-/g, '');
}

/** Value as the item's difference records it: text as is, anything else as JSON; absent is null. */
function show(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function recordedValue(snapshot: string, field: string): string | null {
  const frozen = JSON.parse(snapshot) as { ci: Record<string, unknown>; relations: unknown[] };
  if (field === 'relations') return show(frozen.relations);
  if (TOP_LEVEL_FIELDS.has(field)) return show(frozen.ci[field]);
  const name = field.startsWith('attributes.') ? field.slice('attributes.'.length) : field;
  return show((frozen.ci.attributes as Record<string, unknown>)[name]);
}

export class AuditService {
  private readonly repo = new AuditRepository();
  readonly causes: readonly string[];

  constructor(
    private readonly executor: Executor,
    private readonly models: ModelService,
    private readonly oplog: OpLogService,
    private readonly tickets: TicketService,
    private readonly cis: CIService,
    private readonly propagation: Propagation,
    options: AuditOptions = { causes: DEFAULT_AUDIT_CAUSES },
  ) {
    this.causes = options.causes;
  }

  // ---------------------------------------------------------------- reads

  async get(ref: string): Promise<Audit> {
    const audit = await this.executor.read((tx) => this.repo.find(tx, ref));
    if (!audit) throw new NotFoundError(`no audit ${ref}`, { field: 'audit' });
    return audit;
  }

  async list(
    filter: { states?: string[] | null; triggers?: string[] | null },
    first: number,
    after: string | null,
  ): Promise<Page<Audit>> {
    const key = decodeCursor(after);
    const [afterAt, afterRef] = key ? [Number(key.split('|')[0]), key.slice(key.indexOf('|') + 1)] : [null, null];
    const params = {
      states: filter.states?.length ? filter.states : null,
      triggers: filter.triggers?.length ? filter.triggers : null,
    };
    return this.executor.read(async (tx) => {
      const [count] = await tx.run(AUDIT_QUERIES.listCount, params);
      const rows = await tx.run(AUDIT_QUERIES.list, {
        ...params,
        after: key,
        afterAt,
        afterRef,
        limit: int(first + 1),
      });
      const items = rows.slice(0, first).map((r) => toAudit(r.a as Record<string, unknown>));
      const last = items[items.length - 1];
      return {
        items,
        totalCount: count.total as number,
        hasNextPage: rows.length > first,
        endCursor: last ? encodeCursor(`${last.createdAt}|${last.ref}`) : null,
      };
    });
  }

  async items(ref: string, statuses: string[] | null, first: number, after: string | null): Promise<Page<AuditItem>> {
    const audit = await this.get(ref);
    const page = await this.executor.read((tx) =>
      this.repo.items(tx, audit.id, statuses?.length ? statuses : null, first, decodeCursor(after)),
    );
    const last = page.items[page.items.length - 1];
    return { ...page, endCursor: last ? encodeCursor(last.code) : null };
  }

  async allItems(ref: string): Promise<{ audit: Audit; items: AuditItem[] }> {
    return this.executor.read(async (tx) => {
      const audit = await this.repo.find(tx, ref);
      if (!audit) throw new NotFoundError(`no audit ${ref}`, { field: 'audit' });
      return { audit, items: await this.repo.allItems(tx, audit.id) };
    });
  }

  async report(ref: string, now = Date.now()): Promise<AuditReport> {
    const { audit, items } = await this.allItems(ref);
    return buildReport(audit, items, now);
  }

  async jobRuns(job: string | null, first: number, after: string | null): Promise<Page<AuditJobRun>> {
    const afterKey = decodeCursor(after);
    return this.executor.read(async (tx) => {
      const [count] = await tx.run(AUDIT_QUERIES.runCount, { job });
      const rows = await tx.run(AUDIT_QUERIES.runs, { job, afterKey, limit: int(first + 1) });
      const items = rows.slice(0, first).map((r) => toRun(r.r as Record<string, unknown>));
      const last = items[items.length - 1];
      return {
        items,
        totalCount: count.total as number,
        hasNextPage: rows.length > first,
        endCursor: last ? encodeCursor(last.key) : null,
      };
    });
  }

  // ---------------------------------------------------------------- creating audits

  /** An audit the configuration manager creates by hand. */
  async create(ctx: WriteContext, input: CreateAuditInput): Promise<Audit> {
    const defaults = { ratio: input.ratio ?? 0.1, minimum: input.minimum ?? 3 };
    const strata = (input.classes ?? []).map((c) => ({
      class: c.class,
      ratio: c.ratio ?? defaults.ratio,
      minimum: c.minimum ?? defaults.minimum,
    }));
    if (!strata.length) throw new ValidationError('name at least one class to sample', { field: 'classes' });
    const ref = input.ref ?? `AUD-${datePart(ctx.at)}-${randomBytes(4).toString('hex').toUpperCase()}`;
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const model = await this.models.inTransaction(tx);
      let ciIds: string[] | null = null;
      if (input.cis?.length) {
        const rows = await tx.run(AUDIT_QUERIES.ciIdsByCodes, { codes: [...new Set(input.cis)] });
        if (rows.length !== new Set(input.cis).size) {
          const found = await tx.run('UNWIND $codes AS code MATCH (c:CI {code: code}) RETURN code', {
            codes: input.cis,
          });
          const known = new Set(found.map((r) => r.code as string));
          const missing = input.cis.find((c) => !known.has(c));
          throw new NotFoundError(`no CI has code ${missing}`, { field: 'cis' });
        }
        ciIds = rows.map((r) => r.id as string);
      }
      return this.createInTx(tx, ctx, model, {
        ref,
        title: input.title?.trim() || `配置审计 ${strata.map((s) => s.class).join(', ')}`,
        trigger: 'MANUAL',
        scenario: null,
        scenarioKey: null,
        strata,
        system: input.system ?? null,
        ciIds,
        seed: input.seed ?? randomBytes(16).toString('hex'),
      });
    });
  }

  /**
   * The hook for scenarios (§7.1.4.3 b): one audit per event, covering every CI it touched (each CI's
   * class a stratum, all sampled). Idempotent by `key`: the same event handled again returns the audit
   * it made the first time. The incidents room calls it for a major incident.
   */
  async triggerScenario(
    ctx: WriteContext,
    event: { scenario: AuditScenario; key: string; ciIds: string[]; occurredAt: number; summary: string },
  ): Promise<{ created: boolean; audit: string }> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const model = await this.models.inTransaction(tx);
      return this.triggerInTx(tx, ctx, model, event);
    });
  }

  async triggerInTx(
    tx: Tx,
    ctx: WriteContext,
    model: CompiledModel,
    event: AuditEvent,
  ): Promise<{ created: boolean; audit: string }> {
    if (!event.key?.trim()) throw new ValidationError('a scenario event needs its key', { field: 'key' });
    const [existing] = await tx.run(AUDIT_QUERIES.byScenarioKey, { key: event.key });
    if (existing) return { created: false, audit: (existing.a as Record<string, unknown>).ref as string };
    const ids = [...new Set(event.ciIds)];
    if (!ids.length) throw new ValidationError('a scenario audit needs the CIs the event touched', { field: 'ciIds' });
    const classes = (await tx.run(AUDIT_QUERIES.classesOf, { ids })).map((r) => r.class as string).sort();
    if (!classes.length) throw new NotFoundError('none of the CIs the event names exists', { field: 'ciIds' });
    const digest = createHash('sha256').update(event.key).digest('hex').slice(0, 12).toUpperCase();
    const audit = await this.createInTx(tx, ctx, model, {
      ref: `AUD-SCN-${digest}`,
      title: `场景审计 ${event.scenario}: ${event.summary}`.slice(0, 200),
      trigger: 'SCENARIO',
      scenario: event.scenario,
      scenarioKey: event.key,
      // Each concrete class its own stratum, so the strata never overlap; everything touched is checked.
      strata: classes.map((c) => ({ class: c, ratio: 1, minimum: 1 })),
      system: null,
      ciIds: ids,
      seed: event.key,
    });
    return { created: true, audit: audit.ref };
  }

  /**
   * The annual audit of one scheduled slot, exactly once: in one transaction under the writers' lock,
   * the slot's run is looked up, and only if it has not succeeded is the audit made and the run
   * recorded (created under the uniqueness constraint on its key). Replicas racing for the slot queue
   * on the lock; the losers find the run done.
   */
  async runAnnualSlot(
    ctx: WriteContext,
    run: { key: string; job: string; slot: number; instance: string },
    strata: StratumSpec[],
  ): Promise<{ ran: boolean; run: AuditJobRun }> {
    return this.claimRun(ctx, run, async (tx, model) => {
      const slotIso = new Date(run.slot).toISOString();
      const audit = await this.createInTx(tx, ctx, model, {
        ref: `AUD-ANNUAL-${slotIso.slice(0, 16).replace(/[-:]/g, '')}`,
        title: `年度配置审计 ${slotIso.slice(0, 10)}`,
        trigger: 'ANNUAL',
        scenario: null,
        scenarioKey: null,
        strata,
        system: null,
        ciIds: null,
        seed: run.key,
      });
      return { audits: [audit.ref], outcome: { audit: audit.ref, items: audit.itemCount } };
    });
  }

  /**
   * The scenario scan of one slot: its first page runs inside the slot's claim; the rest of the
   * backlog follows a page per transaction (the watermark keeps every entry handled once).
   */
  async runScenarioSlot(
    ctx: WriteContext,
    run: { key: string; job: string; slot: number; instance: string },
    pageSize = 500,
  ): Promise<{ ran: boolean; run: AuditJobRun }> {
    let total: ScanOutcome = { scanned: 0, watermark: 0, created: [], corrected: 0 };
    const first = await this.claimRun(ctx, run, async (tx, model) => {
      total = await this.scanPage(ctx, tx, model, pageSize);
      return { audits: total.created, outcome: total };
    });
    if (!first.ran) return first;
    let last = total;
    while (last.scanned === pageSize) {
      last = await this.executor.write(async (tx) => {
        await this.oplog.lock(tx, Date.now());
        return this.scanPage(ctx, tx, await this.models.inTransaction(tx), pageSize);
      });
      total = {
        scanned: total.scanned + last.scanned,
        watermark: last.watermark,
        created: [...total.created, ...last.created],
        corrected: total.corrected + last.corrected,
      };
    }
    const props = { audits: total.created, outcome: JSON.stringify(total), finishedAt: Date.now() };
    await this.executor.write((tx) => tx.run(AUDIT_QUERIES.updateRun, { key: run.key, props }));
    return { ran: true, run: { ...first.run, ...props } };
  }

  /** Runs `work` for a job's slot unless the slot already ran; records the run in the same transaction. */
  async claimRun(
    ctx: WriteContext,
    run: { key: string; job: string; slot: number; instance: string },
    work: (tx: Tx, model: CompiledModel) => Promise<{ audits: string[]; outcome: unknown }>,
  ): Promise<{ ran: boolean; run: AuditJobRun }> {
    try {
      return await this.executor.write(async (tx) => {
        await this.oplog.lock(tx, ctx.at);
        const existing = await this.repo.run(tx, run.key);
        if (existing?.status === 'DONE') return { ran: false, run: existing };
        const model = await this.models.inTransaction(tx);
        const { audits, outcome } = await work(tx, model);
        const props = {
          key: run.key,
          job: run.job,
          slot: run.slot,
          status: 'DONE',
          startedAt: ctx.at,
          finishedAt: Date.now(),
          instance: run.instance,
          attempts: (existing?.attempts ?? 0) + 1,
          audits,
          outcome: JSON.stringify(outcome),
          error: null,
        };
        if (existing) await tx.run(AUDIT_QUERIES.updateRun, { key: run.key, props });
        else await tx.run(AUDIT_QUERIES.createRun, { props });
        return { ran: true, run: toRun(props) };
      });
    } catch (e) {
      // A constraint violation means another replica claimed the slot between our read and write.
      const code = (e as { code?: string }).code ?? '';
      if (code.includes('ConstraintValidationFailed')) {
        const existing = await this.executor.read((tx) => this.repo.run(tx, run.key));
        if (existing?.status === 'DONE') return { ran: false, run: existing };
      }
      await this.executor.write((tx) =>
        tx.run(AUDIT_QUERIES.failRun, {
          key: run.key,
          job: run.job,
          slot: run.slot,
          at: Date.now(),
          error: (e as Error).message.slice(0, 1000),
          instance: run.instance,
        }),
      );
      throw e;
    }
  }

  private async createInTx(tx: Tx, ctx: WriteContext, model: CompiledModel, spec: AuditSpec): Promise<Audit> {
    if (!TICKET_REF_PATTERN.test(spec.ref)) {
      throw new ValidationError('ref must be 1–64 letters, digits or ._:/- and start with a letter or digit', {
        field: 'ref',
      });
    }
    const [clash] = await tx.run(TICKET_QUERIES.byIdOrRef, { ref: spec.ref });
    if (clash) throw new ConflictError(`ticket ${spec.ref} already exists`, { field: 'ref' });
    const covered = new Map<string, string>();
    spec.strata.forEach((s, i) => {
      const field = `classes[${i}]`;
      if (!model.getClass(s.class)) throw new ValidationError(`${field}: unknown class ${s.class}`, { field });
      if (!(s.ratio > 0 && s.ratio <= 1)) {
        throw new ValidationError(`${field}: ratio must be above 0 and at most 1, got ${s.ratio}`, {
          field: `${field}.ratio`,
        });
      }
      if (!Number.isInteger(s.minimum) || s.minimum < 0 || s.minimum > MAX_SAMPLE) {
        throw new ValidationError(`${field}: minimum must be a whole number from 0 to ${MAX_SAMPLE}`, {
          field: `${field}.minimum`,
        });
      }
      for (const c of model.expandClasses([s.class])) {
        const other = covered.get(c);
        if (other) {
          throw new ValidationError(`${field}: ${s.class} overlaps ${other} (both cover ${c}); name each class once`, {
            field,
          });
        }
        covered.set(c, s.class);
      }
    });
    let restrict = spec.ciIds;
    if (spec.system) {
      const [sys] = await tx.run(AUDIT_QUERIES.ciIdsByCodes, { codes: [spec.system] });
      const cls = sys ? ((await tx.run(AUDIT_QUERIES.ciById, { id: sys.id })) as { class: string }[])[0].class : null;
      if (!cls) throw new NotFoundError(`no CI has code ${spec.system}`, { field: 'system' });
      if (!model.isA(cls, BUSINESS_SYSTEM_CLASS))
        throw new ValidationError(`${spec.system} is a ${cls}, not a business system`, { field: 'system' });
      // Everything the system stands on, without descending into the systems it depends on.
      const w = await this.propagation.walk(
        tx,
        model,
        [spec.system],
        {
          flow: 'UPSTREAM',
          maxDepth: MAX_DEPTH,
          stopAtClasses: [BUSINESS_SYSTEM_CLASS],
        },
        'system',
      );
      const under = new Set([...w.seeds, ...w.reached].map((r) => r.id));
      restrict = restrict ? restrict.filter((id) => under.has(id)) : [...under];
    }
    const strata: Stratum[] = [];
    const sampled: { id: string; stratum: string }[] = [];
    for (const s of spec.strata) {
      const classes = model.expandClasses([s.class]);
      const [row] = restrict
        ? await tx.run(AUDIT_QUERIES.candidatesAmong, { ids: restrict, classes })
        : await tx.run(AUDIT_QUERIES.candidates, { classes });
      const ids = row.ids as string[];
      const n = sampleSize(ids.length, s.ratio, s.minimum);
      const picked = drawSample(ids, n, spec.seed, s.class);
      strata.push({ ...s, population: ids.length, sampled: picked.length });
      for (const id of picked) sampled.push({ id, stratum: s.class });
    }
    if (sampled.length > MAX_SAMPLE) {
      throw new ValidationError(`the sample would hold ${sampled.length} CIs; at most ${MAX_SAMPLE} per audit`, {
        field: 'classes',
      });
    }
    const stratumOf = new Map(sampled.map((s) => [s.id, s.stratum]));
    const frozen = await tx.run(AUDIT_QUERIES.snapshots, { ids: sampled.map((s) => s.id) });
    const ticket: Ticket = {
      id: randomUUID(),
      kind: 'AUDIT',
      ref: spec.ref,
      title: spec.title,
      description: spec.scenario ? `${spec.trigger} ${spec.scenario} (${spec.scenarioKey})` : spec.trigger,
      state: 'OPEN',
      createdAt: ctx.at,
      createdBy: ctx.actor,
      updatedAt: ctx.at,
      change: null,
    };
    const audit: Audit = {
      id: randomUUID(),
      ref: spec.ref,
      title: spec.title,
      trigger: spec.trigger,
      scenario: spec.scenario,
      scenarioKey: spec.scenarioKey,
      system: spec.system,
      seed: spec.seed,
      strata,
      state: 'OPEN',
      itemCount: frozen.length,
      createdAt: ctx.at,
      createdBy: ctx.actor,
      completedAt: null,
      completedBy: null,
    };
    const items = frozen.map((row) => {
      const ci = toCIRecord(row.ci as Record<string, unknown>);
      const relations = row.relations as Record<string, unknown>[];
      const { id: _id, createdAt: _c, updatedAt: _u, stale: _s, ...state } = ci;
      return itemProps({
        id: randomUUID(),
        auditId: audit.id,
        ciId: ci.id,
        code: ci.code,
        class: ci.class,
        stratum: stratumOf.get(ci.id)!,
        snapshot: JSON.stringify({ ci: state, relations }),
        status: 'UNAUDITED',
        fields: [],
        trail: [],
        correction: null,
      });
    });
    await tx.run(TICKET_QUERIES.create, { props: ticketProps(ticket) });
    await this.tickets.joinScope(
      tx,
      ctx,
      ticket,
      sampled.map((s) => s.id),
    );
    await tx.run(AUDIT_QUERIES.create, { props: auditProps(audit) });
    for (let i = 0; i < items.length; i += 5_000) {
      await tx.run(AUDIT_QUERIES.createItems, { items: items.slice(i, i + 5_000) });
    }
    const sampleDigest = createHash('sha256')
      .update(
        sampled
          .map((s) => s.id)
          .sort()
          .join('\n'),
      )
      .digest('hex');
    await this.oplog.record(tx, ctx, [
      {
        action: 'AUDIT_CREATE',
        targetType: 'TICKET',
        targetId: ticket.id,
        // The sample is named by its digest, not by an edge to every CI: an audit may hold thousands.
        ciIds: [],
        before: null,
        after: { ...auditProps(audit), kind: 'AUDIT', sampleDigest },
      },
    ]);
    return audit;
  }

  // ---------------------------------------------------------------- results

  /** Records results, one or many, each for an item of this audit; all or nothing. */
  async recordResults(ctx: WriteContext, ref: string, results: ResultInput[]): Promise<AuditItem[]> {
    if (!results.length) throw new ValidationError('give at least one result', { field: 'results' });
    const seen = new Set<string>();
    results.forEach((r, k) => {
      const field = `results[${k}]`;
      if (seen.has(r.code)) throw new ValidationError(`${field}: ${r.code} is given twice`, { field: `${field}.code` });
      seen.add(r.code);
      if (!['MATCHED', 'MISMATCHED', 'MISSING'].includes(r.status)) {
        throw new ValidationError(`${field}: status must be MATCHED, MISMATCHED or MISSING`, {
          field: `${field}.status`,
        });
      }
      const fields = r.fields ?? [];
      if (r.status === 'MISMATCHED' && !fields.length) {
        throw new ValidationError(
          `${field}: a MISMATCHED result must name the fields whose recorded and observed values differ`,
          { field: `${field}.fields` },
        );
      }
      if (r.status !== 'MISMATCHED' && fields.length) {
        throw new ValidationError(`${field}: only a MISMATCHED result lists differing fields`, {
          field: `${field}.fields`,
        });
      }
      if (DIFF_CAUSE_REQUIRED.includes(r.status)) {
        if (!r.cause) {
          throw new ValidationError(
            `${field}: a ${r.status} result needs the cause of the difference (${this.causes.join(', ')})`,
            {
              field: `${field}.cause`,
            },
          );
        }
        if (!this.causes.includes(r.cause)) {
          throw new ValidationError(`${field}: unknown cause ${r.cause}; one of ${this.causes.join(', ')}`, {
            field: `${field}.cause`,
          });
        }
      } else if (r.cause) {
        throw new ValidationError(`${field}: a MATCHED result has no cause of difference`, { field: `${field}.cause` });
      }
      if (r.auditedAt != null && r.auditedAt > ctx.at + 60_000) {
        throw new ValidationError(`${field}: auditedAt is in the future`, { field: `${field}.auditedAt` });
      }
    });
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const audit = await this.openAudit(tx, ref);
      const rows = await tx.run(AUDIT_QUERIES.itemsByCodes, { auditId: audit.id, codes: results.map((r) => r.code) });
      const byCode = new Map(rows.map((r) => [r.code as string, r]));
      const updated: AuditItem[] = [];
      for (const [k, r] of results.entries()) {
        const row = byCode.get(r.code)!;
        const field = `results[${k}].code`;
        if (!row.i) {
          const elsewhere = row.elsewhere as string[];
          if (elsewhere.length) {
            throw new ValidationError(
              `${r.code} is an item of audit ${elsewhere.join(', ')}, not of audit ${audit.ref}: record its result there`,
              { field, audits: elsewhere },
            );
          }
          throw new NotFoundError(`${r.code} was not sampled in audit ${audit.ref}`, { field });
        }
        const item = toItem(row.i as Record<string, unknown>);
        const fields: FieldDifference[] = (r.fields ?? []).map((f, j) => {
          const recorded = recordedValue(item.snapshot, f.field);
          const observed = f.observed ?? null;
          if (recorded === observed) {
            throw new ValidationError(
              `results[${k}].fields[${j}]: ${f.field} was recorded as ${JSON.stringify(recorded)}, which is what was observed: no difference`,
              { field: `results[${k}].fields[${j}].observed` },
            );
          }
          return { field: f.field, recorded, observed };
        });
        const next: AuditItem = {
          ...item,
          status: r.status,
          finding: r.status,
          fields,
          cause: r.cause ?? null,
          note: r.note ?? null,
          auditor: ctx.actor,
          auditedAt: r.auditedAt ?? ctx.at,
          correction: null,
          trail: item.status === 'UNAUDITED' ? item.trail : [...item.trail, pastOf(item, ctx.at)],
        };
        await this.repo.updateItem(tx, item.id, next);
        updated.push(next);
      }
      await this.oplog.record(tx, ctx, [
        {
          action: 'AUDIT_RESULT',
          targetType: 'TICKET',
          targetId: audit.id,
          ciIds: updated.map((i) => i.ciId),
          before: null,
          after: {
            audit: audit.ref,
            results: updated.map((i) => ({ code: i.code, status: i.status, fields: i.fields, cause: i.cause })),
          },
        },
      ]);
      return updated;
    });
  }

  /** Corrects a mismatched CI under the audit as its ticket; the item turns MATCHED, keeping what was found. */
  async correct(ctx: WriteContext, input: CorrectionInput): Promise<AuditItem> {
    const { audit, item } = await this.itemFor(input.audit, input.code, ['MISMATCHED']);
    const ci = await this.cis.update(
      { ...ctx, ticket: audit.ref },
      {
        id: item.ciId,
        expectedVersion: input.expectedVersion,
        name: input.name,
        owner: input.owner,
        attributes: input.attributes,
      },
    );
    return this.markCorrected(ctx, audit.ref, item.ciId, {
      action: 'CI_UPDATE',
      at: ctx.at,
      actor: ctx.actor,
      version: ci.version,
    });
  }

  /** Retires a CI found MISSING (or not what it claims to be) under the audit; the item turns MATCHED. */
  async retireMissing(
    ctx: WriteContext,
    input: { audit: string; code: string; expectedVersion: number },
  ): Promise<AuditItem> {
    const { audit, item } = await this.itemFor(input.audit, input.code, ['MISSING', 'MISMATCHED']);
    const model = await this.models.current();
    const ci = await this.cis.changeLifecycle(
      { ...ctx, ticket: audit.ref },
      { id: item.ciId, expectedVersion: input.expectedVersion, state: model.retiredState },
    );
    return this.markCorrected(ctx, audit.ref, item.ciId, {
      action: 'CI_RETIRE',
      at: ctx.at,
      actor: ctx.actor,
      version: ci.version,
    });
  }

  private async itemFor(ref: string, code: string, statuses: string[]): Promise<{ audit: Audit; item: AuditItem }> {
    return this.executor.read(async (tx) => {
      const audit = await this.openAudit(tx, ref, true);
      const [row] = await tx.run(AUDIT_QUERIES.itemsByCodes, { auditId: audit.id, codes: [code] });
      if (!row.i) throw new NotFoundError(`${code} was not sampled in audit ${audit.ref}`, { field: 'code' });
      const item = toItem(row.i as Record<string, unknown>);
      if (!statuses.includes(item.status)) {
        throw new ValidationError(
          `${code} is ${item.status} in audit ${audit.ref}; this correction applies to ${statuses.join(' or ')} items`,
          { field: 'code' },
        );
      }
      return { audit, item };
    });
  }

  private async markCorrected(
    ctx: WriteContext,
    ref: string,
    ciId: string,
    correction: Correction,
  ): Promise<AuditItem> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const audit = await this.repo.find(tx, ref);
      const item = (await this.markCorrectedInTx(tx, ctx, audit!, ciId, correction)) ?? null;
      if (item) return item;
      const [row] = await tx.run(AUDIT_QUERIES.itemByCi, { auditId: audit!.id, ciId });
      return toItem(row.i as Record<string, unknown>);
    });
  }

  /** Turns a mismatched or missing item MATCHED after a correction under its audit; null when there is nothing to turn. */
  async markCorrectedInTx(
    tx: Tx,
    ctx: WriteContext,
    audit: Audit,
    ciId: string,
    correction: Correction,
  ): Promise<AuditItem | null> {
    const [row] = await tx.run(AUDIT_QUERIES.itemByCi, { auditId: audit.id, ciId });
    if (!row) return null;
    const item = toItem(row.i as Record<string, unknown>);
    if (item.status !== 'MISMATCHED' && item.status !== 'MISSING') return null;
    const next: AuditItem = {
      ...item,
      status: 'MATCHED',
      correction,
      trail: [...item.trail, pastOf(item, correction.at)],
    };
    await this.repo.updateItem(tx, item.id, { status: next.status, correction, trail: next.trail });
    await this.oplog.record(tx, ctx, [
      {
        action: 'AUDIT_CORRECTED',
        targetType: 'TICKET',
        targetId: audit.id,
        ciIds: [ciId],
        before: { audit: audit.ref, code: item.code, status: item.status },
        after: { audit: audit.ref, code: item.code, status: 'MATCHED', correction },
      },
    ]);
    return next;
  }

  /** Completes an audit once no item is UNAUDITED; its ticket closes when no correction is still open. */
  async complete(ctx: WriteContext, ref: string): Promise<Audit> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const audit = await this.openAudit(tx, ref);
      const [{ n }] = await tx.run(AUDIT_QUERIES.unaudited, { auditId: audit.id });
      if ((n as number) > 0) {
        throw new ValidationError(`audit ${audit.ref} still has ${n} UNAUDITED item(s): record their results first`, {
          field: 'audit',
          unaudited: n,
        });
      }
      const items = await this.repo.allItems(tx, audit.id);
      const open = items.filter((i) => i.status === 'MISMATCHED' || i.status === 'MISSING').length;
      const next: Audit = { ...audit, state: 'COMPLETED', completedAt: ctx.at, completedBy: ctx.actor };
      await tx.run(AUDIT_QUERIES.update, {
        id: audit.id,
        props: { state: next.state, completedAt: ctx.at, completedBy: ctx.actor },
      });
      const [t] = await tx.run(TICKET_QUERIES.byIdOrRef, { ref: audit.ref });
      const ticket = t?.t as Record<string, unknown> | undefined;
      if (ticket && open === 0 && ticket.state !== 'CLOSED') {
        await tx.run(TICKET_QUERIES.update, { id: ticket.id, props: { state: 'CLOSED', updatedAt: ctx.at } });
      }
      await this.oplog.record(tx, ctx, [
        {
          action: 'AUDIT_COMPLETE',
          targetType: 'TICKET',
          targetId: audit.id,
          ciIds: [],
          before: { state: audit.state },
          after: { state: next.state, openCorrections: open, ticketClosed: open === 0 },
        },
      ]);
      return next;
    });
  }

  private async openAudit(tx: Tx, ref: string, allowCompleted = false): Promise<Audit> {
    const audit = await this.repo.find(tx, ref);
    if (!audit) throw new NotFoundError(`no audit ${ref}`, { field: 'audit' });
    if (audit.state !== 'OPEN' && !allowCompleted) {
      throw new ValidationError(`audit ${audit.ref} is ${audit.state}`, { field: 'audit' });
    }
    return audit;
  }

  // ---------------------------------------------------------------- scenario detection

  /**
   * Scans the operation log past the stored watermark, a page per transaction under the writers'
   * lock: scenario events become audits (keyed by the entry, so a replay makes none), and writes made
   * under an audit's ticket mark the item corrected. Only single-CI actions are read.
   */
  async scanPage(ctx: WriteContext, tx: Tx, model: CompiledModel, pageSize: number): Promise<ScanOutcome> {
    const [{ seq: after }] = await tx.run(AUDIT_QUERIES.watermark, { key: 'scenarios' });
    const entries = await tx.run(AUDIT_QUERIES.entriesAfter, {
      after,
      actions: ['CI_RETIRE', 'CI_LIFECYCLE', 'CI_UPDATE', 'RELATION_CREATE', 'RELATION_END'],
      limit: int(pageSize),
    });
    const audits = new Map<string, Audit | null>();
    const auditOf = async (ticket: unknown): Promise<Audit | null> => {
      if (typeof ticket !== 'string') return null;
      if (!audits.has(ticket)) audits.set(ticket, await this.repo.find(tx, ticket));
      return audits.get(ticket)!;
    };
    const outcome: ScanOutcome = { scanned: entries.length, watermark: after as number, created: [], corrected: 0 };
    for (const e of entries) {
      outcome.watermark = e.seq as number;
      const underAudit = await auditOf(e.ticket);
      const action = e.action as string;
      if (underAudit) {
        if (action.startsWith('CI_')) {
          const version = (JSON.parse((e.after as string) ?? 'null') as { version?: number } | null)?.version ?? null;
          const done = await this.markCorrectedInTx(tx, ctx, underAudit, e.targetId as string, {
            action,
            at: e.at as number,
            actor: ctx.actor,
            version,
          });
          if (done) outcome.corrected++;
        }
        continue;
      }
      const event = await this.eventOf(tx, model, e);
      if (!event) continue;
      const result = await this.triggerInTx(tx, ctx, model, event);
      if (result.created) outcome.created.push(result.audit);
    }
    if (entries.length) await tx.run(AUDIT_QUERIES.setWatermark, { key: 'scenarios', seq: outcome.watermark });
    return outcome;
  }

  /** The scenario an operation-log entry signals, if any. */
  private async eventOf(tx: Tx, model: CompiledModel, e: Record<string, unknown>): Promise<AuditEvent | null> {
    const key = `oplog:${e.seq}:${String(e.hash).slice(0, 16)}`;
    const before = JSON.parse((e.before as string) ?? 'null') as Record<string, unknown> | null;
    const after = JSON.parse((e.after as string) ?? 'null') as Record<string, unknown> | null;
    const at = e.at as number;
    const ciOf = async (id: string) => (await tx.run(AUDIT_QUERIES.ciById, { id }))[0] ?? null;
    switch (e.action) {
      case 'CI_RETIRE': {
        const ci = await ciOf(e.targetId as string);
        if (!ci) return null;
        const system = model.isA(ci.class as string, BUSINESS_SYSTEM_CLASS);
        return {
          scenario: system ? 'SYSTEM_DECOMMISSION' : 'SERVICE_RETIREMENT',
          key,
          ciIds: [ci.id as string],
          occurredAt: at,
          summary: `${ci.code} retired`,
        };
      }
      case 'CI_LIFECYCLE': {
        if (after?.lifecycle !== IN_SERVICE_STATE) return null;
        const ci = await ciOf(e.targetId as string);
        if (!ci || !model.isA(ci.class as string, BUSINESS_SYSTEM_CLASS)) return null;
        const w = await this.propagation.walk(tx, model, [ci.code as string], {
          flow: 'UPSTREAM',
          maxDepth: MAX_DEPTH,
          stopAtClasses: [BUSINESS_SYSTEM_CLASS],
        });
        const ids = [...w.seeds, ...w.reached].map((r) => r.id).slice(0, MAX_SAMPLE);
        return {
          scenario: 'NEW_SYSTEM_LAUNCH',
          key,
          ciIds: ids,
          occurredAt: at,
          summary: `${ci.code} entered service`,
        };
      }
      case 'CI_UPDATE': {
        if (!before || !after || before.owner === after.owner) return null;
        return {
          scenario: 'PERSONNEL_CHANGE',
          key,
          ciIds: [e.targetId as string],
          occurredAt: at,
          summary: `owner of ${after.code} changed from ${before.owner} to ${after.owner}`,
        };
      }
      case 'RELATION_CREATE':
      case 'RELATION_END': {
        const rel = (e.action === 'RELATION_CREATE' ? after : before) as {
          type?: string;
          source?: string;
          target?: string;
        } | null;
        if (!rel || (rel.type !== 'SUPPLIED_BY' && rel.type !== 'MAINTAINED_BY')) return null;
        const [row] = await tx.run(AUDIT_QUERIES.ciIdsByCodes, { codes: [rel.source] });
        if (!row) return null;
        return {
          scenario: 'SUPPLIER_CHANGE',
          key,
          ciIds: [row.id as string],
          occurredAt: at,
          summary: `${rel.source} ${e.action === 'RELATION_CREATE' ? 'gained' : 'lost'} ${rel.type} ${rel.target}`,
        };
      }
      default:
        return null;
    }
  }
}

function pastOf(item: AuditItem, replacedAt: number) {
  return {
    status: item.status,
    fields: item.fields,
    cause: item.cause,
    note: item.note,
    auditor: item.auditor,
    auditedAt: item.auditedAt,
    replacedAt,
  };
}
