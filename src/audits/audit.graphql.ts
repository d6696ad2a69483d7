// GraphQL shapes of audits: the audit and its strata, the sampled items and their results, the
// report, the job runs, and the inputs that create audits, record results and correct CIs.

import { ArrayMaxSize, ArrayMinSize, IsOptional, Length, Max, Min, ValidateNested } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageInfo } from '../platform/graphql/page';
import { AUDIT_JOBS, AUDIT_SCENARIOS, AUDIT_STATES, AUDIT_TRIGGERS, ITEM_STATUSES } from './audit.types';
import { enumOf } from '../platform/graphql/values';

export const AuditTriggerEnum = enumOf(AUDIT_TRIGGERS);
export const AuditScenarioEnum = enumOf(AUDIT_SCENARIOS);
export const AuditStateEnum = enumOf(AUDIT_STATES);
export const AuditItemStatusEnum = enumOf(ITEM_STATUSES);
export const AuditFindingEnum = enumOf(['MATCHED', 'MISMATCHED', 'MISSING'] as const);
export const AuditJobEnum = enumOf(AUDIT_JOBS);
export const AuditExportFormatEnum = enumOf(['CSV', 'JSON'] as const);

registerEnumType(AuditTriggerEnum, {
  name: 'AuditTrigger',
  description:
    'ANNUAL 年度审计 (the annual job), MANUAL (created by the configuration manager), SCENARIO 场景触发 (§7.1.4.3 b)',
});
registerEnumType(AuditScenarioEnum, {
  name: 'AuditScenario',
  description:
    '§7.1.4.3 b: NEW_SYSTEM_LAUNCH 新系统上线, SERVICE_MIGRATION 服务迁移, SUPPLIER_CHANGE 供应商变更, SERVICE_RETIREMENT 服务下线, SYSTEM_DECOMMISSION 系统退役, MAJOR_INCIDENT 重大事件, ORGANISATION_RESTRUCTURE 组织调整, PERSONNEL_CHANGE 人员变动或离职',
});
registerEnumType(AuditStateEnum, { name: 'AuditState', description: 'OPEN 进行中, COMPLETED 已完成' });
registerEnumType(AuditItemStatusEnum, {
  name: 'AuditItemStatus',
  description: 'UNAUDITED 未审核, MATCHED 匹配, MISMATCHED 不匹配, MISSING 丢失',
});
registerEnumType(AuditFindingEnum, {
  name: 'AuditFinding',
  description: 'MATCHED 匹配, MISMATCHED 不匹配, MISSING 丢失',
});
registerEnumType(AuditJobEnum, {
  name: 'AuditJob',
  description: 'annual: the annual audit; scenarios: the scenario scan',
});
registerEnumType(AuditExportFormatEnum, { name: 'AuditExportFormat' });

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditStratum', {
  description: 'A class sampled (subclasses included): its population, ratio, minimum and sample',
})
export class AuditStratumType {
  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => Float)
  ratio!: number;

  @Field(() => Int)
  minimum!: number;

  @Field(() => Int, { description: 'Live CIs the class held when sampled' })
  population!: number;

  @Field(() => Int)
  sampled!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('Audit', {
  description: 'A sampling audit 配置审计 (§7.1.4.3): a ticket of kind AUDIT and its frozen sample',
})
export class AuditType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The AUDIT ticket’s reference: corrections cite it as their ticket' })
  ref!: string;

  @Field(() => String)
  title!: string;

  @Field(() => AuditTriggerEnum)
  trigger!: string;

  @Field(() => AuditScenarioEnum, { nullable: true })
  scenario!: string | null;

  @Field(() => String, { nullable: true, description: 'The event a scenario audit answers' })
  scenarioKey!: string | null;

  @Field(() => String, { nullable: true, description: 'Business system whose subgraph was sampled' })
  system!: string | null;

  @Field(() => String, { description: 'The seed: the same seed over the same CIs gives the same sample' })
  seed!: string;

  @Field(() => [AuditStratumType])
  strata!: AuditStratumType[];

  @Field(() => AuditStateEnum)
  state!: string;

  @Field(() => Int)
  itemCount!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String)
  createdBy!: string;

  @Field(() => Date, { nullable: true })
  completedAt!: Date | null;

  @Field(() => String, { nullable: true })
  completedBy!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditPage')
export class AuditPage {
  @Field(() => [AuditType])
  items!: AuditType[];

  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditFieldDifference', { description: 'A field whose recorded and observed values differ' })
export class AuditFieldDifferenceType {
  @Field(() => String)
  field!: string;

  @Field(() => String, { nullable: true, description: 'As recorded when sampled' })
  recorded!: string | null;

