// Incidents 事件 (§9.1): symptom CIs, the business systems affected, times, classification, status, and
// the level computed by §9.1.4.3 from importance, provinces and duration — rising while it runs. An
// incident resolves only when every affected system is confirmed recovered (§9.1.5.3). MAJOR and above
// carry the regulator's report deadlines (§9.1.6.3) and trigger the scenario audit (§7.1.4.3 b).

import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination';
import { int } from '../platform/neo4j/mappers';
import type { PolicyStore } from '../platform/neo4j/policy-store';
import type { ModelService } from '../model/model.service';
import type { OpLogService, WriteContext } from '../oplog/oplog.service';
import { TICKET_REF_PATTERN } from '../tickets/ticket.service';
import type { Propagation } from '../cis/propagation';
import { IMPORTANCES, type Importance } from '../changes/risk';
import { INCIDENT_QUERIES, listPage } from './incident.repository';
import {
  incidentLevel,
  reportDeadlines,
  type IncidentLevel,
  type IncidentPolicy,
  type LevelResult,
  type ReportDeadlines,
} from './incident.rules';
import { RootCauseService, windowHoursOf, type RootCauses } from './root-cause.service';

export interface IncidentRecord {
  id: string;
  ref: string;
  title: string;
  description: string | null;
  classification: string;
  status: string;
  occurredAt: number;
  detectedAt: number;
  resolvedAt: number | null;
  /** Provinces (省级分支机构) whose business is affected. */
  provinces: string[];
  declaredLevel: IncidentLevel | null;
  mergedInto: string | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
}

export interface AffectedSystem {
  id: string;
  code: string;
  name: string;
  importance: string | null;
  branchScope: string | null;
  recoveredAt: number | null;
  confirmedBy: string | null;
}

/** An incident with what is computed from it at the moment of reading. */
export interface IncidentView extends IncidentRecord {
  durationMinutes: number;
  level: LevelResult;
  highestImportance: string | null;
  affected: AffectedSystem[];
  deadlines: ReportDeadlines | null;
}

export interface RecordIncidentInput {
  ref: string;
  title: string;
  description?: string | null;
  classification: string;
  symptoms: string[];
  /** Business systems affected beyond those the symptoms reach. */
  affectedSystems?: string[] | null;
  /** Now when not given. */
  occurredAt?: number | null;
  detectedAt?: number | null;
  provinces?: string[] | null;
  declaredLevel?: IncidentLevel | null;
  linkedTickets?: string[] | null;
}

export interface UpdateIncidentInput {
  ref: string;
  provinces?: string[] | null;
  declaredLevel?: IncidentLevel | null;
  classification?: string | null;
  addSymptoms?: string[] | null;
  linkedTickets?: string[] | null;
}

/** The scenario-audit hook of the audits room (§7.1.4.3 b 重大事件): idempotent by key. */
export interface ScenarioAuditHook {
  triggerScenario(
    ctx: WriteContext,
    event: { scenario: 'MAJOR_INCIDENT'; key: string; ciIds: string[]; occurredAt: number; summary: string },
  ): Promise<unknown>;
}

const SEVERE: IncidentLevel[] = ['EXTRA_MAJOR', 'MAJOR'];
const BUSINESS_SYSTEM = 'BusinessSystem';

export function toIncident(p: Record<string, unknown>): IncidentRecord {
  return {
    id: p.id as string,
    ref: p.ref as string,
    title: p.title as string,
    description: (p.description as string | null) ?? null,
    classification: p.classification as string,
    status: p.status as string,
    occurredAt: p.occurredAt as number,
    detectedAt: p.detectedAt as number,
    resolvedAt: (p.resolvedAt as number | null) ?? null,
    provinces: (p.provinces as string[] | null) ?? [],
    declaredLevel: (p.declaredLevel as IncidentLevel | null) ?? null,
    mergedInto: (p.mergedInto as string | null) ?? null,
    createdAt: p.createdAt as number,
    createdBy: p.createdBy as string,
    updatedAt: p.updatedAt as number,
  };
}

