// Tickets room: records the ITSM tickets that authorise configuration changes and decides, for
// every manual write, whether a ticket covers it (§7.1.3 c, §7.1.4.2.1); separation of duties (§7.2.5).

import { randomUUID } from 'node:crypto';
import { ChangeRequiredError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination';
import type { OpLogService, OpRecord, WriteContext } from '../oplog/oplog.service';
import { TICKET_QUERIES, TicketRepository, ticketProps, toTicket } from './ticket.repository';
import {
  allowedTransitions,
  authorisesWrites,
  initialState,
  type ChangeDetails,
  type Ticket,
  type TicketKind,
  type TicketState,
} from './ticket.types';

export const TICKET_REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;

export interface OpenTicketInput {
  kind: TicketKind;
  ref: string;
  title: string;
  description?: string | null;
  /** Codes of the CIs the ticket may change. */
  scope?: string[] | null;
  /** Refs of related tickets (the incident a change fixes, the problem behind it…). */
  linked?: string[] | null;
  change?: Partial<Omit<ChangeDetails, 'initiator'>> | null;
}

export interface AssignChangeRolesInput {
  ticket: string;
  assessor?: string | null;
  implementer?: string | null;
  reviewer?: string | null;
}

/** A CI a write touches, as the authorisation check needs it. */
export interface TouchedCI {
  id: string;
  code: string;
}

/** Runs inside a ticket's state change, in its transaction: what it writes commits or fails with it. */
export type TransitionListener = (tx: Tx, ctx: WriteContext, before: Ticket, after: Ticket) => Promise<void>;

/** Checks a new ticket and makes its record: the first state of its kind, opened by `ctx.actor`. */
export function newTicket(ctx: WriteContext, input: OpenTicketInput): Ticket {
  if (!TICKET_REF_PATTERN.test(input.ref ?? '')) {
    throw new ValidationError('ref must be 1–64 letters, digits or ._:/- and start with a letter or digit', {
      field: 'ref',
    });
  }
  if (!input.title?.trim()) throw new ValidationError('title is required', { field: 'title' });
  const change = input.kind === 'CHANGE' ? changeDetails(ctx.actor, input.change ?? {}) : null;
  if (input.kind !== 'CHANGE' && input.change) {
    throw new ValidationError('change details belong only to tickets of kind CHANGE', { field: 'change' });
  }
  if (change) assertSeparation(change);
  return {
    id: randomUUID(),
    kind: input.kind,
    ref: input.ref,
    title: input.title.trim(),
    description: input.description ?? null,
    state: initialState(input.kind),
    createdAt: ctx.at,
    createdBy: ctx.actor,
    updatedAt: ctx.at,
    change,
  };
}

/** The operation-log record of a ticket's opening; `scope`: the codes it was opened with. */
export function ticketOpenRecord(ticket: Ticket, ciIds: string[], scope: string[]): OpRecord {
  return {
    action: 'TICKET_OPEN',
    targetType: 'TICKET',
    targetId: ticket.id,
    ciIds,
    before: null,
    after: { ...ticketProps(ticket), scope },
  };
}

export class TicketService {
  private readonly repo = new TicketRepository();
  /** Called on every state change (the baselines room captures a change's baseline at IMPLEMENTING). */
  readonly onTransition: TransitionListener[] = [];

  constructor(
    private readonly executor: Executor,
    private readonly oplog: OpLogService,
  ) {}

  async get(ref: string): Promise<Ticket> {
    const ticket = await this.executor.read((tx) => this.repo.find(tx, ref));
    if (!ticket) throw new NotFoundError(`no ticket ${ref}`, { field: 'ticket' });
    return ticket;
  }

  async list(
    filter: { kinds?: string[] | null; states?: string[] | null },
    first: number,
    after: string | null,
  ): Promise<Page<Ticket>> {
    const page = await this.executor.read((tx) => this.repo.list(tx, filter, first, decodeCursor(after)));
    const last = page.items[page.items.length - 1];
    return { ...page, endCursor: last ? encodeCursor(last.ref) : null };
  }

  scope(id: string) {
    return this.executor.read((tx) => tx.run(TICKET_QUERIES.scope, { id }));
  }

  async linked(id: string): Promise<Ticket[]> {
    const rows = await this.executor.read((tx) => tx.run(TICKET_QUERIES.linked, { id }));
    return rows.map((r) => toTicket(r.t as Record<string, unknown>));
  }

  /** The tickets whose scope holds a CI: its related changes, incidents… (§7.1.4.1 e). */
  async ofCi(ciId: string): Promise<Ticket[]> {
    const rows = await this.executor.read((tx) => tx.run(TICKET_QUERIES.ciTickets, { ciId }));
    return rows.map((r) => toTicket(r.t as Record<string, unknown>));
  }

  async open(ctx: WriteContext, input: OpenTicketInput): Promise<Ticket> {
    const ticket = newTicket(ctx, input);
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      if (await this.repo.find(tx, ticket.ref))
        throw new ConflictError(`ticket ${ticket.ref} already exists`, { field: 'ref' });
      await tx.run(TICKET_QUERIES.create, { props: ticketProps(ticket) });
      const ciIds = await this.resolveCodes(tx, input.scope ?? [], 'scope');
      await tx.run(TICKET_QUERIES.addScope, { id: ticket.id, ciIds, at: ctx.at, actor: ctx.actor });
      for (const ref of input.linked ?? []) {
        const other = await this.repo.find(tx, ref);
        if (!other) throw new NotFoundError(`no ticket ${ref} to link`, { field: 'linked' });
        await tx.run(TICKET_QUERIES.link, { id: ticket.id, other: other.id });
      }
      await this.oplog.record(tx, ctx, [ticketOpenRecord(ticket, ciIds, input.scope ?? [])]);
      return ticket;
    });
  }

  /** Moves a ticket through its state machine; a change's approval and closure respect separation of duties. */
  async transition(ctx: WriteContext, ref: string, state: TicketState): Promise<Ticket> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const ticket = await this.mustFind(tx, ref);
      const allowed = allowedTransitions(ticket.kind, ticket.state);
      if (!allowed.includes(state)) {
        throw new ValidationError(
          `ticket ${ticket.ref} cannot go from ${ticket.state} to ${state}; allowed: ${allowed.join(', ') || 'none'}`,
          {
            field: 'state',
          },
        );
      }
      const c = ticket.change;
      if (c && state === 'ASSESSING' && !c.assessor) {
        throw new ValidationError(`change ${ticket.ref} needs an assessor before assessment`, { field: 'state' });
      }
      if (c && state === 'APPROVED' && ctx.actor === c.initiator) {
        throw new ForbiddenError(`the initiator of change ${ticket.ref} may not approve it (§7.2.5.2)`, {
          field: 'state',
        });
      }
      if (c && state === 'IMPLEMENTING' && !c.implementer) {
        throw new ValidationError(`change ${ticket.ref} needs an implementer before implementation`, {
          field: 'state',
        });
      }
      if (c && ['CLOSED', 'FAILED', 'ROLLED_BACK'].includes(state)) {
        if (!c.reviewer)
          throw new ValidationError(`change ${ticket.ref} needs a reviewer before it closes`, { field: 'state' });
        if (ctx.actor === c.implementer) {
          throw new ForbiddenError(`the implementer of change ${ticket.ref} may not review and close it (§7.2.5.4)`, {
            field: 'state',
          });
        }
      }
      const next: Ticket = { ...ticket, state, updatedAt: ctx.at };
      await tx.run(TICKET_QUERIES.update, { id: ticket.id, props: { state, updatedAt: ctx.at } });
      for (const listener of this.onTransition) await listener(tx, ctx, ticket, next);
      await this.oplog.record(tx, ctx, [
        {
          action: 'TICKET_STATE',
          targetType: 'TICKET',
          targetId: ticket.id,
          ciIds: [],
          before: { state: ticket.state },
          after: { state },
        },
      ]);
      return next;
    });
  }

  async assignRoles(ctx: WriteContext, input: AssignChangeRolesInput): Promise<Ticket> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const ticket = await this.mustFind(tx, input.ticket);
      if (!ticket.change) throw new ValidationError(`ticket ${ticket.ref} is not a change`, { field: 'ticket' });
      if (['CLOSED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(ticket.state)) {
        throw new ValidationError(`change ${ticket.ref} is ${ticket.state}`, { field: 'ticket' });
      }
      const change: ChangeDetails = {
        ...ticket.change,
        assessor: input.assessor ?? ticket.change.assessor,
        implementer: input.implementer ?? ticket.change.implementer,
        reviewer: input.reviewer ?? ticket.change.reviewer,
      };
      assertSeparation(change);
      const roles = { assessor: change.assessor, implementer: change.implementer, reviewer: change.reviewer };
      await tx.run(TICKET_QUERIES.update, { id: ticket.id, props: { ...roles, updatedAt: ctx.at } });
      await this.oplog.record(tx, ctx, [
        {
          action: 'TICKET_ROLES',
          targetType: 'TICKET',
          targetId: ticket.id,
          ciIds: [],
          before: {
            assessor: ticket.change.assessor,
            implementer: ticket.change.implementer,
            reviewer: ticket.change.reviewer,
          },
          after: roles,
        },
      ]);
      return { ...ticket, change, updatedAt: ctx.at };
    });
  }

  async changeScope(ctx: WriteContext, ref: string, add: string[], remove: string[]): Promise<Ticket> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const ticket = await this.mustFind(tx, ref);
      if (['CLOSED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(ticket.state)) {
        throw new ValidationError(`ticket ${ticket.ref} is ${ticket.state}: its scope is final`, { field: 'ticket' });
      }
      const added = await this.resolveCodes(tx, add, 'add');
      const removed = await this.resolveCodes(tx, remove, 'remove');
      await tx.run(TICKET_QUERIES.addScope, { id: ticket.id, ciIds: added, at: ctx.at, actor: ctx.actor });
      await tx.run(TICKET_QUERIES.removeScope, { id: ticket.id, ciIds: removed });
      await this.oplog.record(tx, ctx, [
        {
          action: 'TICKET_SCOPE',
          targetType: 'TICKET',
          targetId: ticket.id,
          ciIds: [...added, ...removed],
          before: null,
          after: { add, remove },
        },
      ]);
      return ticket;
    });
  }

  /**
   * Change control (§7.1.3 c), inside the caller's write transaction: the ticket the write cites must
   * exist, be active, and hold in its scope every CI in `mustHold` (and at least one of each group in
   * `oneOf`, for relationships). Refuses with CHANGE_REQUIRED naming the CI and what would authorise it.
   */
  async authorise(tx: Tx, ctx: WriteContext, mustHold: TouchedCI[], oneOf: TouchedCI[][] = []): Promise<Ticket> {
    const first = mustHold[0] ?? oneOf[0]?.[0];
    const what = first ? `CI ${first.code}` : 'this write';
    if (!ctx.ticket) {
      throw new ChangeRequiredError(
        `${what} may change only under a ticket: cite an approved or implementing change, or an open incident, release, service request or audit whose scope holds it`,
        { field: 'ticket', ci: first?.code ?? null },
      );
    }
    const ticket = await this.repo.find(tx, ctx.ticket);
    if (!ticket)
      throw new ChangeRequiredError(`no ticket ${ctx.ticket}: ${what} needs an existing, active ticket`, {
        field: 'ticket',
      });
    if (!authorisesWrites(ticket.kind, ticket.state)) {
      const needed = ticket.kind === 'CHANGE' ? 'APPROVED or IMPLEMENTING' : 'OPEN or IN_PROGRESS';
      throw new ChangeRequiredError(
        `ticket ${ticket.ref} is ${ticket.state}; it authorises ${what} only while ${needed}`,
        {
          field: 'ticket',
          ci: first?.code ?? null,
        },
      );
    }
    const ids = [...new Set([...mustHold, ...oneOf.flat()].map((c) => c.id))];
    const rows = ids.length ? await tx.run(TICKET_QUERIES.scopeHolds, { id: ticket.id, ciIds: ids }) : [];
    const inScope = new Set(rows.filter((r) => r.inScope).map((r) => r.ciId as string));
    const outside =
      mustHold.find((c) => !inScope.has(c.id)) ?? oneOf.find((group) => !group.some((c) => inScope.has(c.id)))?.[0];
    if (outside) {
      throw new ChangeRequiredError(
        `CI ${outside.code} is not in the scope of ticket ${ticket.ref}: add it to the ticket's scope, or cite a ticket that covers it`,
        { field: 'ticket', ci: outside.code },
      );
    }
    return ticket;
  }

  /** CIs created under a ticket join its scope. */
  async joinScope(tx: Tx, ctx: WriteContext, ticket: Ticket, ciIds: string[]): Promise<void> {
    if (ciIds.length) await tx.run(TICKET_QUERIES.addScope, { id: ticket.id, ciIds, at: ctx.at, actor: ctx.actor });
  }

  private async mustFind(tx: Tx, ref: string): Promise<Ticket> {
    const ticket = await this.repo.find(tx, ref);
    if (!ticket) throw new NotFoundError(`no ticket ${ref}`, { field: 'ticket' });
    return ticket;
  }

  private async resolveCodes(tx: Tx, codes: string[], field: string): Promise<string[]> {
    if (!codes.length) return [];
    const rows = await tx.run('UNWIND $codes AS code OPTIONAL MATCH (c:CI {code: code}) RETURN code, c.id AS id', {
      codes,
    });
    const missing = rows.find((r) => r.id === null);
    if (missing) throw new NotFoundError(`no CI has code ${missing.code}`, { field });
    return rows.map((r) => r.id as string);
  }
}