  @Field(() => String, { nullable: true, description: 'As observed on the real entity' })
  observed!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditCorrection', { description: 'The write under the audit that corrected the CI' })
export class AuditCorrectionType {
  @Field(() => String, { description: 'CI_UPDATE, CI_RETIRE or CI_LIFECYCLE' })
  action!: string;

  @Field(() => Date)
  at!: Date;

  @Field(() => String)
  actor!: string;

  @Field(() => Int, { nullable: true, description: 'The CI’s version after it' })
  version!: number | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditPastResult', { description: 'A result later replaced (re-recorded or corrected): the trail' })
export class AuditPastResultType {
  @Field(() => AuditItemStatusEnum)
  status!: string;

  @Field(() => [AuditFieldDifferenceType])
  fields!: AuditFieldDifferenceType[];

  @Field(() => String, { nullable: true })
  cause!: string | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => String, { nullable: true })
  auditor!: string | null;

  @Field(() => Date, { nullable: true })
  auditedAt!: Date | null;

  @Field(() => Date)
  replacedAt!: Date;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditItem', { description: 'A sampled CI, frozen as recorded, and what its check found' })
export class AuditItemType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  ciId!: string;

  @Field(() => String)
  code!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String, { description: 'The class (stratum) it was sampled in' })
  stratum!: string;

  @Field(() => GraphQLJSONObject, { description: 'The CI as recorded when sampled: { ci, relations }' })
  recorded!: Record<string, unknown>;

  @Field(() => AuditItemStatusEnum)
  status!: string;

  @Field(() => AuditFindingEnum, {
    nullable: true,
    description: 'What the check found; kept when a correction turns the status MATCHED',
  })
  finding!: string | null;

  @Field(() => [AuditFieldDifferenceType])
  fields!: AuditFieldDifferenceType[];

  @Field(() => String, { nullable: true })
  cause!: string | null;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => String, { nullable: true })
  auditor!: string | null;

  @Field(() => Date, { nullable: true })
  auditedAt!: Date | null;

  @Field(() => AuditCorrectionType, { nullable: true })
  correction!: AuditCorrectionType | null;

  @Field(() => [AuditPastResultType])
  trail!: AuditPastResultType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditItemPage')
export class AuditItemPage {
  @Field(() => [AuditItemType])
  items!: AuditItemType[];

  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditClassReport', { description: 'Per class: sample, findings as recorded, accuracy, corrections' })
export class AuditClassReportType {
  @Field(() => String, { name: 'class', description: '`*` for the total' })
  class!: string;

  @Field(() => Int)
  population!: number;

  @Field(() => Int)
  sampleSize!: number;

  @Field(() => Int)
  unaudited!: number;

  @Field(() => Int)
  matched!: number;

  @Field(() => Int)
  mismatched!: number;

  @Field(() => Int)
  missing!: number;

  @Field(() => Float, { nullable: true, description: 'matched ÷ audited; null while nothing is audited' })
  accuracy!: number | null;

  @Field(() => Int)
  corrected!: number;

  @Field(() => Int)
  openCorrections!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditCauseCount')
export class AuditCauseCountType {
  @Field(() => String)
  cause!: string;

  @Field(() => Int)
  count!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditCorrectiveAction', { description: 'A difference and its correction (null action: still open)' })
export class AuditCorrectiveActionType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String)
  finding!: string;

  @Field(() => [String])
  fields!: string[];

  @Field(() => String, { nullable: true })
  cause!: string | null;

  @Field(() => String, { nullable: true })
  action!: string | null;

  @Field(() => Date, { nullable: true })
  at!: Date | null;

  @Field(() => String, { nullable: true })
  actor!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditReport', { description: 'The audit report (§7.1.4.3, §7.1.4.1 f)' })
export class AuditReportType {
  @Field(() => AuditType)
  audit!: AuditType;

  @Field(() => Date)
  generatedAt!: Date;

  @Field(() => Boolean)
  complete!: boolean;

  @Field(() => [AuditClassReportType])
  classes!: AuditClassReportType[];

  @Field(() => AuditClassReportType)
  total!: AuditClassReportType;

  @Field(() => [AuditCauseCountType])
  causes!: AuditCauseCountType[];

  @Field(() => [AuditCorrectiveActionType], { description: 'Corrective actions taken' })
  corrections!: AuditCorrectiveActionType[];

  @Field(() => [AuditCorrectiveActionType], { description: 'Corrections still open' })
  open!: AuditCorrectiveActionType[];

  @Field(() => String, { description: 'The report as a Markdown document' })
  markdown!: string;

  @Field(() => String, { description: 'Every item as CSV' })
  itemsCsv!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditJobRun', { description: 'One run of an audit job for one scheduled slot' })
export class AuditJobRunType {
  @Field(() => String, { description: '`<job>@<slot ISO>`, unique' })
  key!: string;

