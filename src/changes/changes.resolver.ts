// GraphQL in and out for change impact analysis: any reader computes a blast radius; ticket writers
// (the change assessor 变更评估岗 among them) run and store assessments; the configuration manager
// edits the change policy.

import { Arg, Args, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Permission } from '../platform/auth/roles';
import { PageArgs } from '../platform/graphql/page';
import { decodeCursor, encodeCursor } from '../platform/pagination';
import { writeContextOf, type RequestContext } from '../platform/server/context';
import { TicketType } from '../tickets/ticket.graphql';
import type { Reached } from '../cis/propagation';
import type { Assessment } from './assessment.service';
import { impactKey, type BlastRadius, type ImpactPage } from './impact.service';
import {
  BlastRadiusInput,
  BlastRadiusType,
  ChangeAssessmentType,
  ChangePolicyType,
  ImpactedCIType,
} from './changes.graphql';
import { dateOrNull, policyVersionView } from '../platform/graphql/values';

const cursorOf = (c: Reached) => encodeCursor(impactKey(c));

function blastRadiusView(r: BlastRadius & { page: ImpactPage }): BlastRadiusType {
  const item = (c: Reached): ImpactedCIType => ({
    id: c.id,
    code: c.code,
    name: r.page.described.get(c.id)?.name ?? c.code,
    class: c.class,
    lifecycle: c.lifecycle,
    owner: r.page.described.get(c.id)?.owner ?? null,
    distance: c.distance,
    path: r.path(c),
  });
  const last = r.page.items[r.page.items.length - 1];
  return {
    asOf: dateOrNull(r.at),
    maxDepth: r.maxDepth,
    depthReached: r.depthReached,
    seeds: r.seeds.map(item),
    totalCount: r.impacted.length,
    summary: r.summary,
    businessSystems: r.businessSystems,
    internetFacing: r.internetFacing,
    drCounterparts: r.drCounterparts,
    impacted: {
      totalCount: r.impacted.length,
      edges: r.page.items.map((c) => ({ cursor: cursorOf(c), node: item(c) })),
      pageInfo: { hasNextPage: r.page.hasNextPage, endCursor: last ? cursorOf(last) : null },
    },
  };
}

function assessmentView(a: Assessment): ChangeAssessmentType {
  return {
    ...a,
    assessedAt: new Date(a.assessedAt),
    conflicts: a.conflicts.map((c) => ({
      ...c,
      plannedStart: new Date(c.plannedStart),
      plannedEnd: dateOrNull(c.plannedEnd),
    })),
    calendarWindows: a.calendarWindows.map((w) => ({
      ...w,
      start: new Date(w.start),
      end: new Date(w.end),
      description: w.description ?? null,
    })),
  };
}

@Resolver(() => TicketType)
export class ChangesResolver {
  @Authorized(Permission.READ_CMDB)
  @Query(() => BlastRadiusType, {
    description:
      'The blast radius of a change or of CIs: every impacted CI with its distance and one shortest path, following each relation type’s failure propagation',
  })
  async blastRadius(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => BlastRadiusInput) input: BlastRadiusInput,
    @Args(() => PageArgs) page: PageArgs,
  ): Promise<BlastRadiusType> {
    const at = input.at?.getTime() ?? null;
    const radius = await ctx.services.impact.blastRadius(
      { ...input, at },
      { first: page.first, after: decodeCursor(page.after) },
    );
    return blastRadiusView(radius);
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => ChangePolicyType, { description: 'The change policy in force' })
  async changePolicy(@Ctx() ctx: RequestContext): Promise<ChangePolicyType> {
    return policyVersionView(await ctx.services.changePolicy.current());
  }

  @Authorized(Permission.EDIT_MODEL)
  @Mutation(() => ChangePolicyType, {
    description: 'Replaces the change policy: risk rules, lead times, holidays, make-up days, freeze and peak windows',
  })
  async setChangePolicy(
    @Ctx() ctx: RequestContext,
    @Arg('policy', () => GraphQLJSONObject) policy: Record<string, unknown>,
    @Arg('expectedVersion', () => Int, { description: 'The version being replaced' }) expectedVersion: number,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<ChangePolicyType> {
    return policyVersionView(
      await ctx.services.changePolicy.save(
        writeContextOf(ctx, null, 'manual'),
        policy,
        expectedVersion,
        comment ?? null,
      ),
    );
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => ChangeAssessmentType, {
    description: 'Assesses a change (blast radius, grade, conflicts, scope, deadlines) and stores the result on it',
  })
  async assessChange(
    @Ctx() ctx: RequestContext,
    @Arg('ticket', () => String) ticket: string,
    @Arg('maxDepth', () => Int, { nullable: true }) maxDepth?: number,
  ): Promise<ChangeAssessmentType> {
    return assessmentView(
      await ctx.services.assessments.assess(writeContextOf(ctx, null, 'manual'), ticket, maxDepth ?? undefined),
    );
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => ChangeAssessmentType, { nullable: true, description: 'The latest assessment of a change' })
  async assessment(@Root() ticket: TicketType, @Ctx() ctx: RequestContext): Promise<ChangeAssessmentType | null> {
    if (ticket.kind !== 'CHANGE') return null;
    const [latest] = await ctx.services.assessments.ofChange(ticket.id, 1);
    return latest ? assessmentView(latest) : null;
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [ChangeAssessmentType], { description: 'Every assessment of a change, newest first' })
  async assessments(@Root() ticket: TicketType, @Ctx() ctx: RequestContext): Promise<ChangeAssessmentType[]> {
    if (ticket.kind !== 'CHANGE') return [];
    return (await ctx.services.assessments.ofChange(ticket.id, 100)).map(assessmentView);
  }
}
