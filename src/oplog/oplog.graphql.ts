// GraphQL shapes of the operation log: the filter, the connection of entries (the entry type is the
// one CI history uses) and the result of verifying the hash chain. Everything here needs READ_OPLOG.

import { IsOptional, Length, Min } from 'class-validator';
import { ArgsType, Authorized, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageInfo } from '../platform/graphql/page';
import { OperationLogEntryType } from '../cis/ci.graphql';
import type { ChainBreakReason } from './oplog.chain';

export const OperationLogOrderEnum = { ASC: 'ASC', DESC: 'DESC' } as const;
export const OperationLogBreakEnum = {
  HASH_MISMATCH: 'HASH_MISMATCH',
  PREV_HASH_MISMATCH: 'PREV_HASH_MISMATCH',
  SEQ_GAP: 'SEQ_GAP',
  HEAD_MISMATCH: 'HEAD_MISMATCH',
} as const satisfies { [K in ChainBreakReason]: K };

registerEnumType(OperationLogOrderEnum, {
  name: 'OperationLogOrder',
  description: 'ASC: oldest first (by seq); DESC: newest first',
});
registerEnumType(OperationLogBreakEnum, {
  name: 'OperationLogBreak',
  description: 'What verification found broken 日志篡改',
  valuesConfig: {
    HASH_MISMATCH: { description: 'An entry no longer matches its hash: it was edited' },
    PREV_HASH_MISMATCH: {
      description: 'An entry does not name its predecessor’s hash: the predecessor was replaced, or it was inserted',
    },
    SEQ_GAP: { description: 'Sequence numbers skip: entries were deleted' },
    HEAD_MISMATCH: { description: 'The last entry is not the one the head records: the tail was truncated' },
  },
});

@InputType('OperationLogFilter', { description: 'All given conditions hold; a CI by ciId or by ciCode' })
export class OperationLogFilterInput {
  @Field(() => String, { nullable: true, description: 'The token subject that wrote 操作人' })
  @IsOptional()
  @Length(1, 256)
  actor?: string;

  @Field(() => Date, { nullable: true, description: 'Entries at or after this moment' })
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Entries before this moment' })
  to?: Date;

  @Field(() => ID, { nullable: true, description: 'Entries about this CI (by id)' })
  @IsOptional()
  @Length(1, 128)
  ciId?: string;

  @Field(() => String, { nullable: true, description: 'Entries about this CI (by code)' })
  @IsOptional()
  @Length(1, 128)
  ciCode?: string;

  @Field(() => String, { nullable: true, description: 'The ticket the writes ran under 工单' })
  @IsOptional()
  @Length(1, 64)
  ticket?: string;

  @Field(() => String, { nullable: true, description: 'CREATE_CI, UPDATE_CI, CHANGE_LIFECYCLE, CREATE_RELATION…' })
  @IsOptional()
  @Length(1, 64)
  action?: string;
}

@ArgsType()
export class VerifyOperationLogArgs {
  @Field(() => Int, { nullable: true, description: 'First seq to check; the chain’s first entry when absent' })
  @IsOptional()
  @Min(0)
  fromSeq?: number;

  @Field(() => Int, {
    nullable: true,
    description: 'Last seq to check; the head when absent (only a walk to the head checks the head)',
  })
  @IsOptional()
  @Min(0)
  toSeq?: number;
}

@Authorized(Permission.READ_OPLOG)
@ObjectType('OperationLogEdge')
export class OperationLogEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => OperationLogEntryType)
  node!: OperationLogEntryType;
}

@Authorized(Permission.READ_OPLOG)
@ObjectType('OperationLogConnection')
export class OperationLogConnection {
  @Field(() => Int, { description: 'Exact number of entries matching the filter' })
  totalCount!: number;

  @Field(() => [OperationLogEdge])
  edges!: OperationLogEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_OPLOG)
@ObjectType('OperationLogVerification', {
  description: 'The hash chain recomputed entry by entry from its anchor 防篡改校验',
})
export class OperationLogVerificationType {
  @Field(() => Boolean, { description: 'Every checked entry is intact and linked' })
  ok!: boolean;

  @Field(() => Int, { description: 'Entries checked' })
  checked!: number;

  @Field(() => Int, { description: 'The range walked, clamped to the chain' })
  fromSeq!: number;

  @Field(() => Int)
  toSeq!: number;

  @Field(() => Int, { description: 'The head’s seq when the walk began' })
  headSeq!: number;

  @Field(() => Int, { description: 'The last purged entry; 0 before any purge' })
  anchorSeq!: number;

  @Field(() => Int, { nullable: true, description: 'The first entry whose place in the chain does not hold' })
  firstBrokenSeq!: number | null;

  @Field(() => OperationLogBreakEnum, { nullable: true })
  reason!: ChainBreakReason | null;

  @Field(() => String, { nullable: true, description: 'What broke, in words' })
  detail!: string | null;
}