  @Field(() => String)
  job!: string;

  @Field(() => Date)
  slot!: Date;

  @Field(() => String, { description: 'DONE or FAILED (a failed slot is retried)' })
  status!: string;

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => String)
  instance!: string;

  @Field(() => Int)
  attempts!: number;

  @Field(() => [String], { description: 'Refs of the audits the run created' })
  audits!: string[];

  @Field(() => GraphQLJSONObject, { nullable: true })
  outcome!: Record<string, unknown> | null;

  @Field(() => String, { nullable: true })
  error!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditJobRunPage')
export class AuditJobRunPage {
  @Field(() => [AuditJobRunType])
  items!: AuditJobRunType[];

  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AuditJobOutcome')
export class AuditJobOutcomeType {
  @Field(() => Boolean, { description: 'False when the slot had already run: nothing new was made' })
  ran!: boolean;

  @Field(() => AuditJobRunType)
  run!: AuditJobRunType;
}

// ---------------------------------------------------------------- inputs

@InputType('AuditClassInput')
export class AuditClassInput {
  @Field(() => String, { name: 'class', description: 'A class of the model; subclasses are sampled with it' })
  @Length(1, 64)
  class!: string;

  @Field(() => Float, {
    nullable: true,
    description: 'Share of the class to sample, above 0 up to 1; the audit’s ratio when absent',
  })
  @IsOptional()
  ratio?: number;

  @Field(() => Int, {
    nullable: true,
    description: 'At least this many (or all, if fewer); the audit’s minimum when absent',
  })
  @IsOptional()
  minimum?: number;
}

@InputType('CreateAuditInput')
export class CreateAuditInput {
  @Field(() => String, { nullable: true, description: 'The AUDIT ticket’s reference; generated when absent' })
  @IsOptional()
  @Length(1, 64)
  ref?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  title?: string;

  @Field(() => [AuditClassInput])
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  classes!: AuditClassInput[];

  @Field(() => Float, { nullable: true, description: 'Default ratio, 0.1' })
  @IsOptional()
  ratio?: number;

  @Field(() => Int, { nullable: true, description: 'Default minimum count, 3' })
  @IsOptional()
  @Min(0)
  @Max(20_000)
  minimum?: number;

  @Field(() => String, { nullable: true, description: 'Limit to the subgraph of this business system (code)' })
  @IsOptional()
  @Length(1, 64)
  system?: string;

  @Field(() => [String], { nullable: true, description: 'Limit to these CIs (codes)' })
  @IsOptional()
  @ArrayMaxSize(20_000)
  cis?: string[];

  @Field(() => String, { nullable: true, description: 'Seed of the sample; random when absent' })
  @IsOptional()
  @Length(1, 200)
  seed?: string;
}

@InputType('AuditFieldInput')
export class AuditFieldInput {
  @Field(() => String, { description: 'name, owner, lifecycle, relations, or an attribute name' })
  @Length(1, 128)
  field!: string;

  @Field(() => String, { nullable: true, description: 'What the real entity shows; null: absent' })
  @IsOptional()
  @Length(0, 4096)
  observed?: string | null;
}

@InputType('AuditResultInput')
export class AuditResultInput {
  @Field(() => String, { description: 'The sampled CI’s code' })
  @Length(1, 64)
  code!: string;

  @Field(() => AuditFindingEnum)
  status!: 'MATCHED' | 'MISMATCHED' | 'MISSING';

  @Field(() => [AuditFieldInput], { nullable: true, description: 'Required for MISMATCHED: the fields that differ' })
  @IsOptional()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  fields?: AuditFieldInput[];

  @Field(() => String, {
    nullable: true,
    description: 'Cause of the difference, from `auditCauses`; required unless MATCHED',
  })
  @IsOptional()
  @Length(1, 64)
  cause?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 2000)
  note?: string;

  @Field(() => Date, { nullable: true, description: 'When the entity was checked; now when absent' })
  @IsOptional()
  auditedAt?: Date;
}

@InputType('CorrectAuditItemInput')
export class CorrectAuditItemInput {
  @Field(() => String)
  @Length(1, 64)
  audit!: string;

  @Field(() => String)
  @Length(1, 64)
  code!: string;

  @Field(() => Int)
  expectedVersion!: number;

  @Field(() => String, { nullable: true })
  @IsOptional()
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  owner?: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'A patch of attributes, as in updateCI' })
  @IsOptional()
  attributes?: Record<string, unknown>;
}

@InputType('AuditFilter')
export class AuditFilter {
  @Field(() => [AuditStateEnum], { nullable: true })
  @IsOptional()
  states?: string[];

  @Field(() => [AuditTriggerEnum], { nullable: true })
  @IsOptional()
  triggers?: string[];
}