function changeDetails(initiator: string, input: Partial<Omit<ChangeDetails, 'initiator'>>): ChangeDetails {
  if (!input.category)
    throw new ValidationError('a change needs its category (APPLICATION or INFRASTRUCTURE)', {
      field: 'change.category',
    });
  if (!input.subtype) throw new ValidationError('a change needs its subtype', { field: 'change.subtype' });
  const { plannedStart = null, plannedEnd = null, rollbackEnd = null, expectedOutageMinutes = null } = input;
  if (expectedOutageMinutes !== null && (!Number.isInteger(expectedOutageMinutes) || expectedOutageMinutes < 0)) {
    throw new ValidationError('expectedOutageMinutes must be a whole number of minutes, 0 or more', {
      field: 'change.expectedOutageMinutes',
    });
  }
  if (plannedStart !== null && plannedEnd !== null && plannedEnd <= plannedStart) {
    throw new ValidationError('plannedEnd must be after plannedStart', { field: 'change.plannedEnd' });
  }
  if (rollbackEnd !== null && plannedEnd !== null && rollbackEnd < plannedEnd) {
    throw new ValidationError('rollbackEnd must not be before plannedEnd', { field: 'change.rollbackEnd' });
  }
  return {
    category: input.category,
    subtype: input.subtype,
    emergency: input.emergency ?? false,
    complexity: input.complexity ?? 'MEDIUM',
    plannedStart,
    plannedEnd,
    rollbackEnd,
    expectedOutageMinutes,
    initiator,
    assessor: input.assessor ?? null,
    implementer: input.implementer ?? null,
    reviewer: input.reviewer ?? null,
    drFollowUp: input.drFollowUp ?? false,
  };
}

/** §7.2.5.2: the assessor is not the initiator; §7.2.5.4: the reviewer is not the implementer. */
function assertSeparation(c: ChangeDetails): void {
  if (c.assessor && c.assessor === c.initiator) {
    throw new ForbiddenError(`${c.assessor} initiated this change and may not assess it (§7.2.5.2)`, {
      field: 'assessor',
    });
  }
  if (c.reviewer && c.reviewer === c.implementer) {
    throw new ForbiddenError(`${c.reviewer} implements this change and may not review it (§7.2.5.4)`, {
      field: 'reviewer',
    });
  }
}
