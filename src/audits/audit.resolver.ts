// GraphQL in and out for audits: any reader sees audits, items, reports and job runs; the
// configuration manager creates and completes audits and runs jobs by hand (OPERATE); ticket writers
// record results; CI writers correct CIs under the audit.

import { Arg, Args, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageArgs } from '../platform/graphql/page';
import { writeContextOf, type RequestContext } from '../platform/server/context';
import { ValidationError } from '../platform/errors';
import type { Page } from '../platform/pagination';
import { assertJob } from './audit.jobs';
import { auditJobsFor } from '../../audit-jobs';
import { loadConfig } from '../platform/config';
import { buildReport, itemsCsv, reportMarkdown, sampleCsv, sampleJson } from './audit.report';
import type { Audit, AuditItem, AuditJobRun } from './audit.types';
import {
  AuditExportFormatEnum,
  AuditFilter,
  AuditItemPage,
  AuditItemStatusEnum,
  AuditItemType,
  AuditJobEnum,
  AuditJobOutcomeType,
  AuditJobRunPage,
  AuditJobRunType,
  AuditPage,
  AuditReportType,
  AuditResultInput,
  AuditType,
  CorrectAuditItemInput,
  CreateAuditInput,
} from './audit.graphql';
import { dateOrNull } from '../platform/graphql/values';

export function auditView(a: Audit): AuditType {
  return { ...a, createdAt: new Date(a.createdAt), completedAt: dateOrNull(a.completedAt) };
}

export function itemView(i: AuditItem): AuditItemType {
  return {
    ...i,
    recorded: JSON.parse(i.snapshot) as Record<string, unknown>,
    auditedAt: dateOrNull(i.auditedAt),
    correction: i.correction ? { ...i.correction, at: new Date(i.correction.at) } : null,
    trail: i.trail.map((t) => ({ ...t, auditedAt: dateOrNull(t.auditedAt), replacedAt: new Date(t.replacedAt) })),
  };
}

export function runView(r: AuditJobRun): AuditJobRunType {
  return {
    ...r,
    slot: new Date(r.slot),
    startedAt: new Date(r.startedAt),
    finishedAt: dateOrNull(r.finishedAt),
    outcome: r.outcome ? (JSON.parse(r.outcome) as Record<string, unknown>) : null,
  };
}

function pageOf<T, V>(page: Page<T>, view: (t: T) => V) {
  return {
    items: page.items.map(view),
    totalCount: page.totalCount,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
  };
}

