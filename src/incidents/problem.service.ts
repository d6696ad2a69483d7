// Problems 问题 (§9.2): the cause behind incidents, with its root-cause CI, known error and workaround.
// Open problems and known errors are evidence in root-cause lookup.

import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination';
import { int } from '../platform/neo4j/mappers';
import type { OpLogService, WriteContext } from '../oplog/oplog.service';
import { TICKET_REF_PATTERN } from '../tickets/ticket.service';
import { INCIDENT_QUERIES, listPage } from './incident.repository';
import { toIncident, type IncidentRecord } from './incident.service';

export interface ProblemRecord {
  id: string;
  ref: string;
  title: string;
  description: string | null;
  status: string;
  level: string;
  knownError: string | null;
  workaround: string | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
}

export interface ProblemInput {
  ref: string;
  title?: string | null;
  description?: string | null;
  status?: string | null;
  level?: string | null;
  knownError?: string | null;
  workaround?: string | null;
  /** Code of the root-cause CI. */
  rootCause?: string | null;
  /** Incidents this problem is behind. */
  incidents?: string[] | null;
}

const PROBLEM_TRANSITIONS: Record<string, string[]> = {
  OPEN: ['KNOWN_ERROR', 'RESOLVED', 'CLOSED'],
  KNOWN_ERROR: ['RESOLVED', 'CLOSED'],
  RESOLVED: ['CLOSED', 'OPEN'],
};

const toProblem = (p: Record<string, unknown>) => p as unknown as ProblemRecord;

export class ProblemService {
  constructor(
    private readonly executor: Executor,
    private readonly oplog: OpLogService,
  ) {}

  async get(ref: string): Promise<ProblemRecord> {
    return this.executor.read((tx) => this.mustFind(tx, ref));
  }

  async list(statuses: string[] | null, first: number, after: string | null): Promise<Page<ProblemRecord>> {
    const page = await this.executor.read((tx) =>
      listPage(
        tx,
        INCIDENT_QUERIES.problems,
        INCIDENT_QUERIES.problemCount,
        'p',
        statuses?.length ? statuses : null,
        first,
        decodeCursor(after),
      ),
    );
    const items = page.items.map(toProblem);
    const last = items[items.length - 1];
    return { ...page, items, endCursor: last ? encodeCursor(last.ref) : null };
  }

  async rootCause(id: string): Promise<string | null> {
    const [row] = await this.executor.query(INCIDENT_QUERIES.problemRootCauseOf, { id });
    return row ? (row.code as string) : null;
  }

  async incidents(id: string): Promise<IncidentRecord[]> {
    const rows = await this.executor.query(INCIDENT_QUERIES.incidentsOfProblem, { id });
    return rows.map((r) => toIncident(r.i as Record<string, unknown>));
  }

  /** Problems linked to a ticket, or behind a CI (its root cause, or a symptom of their incidents); at most `limit`. */
  async related(of: { ticketId: string } | { ciId: string }, limit = 100): Promise<ProblemRecord[]> {
    const [query, id] =
      'ticketId' in of ? [INCIDENT_QUERIES.problemsOfTicket, of.ticketId] : [INCIDENT_QUERIES.problemsOfCi, of.ciId];
    const rows = await this.executor.query(query, { id, limit: int(limit) });
    return rows.map((r) => toProblem(r.p as Record<string, unknown>));
  }

  async problemsOf(incidentId: string): Promise<ProblemRecord[]> {
    return (await this.executor.query(INCIDENT_QUERIES.problemsOf, { id: incidentId })).map((r) =>
      toProblem(r.p as Record<string, unknown>),
    );
  }

  async open(ctx: WriteContext, input: ProblemInput): Promise<ProblemRecord> {
    if (!TICKET_REF_PATTERN.test(input.ref ?? '')) {
      throw new ValidationError('ref must be 1–64 letters, digits or ._:/-', { field: 'ref' });
    }
    if (!input.title?.trim()) throw new ValidationError('title is required', { field: 'title' });
    const problem: ProblemRecord = {
      id: randomUUID(),
      ref: input.ref,
      title: input.title.trim(),
      description: input.description ?? null,
      status: input.status ?? 'OPEN',
      level: input.level ?? 'GENERAL',
      knownError: input.knownError ?? null,
      workaround: input.workaround ?? null,
      createdAt: ctx.at,
      createdBy: ctx.actor,
      updatedAt: ctx.at,
    };
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      if ((await tx.run(INCIDENT_QUERIES.problemByRef, { ref: input.ref })).length) {
        throw new ConflictError(`problem ${input.ref} already exists`, { field: 'ref' });
      }
      await tx.run(INCIDENT_QUERIES.problemCreate, { props: problem });
      await this.links(tx, problem.id, input);
      await this.oplog.record(tx, ctx, [
        {
          action: 'PROBLEM_OPEN',
          targetType: 'TICKET',
          targetId: problem.id,
          ciIds: [],
          before: null,
          after: { ...problem, rootCause: input.rootCause ?? null },
        },
      ]);
      return problem;
    });
  }

  async update(ctx: WriteContext, input: ProblemInput): Promise<ProblemRecord> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const current = await this.mustFind(tx, input.ref);
      if (
        input.status &&
        input.status !== current.status &&
        !(PROBLEM_TRANSITIONS[current.status] ?? []).includes(input.status)
      ) {
        throw new ValidationError(
          `problem ${current.ref} cannot go from ${current.status} to ${input.status}; allowed: ${(PROBLEM_TRANSITIONS[current.status] ?? []).join(', ') || 'none'}`,
          { field: 'status' },
        );
      }
      const props: Partial<ProblemRecord> = { updatedAt: ctx.at };
      for (const key of ['title', 'description', 'status', 'level', 'knownError', 'workaround'] as const) {
        if (input[key] !== undefined && input[key] !== null) props[key] = input[key]!;
      }
      // Recording a known error moves an open problem to KNOWN_ERROR (§9.2 已知错误).
      if (props.knownError && current.status === 'OPEN' && !input.status) props.status = 'KNOWN_ERROR';
      await tx.run(INCIDENT_QUERIES.problemUpdate, { id: current.id, props });
      await this.links(tx, current.id, input);
      await this.oplog.record(tx, ctx, [
        {
          action: 'PROBLEM_UPDATE',
          targetType: 'TICKET',
          targetId: current.id,
          ciIds: [],
          before: current,
          after: props,
        },
      ]);
      return { ...current, ...props };
    });
  }

  private async links(tx: Tx, id: string, input: ProblemInput): Promise<void> {
    if (input.rootCause) {
      const [ci] = await tx.run('MATCH (c:CI {code: $code}) RETURN c.id AS id', { code: input.rootCause });
      if (!ci) throw new NotFoundError(`no CI has code ${input.rootCause}`, { field: 'rootCause' });
      await tx.run(INCIDENT_QUERIES.problemRootCause, { id, ciId: ci.id });
    }
    for (const [i, ref] of (input.incidents ?? []).entries()) {
      const [row] = await tx.run(INCIDENT_QUERIES.byRef, { ref });
      if (!row) throw new NotFoundError(`no incident ${ref}`, { field: `incidents[${i}]` });
      await tx.run(INCIDENT_QUERIES.linkProblem, { id: (row.i as { id: string }).id, problemId: id });
    }
  }

  private async mustFind(tx: Tx, ref: string): Promise<ProblemRecord> {
    const [row] = await tx.run(INCIDENT_QUERIES.problemByRef, { ref });
    if (!row) throw new NotFoundError(`no problem ${ref}`, { field: 'ref' });
    return toProblem(row.p as Record<string, unknown>);
  }
}
