// GraphQL shapes of change impact analysis: the blast radius, the stored assessment of a change and
// the change policy (risk rules, lead times, operations calendar).

import { ArrayMaxSize, IsOptional, Length } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageInfo } from '../platform/graphql/page';

@InputType('BlastRadiusInput', { description: 'Where to start (a change or CIs) and how far to go' })
export class BlastRadiusInput {
  @Field(() => [String], { nullable: true, description: 'Codes of the CIs changed' })
  @IsOptional()
  @ArrayMaxSize(10_000)
  cis?: string[];

  @Field(() => String, { nullable: true, description: 'A change (ITSM reference): its scope is what changes' })
  @IsOptional()
  @Length(1, 64)
  change?: string;

  @Field(() => Int, { nullable: true, description: 'Maximum distance, default 6, at most 10' })
  maxDepth?: number;

  @Field(() => [String], { nullable: true, description: 'Follow only these relation types' })
  @IsOptional()
  @ArrayMaxSize(100)
  relationTypes?: string[];

  @Field(() => [String], { nullable: true, description: 'Do not follow these relation types' })
  @IsOptional()
  @ArrayMaxSize(100)
  skipRelationTypes?: string[];

  @Field(() => [String], {
    nullable: true,
    description: 'CIs of these classes (subclasses included) are impacted but propagate no further',
  })
  @IsOptional()
  @ArrayMaxSize(100)
  stopAtClasses?: string[];

  @Field(() => Date, { nullable: true, description: 'As of this moment; now when omitted' })
  at?: Date;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('Count')
export class CountType {
  @Field(() => String)
  key!: string;

  @Field(() => Int)
  count!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('PathStep', { description: 'One step of an explanation path, from a changed CI to an impacted one' })
export class PathStepType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String, { nullable: true, description: 'Relation type crossed to arrive here; null on the first step' })
  via!: string | null;

  @Field(() => Boolean, { description: 'Whether that relationship points from the previous CI to this one' })
  forward!: boolean;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ImpactedCI', { description: 'A CI in the blast radius, with its distance and one shortest path' })
export class ImpactedCIType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String, { description: 'Lifecycle state (as of the moment asked)' })
  lifecycle!: string;

  @Field(() => String, { nullable: true })
  owner!: string | null;

  @Field(() => Int, { description: '0 for a changed CI' })
  distance!: number;

  @Field(() => [PathStepType])
  path!: PathStepType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ImpactedCIEdge')
export class ImpactedCIEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ImpactedCIType)
  node!: ImpactedCIType;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ImpactedCIConnection')
export class ImpactedCIConnection {
  @Field(() => Int, { description: 'Exact number of impacted CIs' })
  totalCount!: number;

  @Field(() => [ImpactedCIEdge])
  edges!: ImpactedCIEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ImpactSummary')
export class ImpactSummaryType {
  @Field(() => [CountType])
  byClass!: CountType[];

  @Field(() => [CountType])
  byLifecycle!: CountType[];

  @Field(() => [CountType], { description: 'Business systems reached, by importance 业务重要性' })
  byImportance!: CountType[];

  @Field(() => [CountType], { description: 'Impacted CIs by distance' })
  byDistance!: CountType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ImpactedSystem', {
  description: 'A business system reached: a party the assessor must involve (§7.2.5.2 d)',
})
export class ImpactedSystemType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  lifecycle!: string;

  @Field(() => String, { nullable: true, description: 'Code of the responsible team or person' })
  owner!: string | null;

  @Field(() => String, { nullable: true })
  ownerName!: string | null;

  @Field(() => String, { nullable: true, description: 'CORE 核心 / IMPORTANT 重要 / GENERAL 一般 / OTHER 其他' })
  importance!: string | null;

  @Field(() => Boolean, { description: 'Serves customers over the internet: tell them before the change (§7.2.5.3)' })
  internetFacing!: boolean;

  @Field(() => String, { nullable: true })
  branchScope!: string | null;

  @Field(() => Int, { description: '0 when the system itself is in the scope' })
  distance!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('DrCounterpart', { description: 'The DR counterpart of a changed CI: it follows within one working day' })
