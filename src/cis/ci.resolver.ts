// GraphQL in and out for CIs and relationships. Reads need READ_CMDB, writes WRITE_CI; the
// actor of every write is the token's subject.

import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageArgs } from '../platform/graphql/page';
import { encodeCursor } from '../platform/pagination';
import { writeContextOf, type RequestContext } from '../platform/server/context';
import { ValidationError } from '../platform/errors';
import { DirectionEnum } from '../model/model.graphql';
import { TicketType } from '../tickets/ticket.graphql';
import { ticketView } from '../tickets/ticket.resolver';
import type { CIRecord, RelationRecord } from './ci.repository';
import type { CIAsOf } from './ci.service';
import {
  ChangeLifecycleInput,
  CIConnection,
  CIFilterInput,
  CIType,
  CIVersionType,
  CreateCIInput,
  OperationLogEntryType,
  RelationInput,
  RelationType,
  RetireCIInput,
  UpdateCIInput,
} from './ci.graphql';

export function ciView(ci: CIRecord, asOf: number | null = null): CIType {
  return {
    ...ci,
    createdAt: new Date(ci.createdAt),
    updatedAt: new Date(ci.updatedAt),
    retiredAt: ci.retiredAt === null ? null : new Date(ci.retiredAt),
    asOf: asOf === null ? null : new Date(asOf),
  };
}

function relationView(r: RelationRecord, asOf: number | null = null): RelationType {
  return {
    ...r,
    since: new Date(r.since),
    until: r.until === null ? null : new Date(r.until),
    other: ciView(r.other, asOf),
  };
}

function parseJson(text: string | null): Record<string, unknown> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
}

function moment(value: Date | undefined | null): number | null {
  if (!value) return null;
  if (value.getTime() > Date.now()) throw new ValidationError('asOf is in the future', { field: 'asOf' });
  return value.getTime();
}

@Resolver(() => CIType)
export class CIResolver {
  @Authorized(Permission.READ_CMDB)
  @Query(() => CIType, { description: 'One CI by id or code, now or as of a past moment' })
  async ci(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string,
    @Arg('code', () => String, { nullable: true }) code?: string,
    @Arg('asOf', () => Date, { nullable: true }) asOf?: Date,
  ): Promise<CIType> {
    const ci: CIAsOf = await ctx.services.cis.get({ id, code }, moment(asOf));
    return ciView(ci, ci.asOf);
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => CIConnection, { description: 'CIs by filter, ordered by code, paginated with an exact total' })
  async cis(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => CIFilterInput, { nullable: true }) filter?: CIFilterInput,
  ): Promise<CIConnection> {
    const result = await ctx.services.cis.list(filter ?? {}, page.first, page.after ?? null);
    return {
      totalCount: result.totalCount,
      edges: result.items.map((ci) => ({ cursor: encodeCursor(ci.code), node: ciView(ci) })),
      pageInfo: { hasNextPage: result.hasNextPage, endCursor: result.endCursor },
    };
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [RelationType], { description: 'Relationships in both directions, as of the CI’s moment' })
  async relations(
    @Root() ci: CIType,
    @Ctx() ctx: RequestContext,
    @Arg('direction', () => DirectionEnum, { nullable: true }) direction?: 'OUT' | 'IN',
    @Arg('types', () => [String], { nullable: true }) types?: string[],
  ): Promise<RelationType[]> {
    const all = await ctx.services.cis.relations(ci.id, ci.asOf ? ci.asOf.getTime() : null);
    return all
      .filter((r) => (!direction || r.direction === direction) && (!types || types.includes(r.type)))
      .map((r) => relationView(r, ci.asOf ? ci.asOf.getTime() : null));
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [CIVersionType], { description: 'Every recorded version, oldest first' })
  async versions(@Root() ci: CIType, @Ctx() ctx: RequestContext): Promise<CIVersionType[]> {
    const rows = await ctx.services.cis.versions(ci.id);
    return rows.map((r) => ({
      version: r.version as number,
      validFrom: new Date(r.validFrom as number),
      validTo: r.validTo === null ? null : new Date(r.validTo as number),
      state: JSON.parse(r.state as string) as Record<string, unknown>,
    }));
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [OperationLogEntryType], {
    description: 'The operation-log entries about this CI, oldest first',
  })
  async history(@Root() ci: CIType, @Ctx() ctx: RequestContext): Promise<OperationLogEntryType[]> {
    const entries = await ctx.services.cis.history(ci.id);
    return entries.map((e) => ({ ...e, at: new Date(e.at), before: parseJson(e.before), after: parseJson(e.after) }));
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [TicketType], {
    description: 'Changes, incidents, releases, requests and audits whose scope holds this CI (§7.1.4.1 e)',
  })
  async tickets(@Root() ci: CIType, @Ctx() ctx: RequestContext): Promise<TicketType[]> {
    return (await ctx.services.tickets.ofCi(ci.id)).map(ticketView);
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => CIType, {
    description: 'Creates a CI, optionally with its relationships, validated against the model',
  })
  async createCI(@Ctx() ctx: RequestContext, @Arg('input', () => CreateCIInput) input: CreateCIInput): Promise<CIType> {
    return ciView(await ctx.services.cis.create(writeContextOf(ctx, input.ticket), input));
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => CIType, { description: 'Updates name, owner or attributes; names the version it expects' })
  async updateCI(@Ctx() ctx: RequestContext, @Arg('input', () => UpdateCIInput) input: UpdateCIInput): Promise<CIType> {
    return ciView(await ctx.services.cis.update(writeContextOf(ctx, input.ticket), input));
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => CIType, { description: 'Moves a CI to another lifecycle state, checking the state’s baseline' })
  async changeLifecycle(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => ChangeLifecycleInput) input: ChangeLifecycleInput,
  ): Promise<CIType> {
    return ciView(await ctx.services.cis.changeLifecycle(writeContextOf(ctx, input.ticket), input));
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => CIType, { description: 'Retires a CI 退役: a state, never a deletion' })
  async retireCI(@Ctx() ctx: RequestContext, @Arg('input', () => RetireCIInput) input: RetireCIInput): Promise<CIType> {
    const model = await ctx.services.model.current();
    return ciView(
      await ctx.services.cis.changeLifecycle(writeContextOf(ctx, input.ticket), {
        ...input,
        state: model.retiredState,
      }),
    );
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => RelationType, { description: 'Creates a relationship, checking allowed classes and cardinality' })
  async createRelation(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RelationInput) input: RelationInput,
  ): Promise<RelationType> {
    return relationView(await ctx.services.cis.createRelation(writeContextOf(ctx, input.ticket), input));
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => RelationType, { description: 'Ends an active relationship; it stays in history' })
  async endRelation(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RelationInput) input: RelationInput,
  ): Promise<RelationType> {
    return relationView(await ctx.services.cis.endRelation(writeContextOf(ctx, input.ticket), input));
  }
}
