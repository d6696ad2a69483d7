// GraphQL in and out for tickets: any reader sees them; operations, configuration, change
// assessment and problem roles record them and move them along.

import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageArgs } from '../platform/graphql/page';
import { encodeCursor } from '../platform/pagination';
import { writeContextOf, type RequestContext } from '../platform/server/context';
import { ValidationError } from '../platform/errors';
import { authorisesWrites, type Ticket, type TicketKind } from './ticket.types';
import { nextStates } from './ticket.workflow';
import {
  AssignChangeRolesInput,
  OpenTicketInput,
  ScopeItemType,
  TicketConnection,
  TicketFilterInput,
  TicketApprovalType,
  TicketScopeInput,
  TicketStateEnum,
  TicketType,
} from './ticket.graphql';
import { dateOrNull } from '../platform/graphql/values';

export function ticketView(t: Ticket): TicketType {
  return {
    ...t,
    active: authorisesWrites(t.kind, t.state),
    createdAt: new Date(t.createdAt),
    updatedAt: new Date(t.updatedAt),
    change: t.change
      ? {
          ...t.change,
          plannedStart: dateOrNull(t.change.plannedStart),
          plannedEnd: dateOrNull(t.change.plannedEnd),
          rollbackEnd: dateOrNull(t.change.rollbackEnd),
        }
      : null,
  };
}

@Resolver(() => TicketType)
export class TicketResolver {
  @Authorized(Permission.READ_CMDB)
  @Query(() => TicketType, { description: 'A ticket by id or ITSM reference' })
  async ticket(@Ctx() ctx: RequestContext, @Arg('ref', () => String) ref: string): Promise<TicketType> {
    return ticketView(await ctx.services.tickets.get(ref));
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => TicketConnection, { description: 'Tickets by kind and state, ordered by reference' })
  async tickets(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => TicketFilterInput, { nullable: true }) filter?: TicketFilterInput,
  ): Promise<TicketConnection> {
    const result = await ctx.services.tickets.list(filter ?? {}, page.first, page.after ?? null);
    return {
      totalCount: result.totalCount,
      edges: result.items.map((t) => ({ cursor: encodeCursor(t.ref), node: ticketView(t) })),
      pageInfo: { hasNextPage: result.hasNextPage, endCursor: result.endCursor },
    };
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [ScopeItemType], { description: 'The CIs this ticket may change' })
  async scope(@Root() ticket: TicketType, @Ctx() ctx: RequestContext): Promise<ScopeItemType[]> {
    return (await ctx.services.tickets.scope(ticket.id)) as unknown as ScopeItemType[];
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [TicketType], { description: 'Related tickets, both ways' })
  async linked(@Root() ticket: TicketType, @Ctx() ctx: RequestContext): Promise<TicketType[]> {
    return (await ctx.services.tickets.linked(ticket.id)).map(ticketView);
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => TicketType, { description: 'Records a ticket from the ITSM platform; the caller is the initiator' })
  async openTicket(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => OpenTicketInput) input: OpenTicketInput,
  ): Promise<TicketType> {
    if (input.kind === 'CHANGE' && !input.change) {
      throw new ValidationError('a change needs its details (category, subtype…)', { field: 'change' });
    }
    const change = input.change
      ? {
          ...input.change,
          emergencyReason: input.change.emergencyReason ?? null,
          plannedStart: input.change.plannedStart?.getTime() ?? null,
          plannedEnd: input.change.plannedEnd?.getTime() ?? null,
          rollbackEnd: input.change.rollbackEnd?.getTime() ?? null,
        }
      : null;
    return ticketView(await ctx.services.tickets.open(writeContextOf(ctx), { ...input, change }));
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [TicketApprovalType], { description: 'Approvals given, every round, oldest first' })
  async approvals(@Root() ticket: TicketType, @Ctx() ctx: RequestContext): Promise<TicketApprovalType[]> {
    return (await ctx.services.tickets.approvals(ticket.id)).map((a) => ({ ...a, at: new Date(a.at) }));
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [String], {
    description:
      'Who actually wrote configuration under the ticket, from the operation log: a change’s implementers (§7.2.5.4)',
  })
  async implementedBy(@Root() ticket: TicketType, @Ctx() ctx: RequestContext): Promise<string[]> {
    return ctx.services.tickets.writers(ticket.ref);
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [TicketStateEnum], {
    description:
      'The states transitionTicket may move it to next, by the workflow of its kind (who may: see the README)',
  })
  nextStates(@Root() ticket: TicketType): string[] {
    return nextStates(ticket.kind as TicketKind, ticket.state);
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => TicketType, {
    description:
      'Approves a ticket: a change in APPROVAL by the approvers its grade needs (§7.2.5.3), another kind’s ticket opened by a person by another person holding its approving role (§7.1.3 c)',
  })
  async approveTicket(
    @Ctx() ctx: RequestContext,
    @Arg('ticket', () => String) ticket: string,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<TicketType> {
    if (comment !== undefined && comment !== null && comment.length > 2000) {
      throw new ValidationError('comment must be at most 2,000 characters', { field: 'comment' });
    }
    return ticketView(await ctx.services.tickets.approve(writeContextOf(ctx), ticket, comment ?? null));
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => TicketType, {
    description: 'Moves a ticket along its workflow; who may make each move is in the README (approval: approveTicket)',
  })
  async transitionTicket(
    @Ctx() ctx: RequestContext,
    @Arg('ticket', () => String) ticket: string,
    @Arg('state', () => TicketStateEnum) state: (typeof TicketStateEnum)[keyof typeof TicketStateEnum],
  ): Promise<TicketType> {
    return ticketView(await ctx.services.tickets.transition(writeContextOf(ctx), ticket, state));
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => TicketType, { description: 'Names the assessor, implementer and reviewer of a change' })
  async assignChangeRoles(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => AssignChangeRolesInput) input: AssignChangeRolesInput,
  ): Promise<TicketType> {
    return ticketView(await ctx.services.tickets.assignRoles(writeContextOf(ctx), input));
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => TicketType, { description: 'Adds CIs to, or removes them from, a ticket’s scope' })
  async changeTicketScope(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => TicketScopeInput) input: TicketScopeInput,
  ): Promise<TicketType> {
    return ticketView(
      await ctx.services.tickets.changeScope(writeContextOf(ctx), input.ticket, input.add ?? [], input.remove ?? []),
    );
  }
}
