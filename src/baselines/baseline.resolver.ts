// GraphQL in and out for baselines: any reader reads, compares and runs the compliance report; CI
// writers capture. No operation updates or deletes a baseline.

import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageArgs } from '../platform/graphql/page';
import { decodeCursor, encodeCursor } from '../platform/pagination';
import { writeContextOf, type RequestContext } from '../platform/server/context';
import { TicketType } from '../tickets/ticket.graphql';
import type { Ticket } from '../tickets/ticket.types';
import type { Comparison, ComparisonSide } from './baseline.service';
import type { Difference } from './baseline.diff';
import {
  BaselineCIConnection,
  BaselineCompareInput,
  BaselineComparisonType,
  BaselineConnection,
  BaselineDifferenceConnection,
  BaselineFilterInput,
  BaselineRelationConnection,
  BaselineType,
  CaptureBaselineInput,
  ComplianceFilterInput,
  ComplianceReportType,
  baselineView,
  type ComparisonSideType,
} from './baseline.graphql';

function sideView(s: ComparisonSide): ComparisonSideType {
  return {
    baseline: s.baseline ? baselineView(s.baseline) : null,
    asOf: new Date(s.asOf),
    ciCount: s.ciCount,
    relationCount: s.relationCount,
  };
}

function comparisonView(c: Comparison): BaselineComparisonType {
  return {
    from: sideView(c.from),
    to: sideView(c.to),
    classes: c.classes,
    counts: c.counts,
    byClass: c.byClass,
    all: c.differences,
  };
}

/** Keyset paging of an in-memory list ordered by `keyOf`. */
function pageOf<T>(items: readonly T[], keyOf: (t: T) => string, page: PageArgs) {
  const after = decodeCursor(page.after);
  const start = after === null ? 0 : items.findIndex((t) => keyOf(t) > after);
  const from = start < 0 ? items.length : start;
  const slice = items.slice(from, from + page.first);
  return {
    totalCount: items.length,
    nodes: slice,
    pageInfo: {
      hasNextPage: from + page.first < items.length,
      endCursor: slice.length ? encodeCursor(keyOf(slice[slice.length - 1])) : null,
    },
  };
}