export class IncidentService {
  private auditHook: ScenarioAuditHook | null = null;

  constructor(
    private readonly executor: Executor,
    private readonly model: ModelService,
    private readonly oplog: OpLogService,
    private readonly policies: PolicyStore<IncidentPolicy>,
    private readonly rootCauses: RootCauseService,
    private readonly propagation: Propagation,
  ) {}

  /** The audits room registers here; a MAJOR incident then opens its scenario audit. */
  onMajorIncident(hook: ScenarioAuditHook): void {
    this.auditHook = hook;
  }

  async get(ref: string, now = Date.now()): Promise<IncidentView> {
    const policy = (await this.policies.current()).policy;
    return this.executor.read(async (tx) => this.view(tx, await this.mustFind(tx, ref), policy, now));
  }

  /** Incidents linked to a ticket, or with a CI among their symptoms or affected systems; newest first, at most `limit`. */
  async related(of: { ticketId: string } | { ciId: string }, limit = 100): Promise<IncidentView[]> {
    const policy = (await this.policies.current()).policy;
    const now = Date.now();
    return this.executor.read(async (tx) => {
      const [query, id] =
        'ticketId' in of
          ? [INCIDENT_QUERIES.incidentsOfTicket, of.ticketId]
          : [INCIDENT_QUERIES.incidentsOfCi, of.ciId];
      const rows = await tx.run(query, { id, limit: int(limit) });
      return Promise.all(rows.map((r) => this.view(tx, toIncident(r.i as Record<string, unknown>), policy, now)));
    });
  }

  async list(statuses: string[] | null, first: number, after: string | null): Promise<Page<IncidentView>> {
    const policy = (await this.policies.current()).policy;
    const now = Date.now();
    return this.executor.read(async (tx) => {
      const page = await listPage(
        tx,
        INCIDENT_QUERIES.list,
        INCIDENT_QUERIES.count,
        'i',
        statuses?.length ? statuses : null,
        first,
        decodeCursor(after),
      );
      const items = await Promise.all(page.items.map((p) => this.view(tx, toIncident(p), policy, now)));
      const last = items[items.length - 1];
      return { ...page, items, endCursor: last ? encodeCursor(last.ref) : null };
    });
  }

  symptoms(id: string) {
    return this.executor.query(INCIDENT_QUERIES.symptoms, { id });
  }

  linkedTickets(id: string) {
    return this.executor.query(INCIDENT_QUERIES.linkedTickets, { id });
  }