@Resolver(() => AuditType)
export class AuditResolver {
  @Authorized(Permission.READ_CMDB)
  @Query(() => AuditType, { description: 'An audit by its ref (or id)' })
  async audit(@Ctx() ctx: RequestContext, @Arg('ref', () => String) ref: string): Promise<AuditType> {
    return auditView(await ctx.services.audits.get(ref));
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => AuditPage, { description: 'Audits, newest first' })
  async audits(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => AuditFilter, { nullable: true }) filter?: AuditFilter,
  ): Promise<AuditPage> {
    return pageOf(await ctx.services.audits.list(filter ?? {}, page.first, page.after ?? null), auditView);
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => AuditItemPage, { description: 'The sampled items of an audit, by code' })
  async auditItems(
    @Ctx() ctx: RequestContext,
    @Arg('audit', () => String) audit: string,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('statuses', () => [AuditItemStatusEnum], { nullable: true }) statuses?: string[],
  ): Promise<AuditItemPage> {
    return pageOf(await ctx.services.audits.items(audit, statuses ?? null, page.first, page.after ?? null), itemView);
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => String, { description: 'The sample for the people who check the real entities, as CSV or JSON' })
  async auditSampleExport(
    @Ctx() ctx: RequestContext,
    @Arg('audit', () => String) audit: string,
    @Arg('format', () => AuditExportFormatEnum, { defaultValue: 'CSV' }) format: string,
  ): Promise<string> {
    const { audit: a, items } = await ctx.services.audits.allItems(audit);
    return format === 'JSON' ? sampleJson(a, items) : sampleCsv(a, items);
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => AuditReportType, {
    description: 'The audit report: per class counts and accuracy, causes, corrective actions',
  })
  async auditReport(@Ctx() ctx: RequestContext, @Arg('audit', () => String) audit: string): Promise<AuditReportType> {
    const { audit: a, items } = await ctx.services.audits.allItems(audit);
    const r = buildReport(a, items, Date.now());
    const action = (c: (typeof r.open)[number]) => ({ ...c, at: dateOrNull(c.at) });
    return {
      ...r,
      audit: auditView(a),
      generatedAt: new Date(r.generatedAt),
      corrections: r.corrections.map(action),
      open: r.open.map(action),
      markdown: reportMarkdown(r),
      itemsCsv: itemsCsv(items),
    };
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => [String], { description: 'The causes of a difference an auditor may record (AUDIT_CAUSES)' })
  auditCauses(@Ctx() ctx: RequestContext): string[] {
    return [...ctx.services.audits.causes];
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => AuditJobRunPage, { description: 'Runs of the audit jobs, newest slot first' })
  async auditJobRuns(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('job', () => AuditJobEnum, { nullable: true }) job?: string,
  ): Promise<AuditJobRunPage> {
    return pageOf(await ctx.services.audits.jobRuns(job ?? null, page.first, page.after ?? null), runView);
  }

  @Authorized(Permission.OPERATE)
  @Mutation(() => AuditType, { description: 'Samples the classes and freezes the sample under a new AUDIT ticket' })
  async createAudit(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => CreateAuditInput) input: CreateAuditInput,
  ): Promise<AuditType> {
    return auditView(await ctx.services.audits.create(writeContextOf(ctx, null, 'manual'), input));
  }

  @Authorized(Permission.WRITE_TICKET)
  @Mutation(() => [AuditItemType], {
    description: 'Records results, one or many: MATCHED, MISMATCHED (with the fields) or MISSING',
  })
  async recordAuditResults(
    @Ctx() ctx: RequestContext,
    @Arg('audit', () => String) audit: string,
    @Arg('results', () => [AuditResultInput]) results: AuditResultInput[],
  ): Promise<AuditItemType[]> {
    if (results.length > 5_000) throw new ValidationError('at most 5000 results per call', { field: 'results' });
    const items = await ctx.services.audits.recordResults(
      writeContextOf(ctx, null, 'manual'),
      audit,
      results.map((r) => ({ ...r, auditedAt: r.auditedAt?.getTime() ?? null })),
    );
    return items.map(itemView);
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => AuditItemType, {
    description: 'Corrects a MISMATCHED CI under the audit as its ticket; the item turns MATCHED',
  })
  async correctAuditItem(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => CorrectAuditItemInput) input: CorrectAuditItemInput,
  ): Promise<AuditItemType> {
    return itemView(await ctx.services.audits.correct(writeContextOf(ctx, null, 'manual'), input));
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => AuditItemType, {
    description: 'Retires a CI found MISSING under the audit as its ticket; the item turns MATCHED',
  })
  async retireMissingAuditItem(
    @Ctx() ctx: RequestContext,
    @Arg('audit', () => String) audit: string,
    @Arg('code', () => String) code: string,
    @Arg('expectedVersion', () => Int) expectedVersion: number,
  ): Promise<AuditItemType> {
    return itemView(
      await ctx.services.audits.retireMissing(writeContextOf(ctx, null, 'manual'), { audit, code, expectedVersion }),
    );
  }

  @Authorized(Permission.OPERATE)
  @Mutation(() => AuditType, {
    description: 'Completes an audit once no item is UNAUDITED; open corrections stay listed',
  })
  async completeAudit(@Ctx() ctx: RequestContext, @Arg('audit', () => String) audit: string): Promise<AuditType> {
    return auditView(await ctx.services.audits.complete(writeContextOf(ctx, null, 'manual'), audit));
  }

  @Authorized(Permission.OPERATE)
  @Mutation(() => AuditJobOutcomeType, {
    description:
      'Runs an audit job by hand for a slot (the latest scheduled one when absent); a slot that already ran makes nothing new',
  })
  async runAuditJob(
    @Ctx() ctx: RequestContext,
    @Arg('job', () => AuditJobEnum) job: string,
    @Arg('slot', () => Date, { nullable: true }) slot?: Date,
  ): Promise<AuditJobOutcomeType> {
    const actor = writeContextOf(ctx).actor;
    const jobs = auditJobsFor(ctx.services, loadConfig());
    const name = assertJob(job);
    const at = slot?.getTime() ?? jobs.lastSlot(name) ?? Date.now();
    const outcome = await jobs.run(name, at, actor);
    return { ran: outcome.ran, run: runView(outcome.run) };
  }
}