export class DrCounterpartType {
  @Field(() => String, { description: 'The changed CI' })
  of!: string;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String)
  lifecycle!: string;

  @Field(() => String)
  via!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BlastRadius', { description: 'What a change to the given CIs can break (§7.2.5.2 d)' })
export class BlastRadiusType {
  @Field(() => Date, { nullable: true })
  asOf!: Date | null;

  @Field(() => Int)
  maxDepth!: number;

  @Field(() => Int, { description: 'The deepest distance at which CIs were reached' })
  depthReached!: number;

  @Field(() => [ImpactedCIType], { description: 'The changed CIs (distance 0)' })
  seeds!: ImpactedCIType[];

  @Field(() => Int, { description: 'Exact number of impacted CIs, the changed ones excluded' })
  totalCount!: number;

  @Field(() => ImpactSummaryType)
  summary!: ImpactSummaryType;

  @Field(() => [ImpactedSystemType])
  businessSystems!: ImpactedSystemType[];

  @Field(() => [ImpactedSystemType], { description: 'Internet-facing systems reached (§7.2.5.3)' })
  internetFacing!: ImpactedSystemType[];

  @Field(() => [DrCounterpartType], { description: 'DR counterparts of the changed CIs (§7.2.5.2 e)' })
  drCounterparts!: DrCounterpartType[];

  @Field(() => ImpactedCIConnection, { description: 'Impacted CIs, nearest first, then by code' })
  impacted!: ImpactedCIConnection;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('FiredRule', { description: 'A grading rule that fired, and why' })
export class FiredRuleType {
  @Field(() => String)
  id!: string;

  @Field(() => String, { description: 'MAJOR 重大 / NORMAL 常规 / STANDARD 标准' })
  grade!: string;

  @Field(() => String)
  clause!: string;

  @Field(() => String)
  description!: string;

  @Field(() => String)
  detail!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ChangeConflict', {
  description: 'Another change overlapping in time whose scope or impact meets this one',
})
export class ChangeConflictType {
  @Field(() => String)
  ref!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String)
  state!: string;

  @Field(() => Date)
  plannedStart!: Date;

  @Field(() => Date, { nullable: true })
  plannedEnd!: Date | null;

  @Field(() => String, { description: 'SCOPE: both change the same CI; IMPACT: their blast radii meet' })
  kind!: string;

  @Field(() => [String], { description: 'CIs both reach (the first 200)' })
  shared!: string[];

  @Field(() => Int)
  sharedCount!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('CalendarWindow', {
  description: 'A freeze 封网 or business-peak 业务高峰 window of the operations calendar',
})
export class CalendarWindowType {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'FREEZE or PEAK' })
  kind!: string;

  @Field(() => Date)
  start!: Date;

  @Field(() => Date)
  end!: Date;

  @Field(() => String, { nullable: true })
  description!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ScopeProposal', {
  description: 'A CI depending directly on the scope: alerts, start/stop or verification',
})
export class ScopeProposalType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String)
  dependsOn!: string;

  @Field(() => String)
  via!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ScopeCheck', { description: '§7.2.5.1 g: what belongs in this change and what in separate ones' })
export class ScopeCheckType {
  @Field(() => [[String]], { description: 'Scope CIs grouped by dependency; more than one group: split the change' })
  groups!: string[][];

  @Field(() => Boolean)
  separable!: boolean;

  @Field(() => [ScopeProposalType], { description: 'The first 200 CIs proposed for inclusion' })
  proposals!: ScopeProposalType[];

  @Field(() => Int)
  proposalCount!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('LeadTime', { description: '前导时间 (§7.2.5.1 i)' })
export class LeadTimeType {
  @Field(() => Boolean, { description: 'Emergency changes are exempt' })
  exempt!: boolean;

  @Field(() => Int)
  requiredWorkingDays!: number;

  @Field(() => String, { nullable: true, description: 'Last day (YYYY-MM-DD) the change could be raised' })
  latestSubmission!: string | null;