  async record(ctx: WriteContext, input: RecordIncidentInput): Promise<IncidentView> {
    if (!TICKET_REF_PATTERN.test(input.ref ?? '')) {
      throw new ValidationError('ref must be 1–64 letters, digits or ._:/-', { field: 'ref' });
    }
    if (!input.title?.trim()) throw new ValidationError('title is required', { field: 'title' });
    if (!input.symptoms?.length) throw new ValidationError('name at least one symptom CI', { field: 'symptoms' });
    const occurredAt = input.occurredAt ?? ctx.at;
    if (occurredAt > ctx.at + 60_000) {
      throw new ValidationError('occurredAt must not be in the future', { field: 'occurredAt' });
    }
    const detectedAt = input.detectedAt ?? ctx.at;
    if (detectedAt < occurredAt) {
      throw new ValidationError('detectedAt must not be before occurredAt', { field: 'detectedAt' });
    }
    const model = await this.model.current();
    const policy = (await this.policies.current()).policy;
    const incident: IncidentRecord = {
      id: randomUUID(),
      ref: input.ref,
      title: input.title.trim(),
      description: input.description ?? null,
      classification: input.classification,
      status: 'OPEN',
      occurredAt,
      detectedAt,
      resolvedAt: null,
      provinces: normalise(input.provinces),
      declaredLevel: input.declaredLevel ?? null,
      mergedInto: null,
      createdAt: ctx.at,
      createdBy: ctx.actor,
      updatedAt: ctx.at,
    };
    const view = await this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      if ((await tx.run(INCIDENT_QUERIES.byRef, { ref: input.ref })).length) {
        throw new ConflictError(`incident ${input.ref} already exists`, { field: 'ref' });
      }
      // The business systems the symptoms reach now, as responders record it, are the ones affected.
      const reach = await this.propagation.walk(
        tx,
        model,
        input.symptoms,
        { flow: 'DOWNSTREAM', maxDepth: 6 },
        'symptoms',
      );
      const systemClasses = new Set(model.expandClasses([BUSINESS_SYSTEM]));
      const systems = [...reach.seeds, ...reach.reached].filter((c) => systemClasses.has(c.class)).map((c) => c.id);
      const extra = await this.idsOf(tx, input.affectedSystems ?? [], 'affectedSystems', systemClasses);
      await tx.run(INCIDENT_QUERIES.create, { props: incident });
      await tx.run(INCIDENT_QUERIES.addSymptoms, { id: incident.id, ciIds: reach.seeds.map((s) => s.id), at: ctx.at });
      await tx.run(INCIDENT_QUERIES.addAffected, {
        id: incident.id,
        ciIds: [...new Set([...systems, ...extra])],
        at: ctx.at,
      });
      await this.link(tx, incident.id, input.linkedTickets ?? []);
      await this.oplog.record(tx, ctx, [
        {
          action: 'INCIDENT_RECORD',
          targetType: 'TICKET',
          targetId: incident.id,
          ciIds: reach.seeds.map((s) => s.id),
          before: null,
          after: { ...incident, symptoms: input.symptoms },
        },
      ]);
      return this.view(tx, incident, policy, ctx.at);
    });
    await this.auditIfSevere(ctx, view);
    return view;
  }

  async update(ctx: WriteContext, input: UpdateIncidentInput): Promise<IncidentView> {
    const policy = (await this.policies.current()).policy;
    const view = await this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const current = await this.mustFind(tx, input.ref);
      if (current.status !== 'OPEN') {
        throw new ValidationError(`incident ${current.ref} is ${current.status}`, { field: 'ref' });
      }
      const props: Partial<IncidentRecord> = { updatedAt: ctx.at };
      if (input.provinces) props.provinces = normalise(input.provinces);
      if (input.declaredLevel !== undefined) props.declaredLevel = input.declaredLevel;
      if (input.classification) props.classification = input.classification;
      await tx.run(INCIDENT_QUERIES.update, { id: current.id, props });
      if (input.addSymptoms?.length) {
        const ids = await this.idsOf(tx, input.addSymptoms, 'addSymptoms');
        await tx.run(INCIDENT_QUERIES.addSymptoms, { id: current.id, ciIds: ids, at: ctx.at });
      }
      await this.link(tx, current.id, input.linkedTickets ?? []);
      await this.oplog.record(tx, ctx, [
        {
          action: 'INCIDENT_UPDATE',
          targetType: 'TICKET',
          targetId: current.id,
          ciIds: [],
          before: {
            provinces: current.provinces,
            declaredLevel: current.declaredLevel,
            classification: current.classification,
          },
          after: { ...props, addSymptoms: input.addSymptoms ?? [], linkedTickets: input.linkedTickets ?? [] },
        },
      ]);
      return this.view(tx, { ...current, ...props }, policy, ctx.at);
    });
    await this.auditIfSevere(ctx, view);
    return view;
  }

  /** §9.1.5.3: a business owner confirms one affected system is back. */
  async confirmRecovery(ctx: WriteContext, ref: string, system: string): Promise<IncidentView> {
    const policy = (await this.policies.current()).policy;
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const current = await this.mustFind(tx, ref);
      if (current.status !== 'OPEN')
        throw new ValidationError(`incident ${current.ref} is ${current.status}`, { field: 'incident' });
      const [row] = await tx.run(INCIDENT_QUERIES.confirmRecovery, {
        id: current.id,
        code: system,
        at: ctx.at,
        actor: ctx.actor,
      });
      if (!row)
        throw new NotFoundError(`${system} is not a system affected by incident ${current.ref}`, { field: 'system' });
      await this.oplog.record(tx, ctx, [
        {
          action: 'INCIDENT_RECOVERY',
          targetType: 'TICKET',
          targetId: current.id,
          ciIds: [],
          before: null,
          after: { system },
        },
      ]);
      return this.view(tx, current, policy, ctx.at);
    });
  }

  /** Resolves an incident, refused while an affected system is not confirmed recovered. */
  async resolve(ctx: WriteContext, ref: string, resolvedAt: number | null): Promise<IncidentView> {
    const policy = (await this.policies.current()).policy;
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const current = await this.mustFind(tx, ref);
      if (current.status !== 'OPEN')
        throw new ValidationError(`incident ${current.ref} is ${current.status}`, { field: 'incident' });
      const at = resolvedAt ?? ctx.at;
      if (at < current.occurredAt || at > ctx.at + 60_000) {
        throw new ValidationError('resolvedAt must be between occurrence and now', { field: 'resolvedAt' });
      }
      const affected = await tx.run(INCIDENT_QUERIES.affected, { id: current.id });
      const waiting = affected.filter((a) => a.recoveredAt === null).map((a) => a.code as string);
      if (waiting.length) {
        throw new ValidationError(
          `incident ${current.ref} cannot resolve before every affected system is confirmed recovered (§9.1.5.3); waiting for ${waiting.join(', ')}`,
          { field: 'incident', waiting },
        );
      }
      const props = { status: 'RESOLVED', resolvedAt: at, updatedAt: ctx.at };
      await tx.run(INCIDENT_QUERIES.update, { id: current.id, props });
      await this.oplog.record(tx, ctx, [
        {
          action: 'INCIDENT_RESOLVE',
          targetType: 'TICKET',
          targetId: current.id,
          ciIds: [],
          before: { status: current.status },
          after: props,
        },
      ]);
      return this.view(tx, { ...current, ...props }, policy, ctx.at);
    });
  }

  /** Merges duplicates into one incident: every symptom and affected system moves over; the others point to it. */
  async merge(ctx: WriteContext, into: string, from: string[]): Promise<IncidentView> {
    if (!from.length) throw new ValidationError('name the incidents to merge', { field: 'from' });
    const policy = (await this.policies.current()).policy;
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const target = await this.mustFind(tx, into);
      if (target.status !== 'OPEN')
        throw new ValidationError(`incident ${target.ref} is ${target.status}`, { field: 'into' });
      const merged: IncidentRecord[] = [];
      for (const [i, ref] of from.entries()) {
        const other = await this.mustFind(tx, ref, `from[${i}]`);
        if (other.id === target.id)
          throw new ValidationError('an incident cannot merge into itself', { field: `from[${i}]` });
        if (other.status !== 'OPEN')
          throw new ValidationError(`incident ${other.ref} is ${other.status}`, { field: `from[${i}]` });
        await tx.run(INCIDENT_QUERIES.moveSymptoms, { fromId: other.id, intoId: target.id, at: ctx.at });
        await tx.run(INCIDENT_QUERIES.moveAffected, { fromId: other.id, intoId: target.id, at: ctx.at });
        await tx.run(INCIDENT_QUERIES.update, {
          id: other.id,
          props: { status: 'MERGED', mergedInto: target.ref, updatedAt: ctx.at },
        });
        merged.push(other);
      }
      const occurredAt = Math.min(target.occurredAt, ...merged.map((m) => m.occurredAt));
      const provinces = normalise([...target.provinces, ...merged.flatMap((m) => m.provinces)]);
      const props = { occurredAt, provinces, updatedAt: ctx.at };
      await tx.run(INCIDENT_QUERIES.update, { id: target.id, props });
      await this.oplog.record(tx, ctx, [
        {
          action: 'INCIDENT_MERGE',
          targetType: 'TICKET',
          targetId: target.id,
          ciIds: [],
          before: {
            into: { occurredAt: target.occurredAt, provinces: target.provinces },
            from: merged.map((m) => m.ref),
          },
          after: props,
        },
      ]);
      return this.view(tx, { ...target, ...props }, policy, ctx.at);
    });
  }

  /** Root-cause candidates for an incident, as of its occurrence. */
  async rootCausesOf(
    ref: string,
    options: { maxDepth?: number | null; windowHours?: number | null },
  ): Promise<RootCauses> {
    const policy = (await this.policies.current()).policy;
    const incident = await this.executor.read((tx) => this.mustFind(tx, ref, 'incident'));
    const symptoms = (await this.symptoms(incident.id)).map((s) => s.code as string);
    return this.rootCauses.find({
      symptoms,
      at: incident.occurredAt,
      maxDepth: options.maxDepth,
      windowHours: windowHoursOf(policy, options.windowHours),
      incidentId: incident.id,
    });
  }

  /** Open incidents whose top root-cause candidate is the same CI and which occurred close together (§9.1.5.2 a). */
  async duplicates(): Promise<{ cause: string; incidents: IncidentView[] }[]> {
    const policy = (await this.policies.current()).policy;
    const open = (await this.executor.query(INCIDENT_QUERIES.open, { limit: int(200) })).map((r) =>
      toIncident(r.i as Record<string, unknown>),
    );
    const tops = new Map<string, IncidentRecord[]>();
    for (const incident of open) {
      const result = await this.rootCausesOf(incident.ref, {}).catch((e: unknown) => {
        // Symptoms recorded that did not exist when the incident occurred: no cause to compare it by.
        if (e instanceof NotFoundError && e.details.rule === 'NOT_YET_CREATED') return null;
        throw e;
      });
      const top = result?.candidates[0];
      if (top) tops.set(top.code, [...(tops.get(top.code) ?? []), incident]);
    }
    const window = policy.duplicateWindowHours * 3_600_000;
    const groups: { cause: string; incidents: IncidentRecord[] }[] = [];
    for (const [cause, list] of tops) {
      // Chain incidents that occurred within the window of the previous one.
      let current: IncidentRecord[] = [];
      for (const incident of list.sort((a, b) => a.occurredAt - b.occurredAt)) {
        if (current.length && incident.occurredAt - current[current.length - 1].occurredAt > window) {
          if (current.length > 1) groups.push({ cause, incidents: current });
          current = [];
        }
        current.push(incident);
      }
      if (current.length > 1) groups.push({ cause, incidents: current });
    }
    const now = Date.now();
    return this.executor.read(async (tx) =>
      Promise.all(
        groups.map(async (g) => ({
          cause: g.cause,
          incidents: await Promise.all(g.incidents.map((i) => this.view(tx, i, policy, now))),
        })),
      ),
    );
  }

  /** MAJOR and above still being worked, by the report due soonest (§9.1.6.3). */
  async reportsDue(now = Date.now()): Promise<{ incident: IncidentView; nextDue: number; overdue: boolean }[]> {
    const policy = (await this.policies.current()).policy;
    return this.executor.read(async (tx) => {
      const rows = await tx.run(INCIDENT_QUERIES.live);
      const views = await Promise.all(
        rows.map((r) => this.view(tx, toIncident(r.i as Record<string, unknown>), policy, now)),
      );
      return views
        .filter((v) => v.deadlines)
        .map((v) => {
          const nextDue = now < v.deadlines!.report ? v.deadlines!.report : v.deadlines!.writtenReport;
          return { incident: v, nextDue, overdue: nextDue < now };
        })
        .sort((a, b) => a.nextDue - b.nextDue || (a.incident.ref < b.incident.ref ? -1 : 1));
    });
  }

  private async view(tx: Tx, incident: IncidentRecord, policy: IncidentPolicy, now: number): Promise<IncidentView> {
    const affected = (await tx.run(INCIDENT_QUERIES.affected, { id: incident.id })).map((r) => ({
      id: r.id as string,
      code: r.code as string,
      name: r.name as string,
      importance: (r.importance as string | null) ?? null,
      branchScope: (r.branchScope as string | null) ?? null,
      recoveredAt: (r.recoveredAt as number | null) ?? null,
      confirmedBy: (r.confirmedBy as string | null) ?? null,
    }));
    const highestImportance =
      affected
        .map((a) => a.importance)
        .filter((i): i is Importance => IMPORTANCES.includes(i as Importance))
        .sort((a, b) => IMPORTANCES.indexOf(a) - IMPORTANCES.indexOf(b))[0] ?? null;
    const end = incident.resolvedAt ?? now;
    const durationMinutes = Math.max(0, Math.floor((end - incident.occurredAt) / 60_000));
    const level = incidentLevel(
      {
        highestImportance,
        provinces: incident.provinces.length,
        minutes: durationMinutes,
        declared: incident.declaredLevel,
      },
      policy.levels,
    );
    return {
      ...incident,
      durationMinutes,
      level,
      highestImportance,
      affected,
      deadlines: reportDeadlines(level.level, incident.occurredAt, policy),
    };
  }

  private async auditIfSevere(ctx: WriteContext, view: IncidentView): Promise<void> {
    if (!this.auditHook || !SEVERE.includes(view.level.level)) return;
    const symptoms = await this.symptoms(view.id);
    await this.auditHook.triggerScenario(ctx, {
      scenario: 'MAJOR_INCIDENT',
      key: `MAJOR_INCIDENT:${view.ref}`,
      ciIds: [...symptoms.map((s) => s.id as string), ...view.affected.map((a) => a.id)],
      occurredAt: view.occurredAt,
      summary: `${view.level.level} incident ${view.ref}: ${view.title}`,
    });
  }

  private async mustFind(tx: Tx, ref: string, field = 'ref'): Promise<IncidentRecord> {
    const [row] = await tx.run(INCIDENT_QUERIES.byRef, { ref });
    if (!row) throw new NotFoundError(`no incident ${ref}`, { field });
    return toIncident(row.i as Record<string, unknown>);
  }

  private async idsOf(tx: Tx, codes: string[], field: string, classes?: Set<string>): Promise<string[]> {
    if (!codes.length) return [];
    const rows = await tx.run(
      'UNWIND $codes AS code OPTIONAL MATCH (c:CI {code: code}) RETURN code, c.id AS id, c.class AS class',
      {
        codes,
      },
    );
    const missing = rows.filter((r) => r.id === null).map((r) => r.code as string);
    if (missing.length) throw new NotFoundError(`no CI has code ${missing.join(', ')}`, { field });
    const wrong = classes ? rows.find((r) => !classes.has(r.class as string)) : undefined;
    if (wrong) throw new ValidationError(`${wrong.code} is a ${wrong.class}, not a business system`, { field });
    return rows.map((r) => r.id as string);
  }

  private async link(tx: Tx, id: string, refs: string[]): Promise<void> {
    for (const [i, ref] of refs.entries()) {
      const [row] = await tx.run(INCIDENT_QUERIES.linkTicket, { id, ref });
      if (!row) throw new NotFoundError(`no ticket ${ref} to link`, { field: `linkedTickets[${i}]` });
    }
  }
}

function normalise(provinces: readonly string[] | null | undefined): string[] {
  return [...new Set((provinces ?? []).map((p) => p.trim()).filter(Boolean))].sort();
}
