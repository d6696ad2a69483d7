// GraphQL in and out for incidents, problems and root-cause lookup: readers look; ticket writers
// (operations, problem management) record and move them; the configuration manager edits the policy.

import { Arg, Args, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Permission } from '../platform/auth/roles';
import { PageArgs } from '../platform/graphql/page';
import { encodeCursor } from '../platform/pagination';
import { writeContextOf, type RequestContext } from '../platform/server/context';
import { ValidationError } from '../platform/errors';
import type { IncidentView } from './incident.service';
import type { ProblemRecord } from './problem.service';
import type { RootCauses } from './root-cause.service';
import { windowHoursOf } from './root-cause.service';
import {
  DuplicateGroupType,
  IncidentConnection,
  IncidentPolicyType,
  IncidentStatusEnum,
  IncidentType,
  LinkedTicketType,
  ProblemConnection,
  ProblemInputType,
  ProblemStatusEnum,
  ProblemType,
  RecordIncidentInput,
  ReportDueType,
  RootCauseInput,
  RootCausesType,
  SymptomType,
  UpdateIncidentInput,
} from './incident.graphql';
import { dateOrNull, policyVersionView } from '../platform/graphql/values';

export function incidentView(v: IncidentView): IncidentType {
  return {
    ...v,
    occurredAt: new Date(v.occurredAt),
    detectedAt: new Date(v.detectedAt),
    resolvedAt: dateOrNull(v.resolvedAt),
    createdAt: new Date(v.createdAt),
    level: {
      level: v.level.level,
      reason: v.level.reason,
      nextLevel: v.level.next?.level ?? null,
      escalatesAt:
        v.level.next && v.resolvedAt === null ? new Date(v.occurredAt + v.level.next.atMinutes * 60_000) : null,
    },
    affected: v.affected.map((a) => ({ ...a, recoveredAt: dateOrNull(a.recoveredAt) })),
    deadlines: v.deadlines
      ? { report: new Date(v.deadlines.report), writtenReport: new Date(v.deadlines.writtenReport) }
      : null,
  };
}

export function problemView(p: ProblemRecord): ProblemType {
  return { ...p, createdAt: new Date(p.createdAt) };
}

function rootCausesView(r: RootCauses, first: number): RootCausesType {
  return {
    at: new Date(r.at),
    symptoms: r.symptoms,
    totalCount: r.candidates.length,
    candidates: r.candidates.slice(0, first).map((c) => ({
      ...c,
      evidence: {
        ...c.evidence,
        writes: c.evidence.writes.map((w) => ({ ...w, at: new Date(w.at) })),
        changes: c.evidence.changes.map((e) => ({ ...e, at: new Date(e.at) })),
        upstreamChanges: c.evidence.upstreamChanges.map((e) => ({ ...e, at: new Date(e.at) })),
      },
    })),
  };
}