@Resolver(() => BaselineType)
export class BaselineResolver {
  @Authorized(Permission.WRITE_CI)
  @Mutation(() => BaselineType, {
    description:
      'Captures a baseline of a scope now or as of a past moment. Baselines are immutable: no operation edits or deletes one',
  })
  async captureBaseline(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => CaptureBaselineInput) input: CaptureBaselineInput,
  ): Promise<BaselineType> {
    const b = await ctx.services.baselines.capture(writeContextOf(ctx, null, 'manual'), {
      name: input.name,
      description: input.description ?? null,
      scope: input.scope,
      asOf: input.asOf?.getTime() ?? null,
    });
    return baselineView(b);
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => BaselineType, { description: 'A baseline by id' })
  async baseline(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<BaselineType> {
    return baselineView(await ctx.services.baselines.get(id));
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => BaselineConnection, { description: 'Baselines, newest first' })
  async baselines(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => BaselineFilterInput, { nullable: true }) filter?: BaselineFilterInput,
  ): Promise<BaselineConnection> {
    const r = await ctx.services.baselines.list(filter ?? {}, page.first, page.after ?? null);
    return {
      totalCount: r.totalCount,
      nodes: r.items.map(baselineView),
      pageInfo: { hasNextPage: r.hasNextPage, endCursor: r.endCursor },
    };
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => BaselineComparisonType, {
    description:
      'Compares a baseline with another baseline, a past moment or now (its scope re-evaluated then): CIs added and removed, fields changed with old and new values, relationships added and removed',
  })
  async compareBaseline(
    @Ctx() ctx: RequestContext,
    @Arg('baseline', () => ID) baseline: string,
    @Arg('against', () => BaselineCompareInput, { nullable: true }) against?: BaselineCompareInput,
    @Arg('classes', () => [String], { nullable: true, description: 'Only differences concerning these classes' })
    classes?: string[],
  ): Promise<BaselineComparisonType> {
    const c = await ctx.services.baselines.compare(
      baseline,
      { baseline: against?.baseline ?? null, at: against?.at?.getTime() ?? null },
      classes ?? null,
    );
    return comparisonView(c);
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => ComplianceReportType, {
    description: 'Every CI failing the lifecycle baseline of its current state (§7.1.4.2.3) and what it lacks',
  })
  async baselineCompliance(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => ComplianceFilterInput, { nullable: true }) filter?: ComplianceFilterInput,
  ): Promise<ComplianceReportType> {
    const r = await ctx.services.baselines.compliance(filter ?? {}, page.first, page.after ?? null);
    return {
      totalCount: r.totalCount,
      groups: r.groups,
      nodes: r.items,
      pageInfo: { hasNextPage: r.hasNextPage, endCursor: r.endCursor },
    };
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => BaselineComparisonType, {
    description: 'This baseline compared with another baseline, a past moment or now (as compareBaseline)',
  })
  async compare(
    @Root() b: BaselineType,
    @Ctx() ctx: RequestContext,
    @Arg('against', () => BaselineCompareInput, { nullable: true }) against?: BaselineCompareInput,
    @Arg('classes', () => [String], { nullable: true, description: 'Only differences concerning these classes' })
    classes?: string[],
  ): Promise<BaselineComparisonType> {
    return this.compareBaseline(ctx, b.id, against, classes);
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => BaselineCIConnection, { description: 'The CIs it recorded, by code' })
  async cis(
    @Root() b: BaselineType,
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('classes', () => [String], { nullable: true }) classes?: string[],
  ): Promise<BaselineCIConnection> {
    const content = await ctx.services.baselines.content(b.id);
    const only = classes?.length ? new Set((await ctx.services.model.current()).expandClasses(classes)) : null;
    const items = only ? content.items.filter((i) => only.has(i.class)) : content.items;
    return pageOf(items, (i) => i.code, page);
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => BaselineRelationConnection, { description: 'The relationships it recorded among its CIs' })
  async relations(
    @Root() b: BaselineType,
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
  ): Promise<BaselineRelationConnection> {
    const content = await ctx.services.baselines.content(b.id);
    return pageOf(content.relations, (r) => `${r.source}\u0000${r.type}\u0000${r.target}`, page);
  }
}

@Resolver(() => BaselineComparisonType)
export class BaselineComparisonResolver {
  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => BaselineDifferenceConnection, { description: 'The differences, by CI code, paged' })
  differences(@Root() c: BaselineComparisonType, @Args(() => PageArgs) page: PageArgs): BaselineDifferenceConnection {
    return pageOf<Difference>(c.all, (d) => d.key, page);
  }
}

@Resolver(() => TicketType)
export class BaselineTicketResolver {
  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => BaselineType, {
    nullable: true,
    description: 'The baseline captured when this change moved to implementing: its scope and one level of dependents',
  })
  async baseline(@Root() ticket: TicketType, @Ctx() ctx: RequestContext): Promise<BaselineType | null> {
    if (ticket.kind !== 'CHANGE') return null;
    const b = await ctx.services.baselines.ofChange(ticket.id);
    return b ? baselineView(b) : null;
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => BaselineComparisonType, {
    nullable: true,
    description:
      'What was done under this change: its implementation baseline compared with the moment it closed (now while implementing)',
  })
  async drift(
    @Root() ticket: TicketType,
    @Ctx() ctx: RequestContext,
    @Arg('classes', () => [String], { nullable: true }) classes?: string[],
  ): Promise<BaselineComparisonType | null> {
    if (ticket.kind !== 'CHANGE') return null;
    const c = await ctx.services.baselines.driftOfChange(
      { id: ticket.id, state: ticket.state as Ticket['state'], updatedAt: ticket.updatedAt.getTime() },
      classes ?? null,
    );
    return c ? comparisonView(c) : null;
  }
}
