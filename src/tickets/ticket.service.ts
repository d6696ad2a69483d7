// Tickets room: records the ITSM tickets that authorise configuration changes and decides, for
// every manual write, whether a ticket covers it (§7.1.3 c, §7.1.4.2.1); separation of duties (§7.2.5).

import { randomUUID } from 'node:crypto';
import { Role } from '../platform/auth/roles';
import { ChangeRequiredError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination';
import type { OpLogService, OpRecord, WriteContext } from '../oplog/oplog.service';
import { TICKET_QUERIES, TicketRepository, ticketProps, toTicket, type TicketApproval } from './ticket.repository';
import {
  authorisesWrites,
  FINAL_STATES,
  SCOPE_FROZEN_STATES,
  type ChangeDetails,
  type Ticket,
  type TicketKind,
  type TicketState,
} from './ticket.types';
import { checkMove, WORK_APPROVER, type Person } from './ticket.workflow';

export const TICKET_REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;

export interface OpenTicketInput {
  kind: TicketKind;
  ref: string;
  title: string;
  description?: string | null;
  /** Codes of the CIs the ticket may change. */
  scope?: string[] | null;
  /** Refs of related tickets, recorded incidents or problems (the incident a change fixes, the problem behind it…). */
  linked?: string[] | null;
  /** `initiator`: only the ITSM platform records a change on behalf of the person who raised it. */
  change?: Partial<Omit<ChangeDetails, 'scopeChangedAt' | 'approvalRound'>> | null;
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

/**
 * What a write changes, for the tickets that authorise only some writes: `managementOnly` when it
 * touches nothing but management attributes (the owner, contacts, service levels: §7.1.4.2.1 e), which a
 * service request may fulfil; `what` names the write in a refusal ("a lifecycle change", "the name").
 */
export interface WriteWhat {
  managementOnly: boolean;
  what: string;
}

export const STRUCTURAL_WRITE: WriteWhat = { managementOnly: false, what: 'a change of CIs or relationships' };

/** What several writes of one batch change together. */
export function combineWrites(writes: readonly WriteWhat[]): WriteWhat {
  const structural = writes.filter((w) => !w.managementOnly);
  return structural.length
    ? { managementOnly: false, what: structural.map((w) => w.what).join('; ') }
    : { managementOnly: true, what: 'management attributes' };
}

/** Runs inside a ticket's state change, in its transaction: what it writes commits or fails with it. */
export type TransitionListener = (tx: Tx, ctx: WriteContext, before: Ticket, after: Ticket) => Promise<void>;

/**
 * What the changes room decides for a change's workflow, in the write's transaction: whether its
 * assessment stands when it leaves assessment, and which approval a person may give (§7.2.5.2–3).
 */
export interface ChangeGate {
  beforeSubmission(tx: Tx, ticket: Ticket, to: TicketState): Promise<void>;
  /** The approval this person gives now (its stage), and whether it is the last one needed; or a refusal. */
  approval(
    tx: Tx,
    ctx: WriteContext,
    ticket: Ticket,
    given: TicketApproval[],
  ): Promise<{ stage: string; final: boolean }>;
}

const CONFIG_ROLES: readonly Role[] = [Role.CONFIG_MANAGER, Role.CONFIG_ADMIN];

/** A person acting through the API (roles known and not the ITSM platform), as against a tool or the service. */
function isPerson(ctx: WriteContext): boolean {
  return ctx.roles !== undefined && !ctx.roles.includes(Role.ITSM);
}

function personOf(ctx: WriteContext): Person {
  return { id: ctx.actor, roles: ctx.roles };
}

/** Checks a new ticket and makes its record: the first state of its kind, opened by `ctx.actor`. */
export function newTicket(ctx: WriteContext, input: OpenTicketInput): Ticket {
  if (!TICKET_REF_PATTERN.test(input.ref ?? '')) {
    throw new ValidationError('ref must be 1–64 letters, digits or ._:/- and start with a letter or digit', {
      field: 'ref',
    });
  }
  if (!input.title?.trim()) throw new ValidationError('title is required', { field: 'title' });
  if (input.change?.initiator && input.change.initiator !== ctx.actor && isPerson(ctx)) {
    throw new ForbiddenError(
      'the initiator of a change is the person who raises it: leave change.initiator out (only the ITSM platform records a change on behalf of its initiator)',
      { field: 'change.initiator', rule: 'INITIATOR_IS_CALLER', clause: '§7.2.5.1' },
    );
  }
  const change =
    input.kind === 'CHANGE' ? changeDetails(input.change?.initiator ?? ctx.actor, input.change ?? {}) : null;
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
    // A person's ticket authorises nothing until someone else approves it; the ITSM platform's were approved there.
    state: input.kind === 'CHANGE' ? 'DRAFT' : isPerson(ctx) ? 'PENDING_APPROVAL' : 'OPEN',
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

/** The operation-log record of a ticket's move from its state to `state`. */
export function ticketStateRecord(ticket: Ticket, state: TicketState): OpRecord {
  return {
    action: 'TICKET_STATE',
    targetType: 'TICKET',
    targetId: ticket.id,
    ciIds: [],
    before: { state: ticket.state },
    after: { state },
  };
}

export class TicketService {
  private readonly repo = new TicketRepository();
  /** Called on every state change (the baselines room captures a change's baseline at IMPLEMENTING). */
  readonly onTransition: TransitionListener[] = [];
  /** Set by the composition root: the changes room's rules for assessment and approval. */
  changeGate: ChangeGate | null = null;

  constructor(
    private readonly executor: Executor,
    private readonly oplog: OpLogService,
  ) {}

  async get(ref: string): Promise<Ticket> {
    const ticket = await this.executor.read((tx) => this.repo.find(tx, ref));
    if (!ticket) throw new NotFoundError(`no ticket ${ref}`, { field: 'ticket' });
    return ticket;
  }

  /** A ticket read in the caller's transaction, or null. */
  find(tx: Tx, ref: string): Promise<Ticket | null> {
    return this.repo.find(tx, ref);
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

  /** Approvals given to a ticket, every round, oldest first. */
  approvals(id: string): Promise<TicketApproval[]> {
    return this.executor.read((tx) => this.repo.approvals(tx, id));
  }

  /** Who actually wrote configuration under a ticket (from the operation log): a change's implementers. */
  writers(ref: string): Promise<string[]> {
    return this.executor.read((tx) => this.oplog.writersUnder(tx, ref));
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
      for (const [i, ref] of (input.linked ?? []).entries()) {
        if (!(await this.repo.link(tx, ticket.id, ref)))
          throw new NotFoundError(`no ticket, incident or problem ${ref} to link`, { field: `linked[${i}]` });
      }
      await this.oplog.record(tx, { ...ctx, ticket: ticket.ref }, [ticketOpenRecord(ticket, ciIds, input.scope ?? [])]);
      return ticket;
    });
  }

  /**
   * Moves a ticket along its workflow (ticket.workflow.ts): the move must exist for its kind and state,
   * the person must be one who may make it, and a change leaving assessment must have an assessment
   * that stands. Approval is not a move anyone makes: see `approve`.
   */
  async transition(ctx: WriteContext, ref: string, state: TicketState): Promise<Ticket> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const ticket = await this.mustFind(tx, ref);
      const writers = ticket.change ? await this.oplog.writersUnder(tx, ticket.ref) : [];
      checkMove(ticket, state, personOf(ctx), { writers });
      if (ticket.change && ticket.state === 'ASSESSING' && (state === 'APPROVAL' || state === 'APPROVED')) {
        await this.gate().beforeSubmission(tx, ticket, state);
      }
      return this.applyState(tx, ctx, ticket, state);
    });
  }

  /**
   * Approves a ticket (§7.2.5.3, §7.1.3 c). A change in APPROVAL takes the approvals its grade needs
   * (the changes room decides which this person gives, and refuses inside a freeze or short of the lead
   * time); it is APPROVED with the last one. Another kind's ticket opened by a person is approved by
   * someone else holding the approving role of its kind, and is then OPEN.
   */
  async approve(ctx: WriteContext, ref: string, comment: string | null = null): Promise<Ticket> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const ticket = await this.mustFind(tx, ref);
      let stage: string;
      let next: TicketState | null;
      let round = 0;
      if (ticket.change) {
        if (ticket.state !== 'APPROVAL') {
          throw new ValidationError(
            `change ${ticket.ref} is ${ticket.state}: only a change in APPROVAL can be approved (${ticket.state === 'ASSESSING' ? 'its assessor submits it first' : 'see its workflow'})`,
            { field: 'ticket', rule: 'WORKFLOW_ORDER', clause: '§7.2.5.3' },
          );
        }
        round = ticket.change.approvalRound;
        const given = await this.repo.approvals(tx, ticket.id, round);
        const decision = await this.gate().approval(tx, ctx, ticket, given);
        stage = decision.stage;
        next = decision.final ? 'APPROVED' : null;
      } else {
        if (ticket.state !== 'PENDING_APPROVAL') {
          throw new ValidationError(`ticket ${ticket.ref} is ${ticket.state}: there is nothing to approve`, {
            field: 'ticket',
            rule: 'WORKFLOW_ORDER',
            clause: '§7.1.3 c',
          });
        }
        const approver = WORK_APPROVER[ticket.kind as Exclude<TicketKind, 'CHANGE'>];
        if (ctx.actor === ticket.createdBy) {
          throw new ForbiddenError(
            `${ctx.actor} opened ticket ${ticket.ref} and may not approve it: another ${approver} approves it (§7.1.3 c)`,
            { field: 'ticket', rule: 'APPROVER_NOT_OPENER', clause: '§7.1.3 c' },
          );
        }
        if (ctx.roles !== undefined && !ctx.roles.includes(approver)) {
          throw new ForbiddenError(`a ${ticket.kind} ticket is approved by a ${approver} (§7.1.3 c)`, {
            field: 'ticket',
            rule: 'APPROVER_ROLE',
            clause: '§7.1.3 c',
          });
        }
        stage = approver;
        next = 'OPEN';
      }
      const approval: TicketApproval = { round, stage, actor: ctx.actor, at: ctx.at, comment };
      await this.repo.approve(tx, ticket.id, approval);
      await this.oplog.record(tx, { ...ctx, ticket: ticket.ref }, [
        {
          action: 'TICKET_APPROVE',
          targetType: 'TICKET',
          targetId: ticket.id,
          ciIds: [],
          before: null,
          after: { ...approval },
        },
      ]);
      return next ? this.applyState(tx, ctx, ticket, next) : ticket;
    });
  }

  async assignRoles(ctx: WriteContext, input: AssignChangeRolesInput): Promise<Ticket> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const ticket = await this.mustFind(tx, input.ticket);
      if (!ticket.change) throw new ValidationError(`ticket ${ticket.ref} is not a change`, { field: 'ticket' });
      if (FINAL_STATES.includes(ticket.state) || ticket.state === 'REVIEW') {
        throw new ValidationError(`change ${ticket.ref} is ${ticket.state}: its people are final`, {
          field: 'ticket',
          rule: 'WORKFLOW_ORDER',
          clause: '§7.2.5',
        });
      }
      const mayAssign =
        ctx.roles === undefined ||
        ctx.roles.includes(Role.OPS_MANAGER) ||
        ctx.roles.includes(Role.ITSM) ||
        ctx.actor === ticket.change.initiator;
      if (!mayAssign) {
        throw new ForbiddenError(
          `the people of change ${ticket.ref} are named by its initiator or an OPS_MANAGER (§7.2.5.1 d)`,
          { field: 'ticket', rule: 'WORKFLOW_ACTOR', clause: '§7.2.5.1 d' },
        );
      }
      if (input.assessor && !['DRAFT', 'ASSESSING'].includes(ticket.state)) {
        throw new ValidationError(`change ${ticket.ref} has left assessment: its assessor is final`, {
          field: 'assessor',
          rule: 'WORKFLOW_ORDER',
          clause: '§7.2.5.2',
        });
      }
      const change: ChangeDetails = {
        ...ticket.change,
        assessor: input.assessor ?? ticket.change.assessor,
        implementer: input.implementer ?? ticket.change.implementer,
        reviewer: input.reviewer ?? ticket.change.reviewer,
      };
      assertSeparation(change);
      if (change.reviewer && (await this.oplog.writersUnder(tx, ticket.ref)).includes(change.reviewer)) {
        throw new ForbiddenError(
          `${change.reviewer} wrote under change ${ticket.ref} and may not review it (§7.2.5.4)`,
          { field: 'reviewer', rule: 'REVIEWER_NOT_IMPLEMENTER', clause: '§7.2.5.4' },
        );
      }
      const roles = { assessor: change.assessor, implementer: change.implementer, reviewer: change.reviewer };
      await tx.run(TICKET_QUERIES.update, { id: ticket.id, props: { ...roles, updatedAt: ctx.at } });
      await this.oplog.record(tx, { ...ctx, ticket: ticket.ref }, [
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

  /**
   * Adds CIs to a ticket's scope or removes them. A change's scope is frozen from approval on (§7.2.5.4
   * a); while it is assessed, a new scope needs a new assessment. An open work ticket's scope grows only
   * by its approving role or the ITSM platform, so nobody widens what was approved.
   */
  async changeScope(ctx: WriteContext, ref: string, add: string[], remove: string[]): Promise<Ticket> {
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const ticket = await this.mustFind(tx, ref);
      if (FINAL_STATES.includes(ticket.state)) {
        throw new ValidationError(`ticket ${ticket.ref} is ${ticket.state}: its scope is final`, { field: 'ticket' });
      }
      if (ticket.change && SCOPE_FROZEN_STATES.includes(ticket.state)) {
        throw new ValidationError(
          `change ${ticket.ref} is ${ticket.state}: its scope was frozen at approval. Take it back to assessment (transitionTicket to ASSESSING) and have the new blast radius assessed, or cancel it and raise a new change (§7.2.5.4 a)`,
          { field: 'ticket', rule: 'SCOPE_FROZEN', clause: '§7.2.5.4 a' },
        );
      }
      if (!ticket.change && add.length && authorisesWrites(ticket.kind, ticket.state) && isPerson(ctx)) {
        const approver = WORK_APPROVER[ticket.kind as Exclude<TicketKind, 'CHANGE'>];
        if (!ctx.roles!.includes(approver)) {
          throw new ForbiddenError(
            `ticket ${ticket.ref} is approved and open: only a ${approver} (or the ITSM platform) widens its scope (§7.1.3 c)`,
            { field: 'add', rule: 'SCOPE_APPROVED', clause: '§7.1.3 c' },
          );
        }
      }
      const added = await this.resolveCodes(tx, add, 'add');
      const removed = await this.resolveCodes(tx, remove, 'remove');
      await tx.run(TICKET_QUERIES.addScope, { id: ticket.id, ciIds: added, at: ctx.at, actor: ctx.actor });
      await tx.run(TICKET_QUERIES.removeScope, { id: ticket.id, ciIds: removed });
      const next: Ticket = ticket.change
        ? { ...ticket, change: { ...ticket.change, scopeChangedAt: ctx.at }, updatedAt: ctx.at }
        : ticket;
      if (ticket.change) {
        await tx.run(TICKET_QUERIES.update, { id: ticket.id, props: { scopeChangedAt: ctx.at, updatedAt: ctx.at } });
      }
      await this.oplog.record(tx, { ...ctx, ticket: ticket.ref }, [
        {
          action: 'TICKET_SCOPE',
          targetType: 'TICKET',
          targetId: ticket.id,
          ciIds: [...added, ...removed],
          before: null,
          after: { add, remove },
        },
      ]);
      return next;
    });
  }

  /**
   * Change control (§7.1.3 c), inside the caller's write transaction: the ticket the write cites must
   * exist, be active, and hold in its scope every CI in `mustHold` (and at least one of each group in
   * `oneOf`, for relationships); the person must be one the ticket lets write (a change's implementer,
   * configuration roles under audits and initialisations), and a service request fulfils only
   * management attributes unless a change in implementation that it links holds the CIs. Refuses with
   * CHANGE_REQUIRED naming the CI, the rule and what would authorise it.
   */
  async authorise(
    tx: Tx,
    ctx: WriteContext,
    mustHold: TouchedCI[],
    oneOf: TouchedCI[][] = [],
    writes: WriteWhat = STRUCTURAL_WRITE,
  ): Promise<Ticket> {
    const first = mustHold[0] ?? oneOf[0]?.[0];
    const what = first ? `CI ${first.code}` : 'this write';
    const refuse = (message: string, rule: string, clause: string, ci = first?.code ?? null): never => {
      throw new ChangeRequiredError(message, { field: 'ticket', ci, rule, clause });
    };
    if (!ctx.ticket) {
      return refuse(
        `${what} may change only under a ticket: cite a change in implementation, or an open incident, release, service request or audit whose scope holds it`,
        'TICKET_REQUIRED',
        '§7.1.3 c',
      );
    }
    const ticket = await this.repo.find(tx, ctx.ticket);
    if (!ticket)
      return refuse(`no ticket ${ctx.ticket}: ${what} needs an existing, active ticket`, 'TICKET_REQUIRED', '§7.1.3 c');
    if (!authorisesWrites(ticket.kind, ticket.state)) {
      const needed =
        ticket.kind === 'CHANGE'
          ? 'IMPLEMENTING (approved, then started by its implementer)'
          : 'OPEN or IN_PROGRESS (approved)';
      refuse(
        `ticket ${ticket.ref} is ${ticket.state}; it authorises ${what} only while ${needed}`,
        'TICKET_NOT_ACTIVE',
        ticket.kind === 'CHANGE' ? '§7.2.5.4' : '§7.1.3 c',
      );
    }
    const ids = [...new Set([...mustHold, ...oneOf.flat()].map((c) => c.id))];
    const rows = ids.length ? await tx.run(TICKET_QUERIES.scopeHolds, { id: ticket.id, ciIds: ids }) : [];
    const inScope = new Set(rows.filter((r) => r.inScope).map((r) => r.ciId as string));
    const outside =
      mustHold.find((c) => !inScope.has(c.id)) ?? oneOf.find((group) => !group.some((c) => inScope.has(c.id)))?.[0];
    if (outside) {
      refuse(
        `CI ${outside.code} is not in the scope of ticket ${ticket.ref}: add it to the ticket's scope, or cite a ticket that covers it`,
        'OUTSIDE_SCOPE',
        '§7.1.3 c',
        outside.code,
      );
    }
    await this.assertWriter(tx, ctx, ticket, ids, writes, refuse);
    return ticket;
  }

  /** Who may write under this ticket, and what. */
  private async assertWriter(
    tx: Tx,
    ctx: WriteContext,
    ticket: Ticket,
    ciIds: string[],
    writes: WriteWhat,
    refuse: (message: string, rule: string, clause: string) => never,
  ): Promise<void> {
    const c = ticket.change;
    if (c && ctx.actor !== c.implementer) {
      refuse(
        `${ctx.actor} is not the implementer of change ${ticket.ref} (${c.implementer}): only the named implementer writes under it; an OPS_MANAGER or its initiator names another with assignChangeRoles (§7.2.5.4)`,
        'IMPLEMENTER_ONLY',
        '§7.2.5.4',
      );
    }
    if ((ticket.kind === 'AUDIT' || ticket.kind === 'INITIALIZATION') && ctx.roles !== undefined) {
      if (!ctx.roles.some((r) => CONFIG_ROLES.includes(r))) {
        refuse(
          `writes under ${ticket.kind === 'AUDIT' ? 'an audit' : 'an initialisation'} (${ticket.ref}) are made by the configuration manager or administrator (§7.1.4.2.2, §7.1.4.3)`,
          'CONFIG_ROLE_ONLY',
          ticket.kind === 'AUDIT' ? '§7.1.4.3' : '§7.1.4.2.2',
        );
      }
    }
    if (ticket.kind === 'SERVICE_REQUEST' && !writes.managementOnly) {
      if (!(await this.repo.implementingChangeHolding(tx, ticket.id, ciIds, ctx.actor))) {
        refuse(
          `service request ${ticket.ref} fulfils only management attributes (the owner, contacts, service levels: §7.1.4.2.1 e), not ${writes.what}: raise a change, or link this request to a change in implementation whose scope holds the CI and write as its implementer`,
          'REQUEST_MANAGEMENT_ONLY',
          '§7.1.4.2.1 e',
        );
      }
    }
  }

  /** CIs created under a ticket join its scope. */
  async joinScope(tx: Tx, ctx: WriteContext, ticket: Ticket, ciIds: string[]): Promise<void> {
    if (ciIds.length) await tx.run(TICKET_QUERIES.addScope, { id: ticket.id, ciIds, at: ctx.at, actor: ctx.actor });
  }

  /**
   * Moves a ticket to `state` in the caller's transaction, as the workflow allowed: a change entering
   * APPROVAL starts a new approval round; listeners run; the log records the move under the ticket.
   */
  private async applyState(tx: Tx, ctx: WriteContext, ticket: Ticket, state: TicketState): Promise<Ticket> {
    const props: Record<string, unknown> = { state, updatedAt: ctx.at };
    let change = ticket.change;
    if (change && state === 'APPROVAL') {
      change = { ...change, approvalRound: change.approvalRound + 1 };
      props.approvalRound = change.approvalRound;
    }
    const next: Ticket = { ...ticket, state, updatedAt: ctx.at, change };
    await tx.run(TICKET_QUERIES.update, { id: ticket.id, props });
    for (const listener of this.onTransition) await listener(tx, ctx, ticket, next);
    await this.oplog.record(tx, { ...ctx, ticket: ticket.ref }, [ticketStateRecord(ticket, state)]);
    return next;
  }

  private gate(): ChangeGate {
    if (!this.changeGate) throw new Error('no change gate: the composition root sets TicketService.changeGate');
    return this.changeGate;
  }

  private async mustFind(tx: Tx, ref: string): Promise<Ticket> {
    const ticket = await this.repo.find(tx, ref);
    if (!ticket) throw new NotFoundError(`no ticket ${ref}`, { field: 'ticket' });
    return ticket;
  }

  private async resolveCodes(tx: Tx, codes: string[], field: string): Promise<string[]> {
    const { ids, missing } = await this.repo.idsOf(tx, codes);
    if (missing !== null) throw new NotFoundError(`no CI has code ${missing}`, { field });
    return ids;
  }
}

function changeDetails(initiator: string, input: NonNullable<OpenTicketInput['change']>): ChangeDetails {
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
    emergencyReason: input.emergencyReason?.trim() || null,
    scopeChangedAt: null,
    approvalRound: 0,
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