  @Field(() => Boolean, { nullable: true })
  met!: boolean | null;

  @Field(() => String)
  reason!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ReportDeadline')
export class ReportDeadlineType {
  @Field(() => Boolean)
  required!: boolean;

  @Field(() => String, { nullable: true, description: 'Last day (YYYY-MM-DD) to file it' })
  dueBy!: string | null;

  @Field(() => String, { nullable: true })
  rule!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ChangeDeadlines', { description: 'Lead time and regulatory reports (§7.2.5.1 i, §7.2.6)' })
export class DeadlinesType {
  @Field(() => LeadTimeType)
  leadTime!: LeadTimeType;

  @Field(() => ReportDeadlineType, { description: 'Report to the regulator before implementation (§7.2.6)' })
  regulatorReport!: ReportDeadlineType;

  @Field(() => ReportDeadlineType, { description: 'Summary report after implementation (§7.2.6 a)' })
  summaryReport!: ReportDeadlineType;

  @Field(() => String, { nullable: true, description: 'DR environment follows by this day (§7.2.5.4 g)' })
  drFollowUpBy!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AssessedImpact', { description: 'The blast radius as the assessor saw it' })
export class AssessedImpactType {
  @Field(() => [String])
  scope!: string[];

  @Field(() => Int)
  maxDepth!: number;

  @Field(() => Int)
  depthReached!: number;

  @Field(() => Int)
  totalCount!: number;

  @Field(() => [CountType])
  byClass!: CountType[];

  @Field(() => [CountType])
  byLifecycle!: CountType[];

  @Field(() => [CountType])
  byImportance!: CountType[];

  @Field(() => [ImpactedSystemType])
  businessSystems!: ImpactedSystemType[];

  @Field(() => [ImpactedSystemType])
  internetFacing!: ImpactedSystemType[];

  @Field(() => [DrCounterpartType])
  drCounterparts!: DrCounterpartType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ChangeAssessment', { description: 'A stored assessment of a change 变更评估 (§7.2.5.2)' })
export class ChangeAssessmentType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  ticket!: string;

  @Field(() => Date)
  assessedAt!: Date;

  @Field(() => String)
  assessedBy!: string;

  @Field(() => Int, { description: 'The change policy version applied' })
  policyVersion!: number;

  @Field(() => String, { description: 'MAJOR 重大 / NORMAL 常规 / STANDARD 标准 (§7.2.4.2)' })
  grade!: string;

  @Field(() => String, { description: 'Impact of failure: HIGH, MEDIUM or LOW' })
  impactLevel!: string;

  @Field(() => String, { description: 'Likelihood of failure: the technical complexity' })
  likelihood!: string;

  @Field(() => String, { nullable: true })
  highestImportance!: string | null;

  @Field(() => Int, { nullable: true, description: 'Expected interruption used by the grading' })
  outageMinutes!: number | null;

  @Field(() => [FiredRuleType])
  rules!: FiredRuleType[];

  @Field(() => AssessedImpactType)
  impact!: AssessedImpactType;

  @Field(() => [ChangeConflictType])
  conflicts!: ChangeConflictType[];

  @Field(() => [CalendarWindowType], { description: 'Freeze and peak windows the change window falls in' })
  calendarWindows!: CalendarWindowType[];

  @Field(() => ScopeCheckType)
  scopeCheck!: ScopeCheckType;

  @Field(() => DeadlinesType)
  deadlines!: DeadlinesType;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ChangePolicy', {
  description: 'Risk rules, lead times and the operations calendar (§7.2.4.2.1, §7.2.5.1 h/i)',
})
export class ChangePolicyType {
  @Field(() => Int, { description: '0: the standard’s defaults, never saved' })
  version!: number;

  @Field(() => Date, { nullable: true })
  savedAt!: Date | null;

  @Field(() => String, { nullable: true })
  savedBy!: string | null;

  @Field(() => GraphQLJSONObject, { description: '{ risk, leadTimes, calendar }' })
  policy!: Record<string, unknown>;
}
