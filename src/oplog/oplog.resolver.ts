// GraphQL in and out for the operation log: read it by filter and verify its hash chain, both
// READ_OPLOG (信息安全经理, auditors, 配置经理). Nothing here writes: the log is append-only, and
// purging expired entries is an operator's command, never an API call.

import { Arg, Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageArgs } from '../platform/graphql/page';
import { encodeCursor } from '../platform/pagination';
import type { RequestContext } from '../platform/server/context';
import type { OperationLogEntryType } from '../cis/ci.graphql';
import type { OpLogEntry } from './oplog.chain';
import {
  OperationLogConnection,
  OperationLogFilterInput,
  OperationLogOrderEnum,
  OperationLogVerificationType,
  VerifyOperationLogArgs,
} from './oplog.graphql';

function json(text: string | null): Record<string, unknown> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
}

export function entryView(e: OpLogEntry): OperationLogEntryType {
  return { ...e, at: new Date(e.at), before: json(e.before), after: json(e.after) };
}

@Resolver()
export class OpLogResolver {
  @Authorized(Permission.READ_OPLOG)
  @Query(() => OperationLogConnection, {
    description: 'The operation log 操作日志 by filter, in seq order, paginated with an exact total',
  })
  async operationLog(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('order', () => OperationLogOrderEnum, { defaultValue: 'ASC', description: 'ASC: oldest first' })
    order: 'ASC' | 'DESC',
    @Arg('filter', () => OperationLogFilterInput, { nullable: true }) filter?: OperationLogFilterInput,
  ): Promise<OperationLogConnection> {
    const f = filter ?? {};
    const result = await ctx.services.oplog.list(
      ctx.services.executor,
      { ...f, from: f.from?.getTime() ?? null, to: f.to?.getTime() ?? null },
      page.first,
      page.after ?? null,
      order,
    );
    return {
      totalCount: result.totalCount,
      edges: result.items.map((e) => ({ cursor: encodeCursor(String(e.seq)), node: entryView(e) })),
      pageInfo: { hasNextPage: result.hasNextPage, endCursor: result.endCursor },
    };
  }

  @Authorized(Permission.READ_OPLOG)
  @Query(() => OperationLogVerificationType, {
    description: 'Recomputes the hash chain (or a seq range of it) and reports the first entry that breaks it',
  })
  async verifyOperationLog(
    @Ctx() ctx: RequestContext,
    @Args(() => VerifyOperationLogArgs) args: VerifyOperationLogArgs,
  ): Promise<OperationLogVerificationType> {
    return ctx.services.oplog.verify(ctx.services.executor, { fromSeq: args.fromSeq, toSeq: args.toSeq });
  }
}