@Resolver(() => IncidentType)
export class IncidentResolver {
  @Authorized(Permission.READ_CMDB)
  @Query(() => IncidentType, { description: 'An incident by reference, its level computed now' })
  async incident(@Ctx() ctx: RequestContext, @Arg('ref', () => String) ref: string): Promise<IncidentType> {
    return incidentView(await ctx.services.incidents.get(ref));
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => IncidentConnection, { description: 'Incidents by status, ordered by reference' })
  async incidents(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('statuses', () => [IncidentStatusEnum], { nullable: true }) statuses?: string[],
  ): Promise<IncidentConnection> {
    const result = await ctx.services.incidents.list(statuses ?? null, page.first, page.after ?? null);
    return {
      totalCount: result.totalCount,
      edges: result.items.map((i) => ({ cursor: encodeCursor(i.ref), node: incidentView(i) })),
      pageInfo: { hasNextPage: result.hasNextPage, endCursor: result.endCursor },
    };
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => RootCausesType, {
    description: 'Root-cause candidates upstream of the symptoms, as the graph was at the moment, best first',
  })
  async rootCauses(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RootCauseInput) input: RootCauseInput,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
  ): Promise<RootCausesType> {
    if (first < 1 || first > 500) throw new ValidationError('first must be from 1 to 500', { field: 'first' });
    if (input.incident && input.cis?.length) {
      throw new ValidationError('give either an incident or symptom CIs, not both', { field: 'incident' });
    }
    if (input.incident) {
      if (input.at) throw new ValidationError('an incident is read as of its occurrence; omit at', { field: 'at' });
      return rootCausesView(
        await ctx.services.incidents.rootCausesOf(input.incident, {
          maxDepth: input.maxDepth,
          windowHours: input.windowHours,
        }),
        first,
      );
    }
    const policy = (await ctx.services.incidentPolicy.current()).policy;
    const result = await ctx.services.rootCauses.find({
      symptoms: input.cis ?? [],
      at: input.at?.getTime() ?? Date.now(),
      maxDepth: input.maxDepth,
      windowHours: windowHoursOf(policy, input.windowHours),
    });
    return rootCausesView(result, first);
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => [DuplicateGroupType], {
    description: 'Open incidents whose top root cause coincides within the duplicate window: offered for merging',
  })
  async incidentDuplicates(@Ctx() ctx: RequestContext): Promise<DuplicateGroupType[]> {
    return (await ctx.services.incidents.duplicates()).map((g) => ({
      cause: g.cause,
      incidents: g.incidents.map(incidentView),
    }));
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => [ReportDueType], { description: 'Regulatory reports of MAJOR and worse incidents, soonest due first' })
  async incidentReportsDue(@Ctx() ctx: RequestContext): Promise<ReportDueType[]> {
    return (await ctx.services.incidents.reportsDue()).map((r) => ({
      incident: incidentView(r.incident),
      nextDue: new Date(r.nextDue),
      overdue: r.overdue,
    }));
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => IncidentPolicyType)
  async incidentPolicy(@Ctx() ctx: RequestContext): Promise<IncidentPolicyType> {
    return policyVersionView(await ctx.services.incidentPolicy.current());
  }

  @Authorized(Permission.EDIT_MODEL)
  @Mutation(() => IncidentPolicyType, { description: 'Replaces the incident level rules and windows' })
  async setIncidentPolicy(
    @Ctx() ctx: RequestContext,
    @Arg('policy', () => GraphQLJSONObject) policy: Record<string, unknown>,
    @Arg('expectedVersion', () => Int) expectedVersion: number,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<IncidentPolicyType> {
    return policyVersionView(
      await ctx.services.incidentPolicy.save(writeContextOf(ctx), policy, expectedVersion, comment ?? null),
    );
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => IncidentType, { description: 'Records an incident with its symptom CIs' })
  async recordIncident(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RecordIncidentInput) input: RecordIncidentInput,
  ): Promise<IncidentType> {
    return incidentView(
      await ctx.services.incidents.record(writeContextOf(ctx), {
        ...input,
        occurredAt: input.occurredAt?.getTime() ?? null,
        detectedAt: input.detectedAt?.getTime() ?? null,
      }),
    );
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => IncidentType, { description: 'Updates provinces, declared level, classification, symptoms, links' })
  async updateIncident(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => UpdateIncidentInput) input: UpdateIncidentInput,
  ): Promise<IncidentType> {
    return incidentView(await ctx.services.incidents.update(writeContextOf(ctx), input));
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => IncidentType, { description: 'Confirms one affected system recovered (§9.1.5.3)' })
  async confirmRecovery(
    @Ctx() ctx: RequestContext,
    @Arg('incident', () => String) incident: string,
    @Arg('system', () => String) system: string,
  ): Promise<IncidentType> {
    return incidentView(await ctx.services.incidents.confirmRecovery(writeContextOf(ctx), incident, system));
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => IncidentType, {
    description: 'Resolves an incident once every affected system is confirmed recovered',
  })
  async resolveIncident(
    @Ctx() ctx: RequestContext,
    @Arg('incident', () => String) incident: string,
    @Arg('resolvedAt', () => Date, { nullable: true }) resolvedAt?: Date,
  ): Promise<IncidentType> {
    return incidentView(
      await ctx.services.incidents.resolve(writeContextOf(ctx), incident, resolvedAt?.getTime() ?? null),
    );
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => IncidentType, {
    description: 'Merges duplicate incidents into one, keeping every symptom and the trail',
  })
  async mergeIncidents(
    @Ctx() ctx: RequestContext,
    @Arg('into', () => String) into: string,
    @Arg('from', () => [String]) from: string[],
  ): Promise<IncidentType> {
    return incidentView(await ctx.services.incidents.merge(writeContextOf(ctx), into, from));
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [SymptomType])
  async symptoms(@Root() incident: IncidentType, @Ctx() ctx: RequestContext): Promise<SymptomType[]> {
    return (await ctx.services.incidents.symptoms(incident.id)) as unknown as SymptomType[];
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [LinkedTicketType], { description: 'Linked changes, releases and requests' })
  async linkedTickets(@Root() incident: IncidentType, @Ctx() ctx: RequestContext): Promise<LinkedTicketType[]> {
    return (await ctx.services.incidents.linkedTickets(incident.id)) as unknown as LinkedTicketType[];
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [ProblemType])
  async problems(@Root() incident: IncidentType, @Ctx() ctx: RequestContext): Promise<ProblemType[]> {
    return (await ctx.services.problems.problemsOf(incident.id)).map(problemView);
  }
}

@Resolver(() => ProblemType)
export class ProblemResolver {
  @Authorized(Permission.READ_CMDB)
  @Query(() => ProblemType)
  async problem(@Ctx() ctx: RequestContext, @Arg('ref', () => String) ref: string): Promise<ProblemType> {
    return problemView(await ctx.services.problems.get(ref));
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => ProblemConnection)
  async problems(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('statuses', () => [ProblemStatusEnum], { nullable: true }) statuses?: string[],
  ): Promise<ProblemConnection> {
    const result = await ctx.services.problems.list(statuses ?? null, page.first, page.after ?? null);
    return {
      totalCount: result.totalCount,
      edges: result.items.map((p) => ({ cursor: encodeCursor(p.ref), node: problemView(p) })),
      pageInfo: { hasNextPage: result.hasNextPage, endCursor: result.endCursor },
    };
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => ProblemType, { description: 'Opens a problem, with its root-cause CI and incidents if known' })
  async openProblem(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => ProblemInputType) input: ProblemInputType,
  ): Promise<ProblemType> {
    return problemView(await ctx.services.problems.open(writeContextOf(ctx), input));
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => ProblemType, {
    description: 'Records the known error, workaround, root cause or status of a problem',
  })
  async updateProblem(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => ProblemInputType) input: ProblemInputType,
  ): Promise<ProblemType> {
    return problemView(await ctx.services.problems.update(writeContextOf(ctx), input));
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => String, { nullable: true, description: 'Code of the root-cause CI' })
  async rootCause(@Root() problem: ProblemType, @Ctx() ctx: RequestContext): Promise<string | null> {
    return ctx.services.problems.rootCause(problem.id);
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [String], { description: 'Refs of the incidents it is behind' })
  async incidents(@Root() problem: ProblemType, @Ctx() ctx: RequestContext): Promise<string[]> {
    return (await ctx.services.problems.incidents(problem.id)).map((i) => i.ref);
  }
}
