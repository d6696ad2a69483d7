// GraphQL shapes of baselines: the baseline and its content, a comparison with its differences, and the
// lifecycle-baseline compliance report.

import { ArrayMaxSize, IsOptional, Length, Max, Min, ValidateNested } from 'class-validator';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageInfo } from '../platform/graphql/page';
import { MAX_DEPTH } from '../cis/propagation';
import { RelationRequirementType } from '../model/model.graphql';
import { DIFFERENCE_KINDS, type Difference } from './baseline.diff';
import type { StoredBaseline } from './baseline.repository';

export const DifferenceKindEnum = Object.fromEntries(DIFFERENCE_KINDS.map((k) => [k, k])) as {
  [K in (typeof DIFFERENCE_KINDS)[number]]: K;
};
registerEnumType(DifferenceKindEnum, {
  name: 'BaselineDifferenceKind',
  description:
    'CI_ADDED / CI_REMOVED (with the relationships that came or went with it), CI_CHANGED (fields with old and new values), RELATION_ADDED / RELATION_REMOVED (between CIs on both sides)',
});

@InputType('BaselineScopeInput', {
  description:
    'What a baseline covers: CIs with what they depend on to a depth, a business system with everything under it, and/or classes',
})
export class BaselineScopeInput {
  @Field(() => [String], {
    nullable: true,
    description: 'Codes of CIs; with what they depend on (against failure propagation) to `depth`',
  })
  @IsOptional()
  @ArrayMaxSize(10_000)
  cis?: string[];

  @Field(() => Int, {
    nullable: true,
    description: `Depth of dependencies of \`cis\`: 0 for the CIs alone; default 6, at most ${MAX_DEPTH}`,
  })
  @IsOptional()
  @Min(0)
  @Max(MAX_DEPTH)
  depth?: number;

  @Field(() => String, { nullable: true, description: 'Code of a business system: it and everything under it' })
  @IsOptional()
  @Length(1, 128)
  businessSystem?: string;

  @Field(() => [String], {
    nullable: true,
    description: 'With cis or businessSystem: keep CIs of these classes only; alone: every CI of these classes',
  })
  @IsOptional()
  @ArrayMaxSize(100)
  classes?: string[];
}

@InputType('CaptureBaselineInput')
export class CaptureBaselineInput {
  @Field(() => String)
  @Length(1, 200)
  name!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 2000)
  description?: string;

  @Field(() => BaselineScopeInput)
  @ValidateNested()
  scope!: BaselineScopeInput;

  @Field(() => Date, { nullable: true, description: 'Capture as of this past moment; now when omitted' })
  asOf?: Date;
}

@InputType('BaselineCompareInput', {
  description: 'What to compare a baseline with: another baseline, a past moment, or (neither) now',
})
export class BaselineCompareInput {
  @Field(() => ID, { nullable: true, description: 'Another baseline' })
  @IsOptional()
  @Length(1, 64)
  baseline?: string;

  @Field(() => Date, { nullable: true, description: 'A past moment: the baseline’s scope as it was then' })
  at?: Date;
}

@InputType('BaselineFilterInput')
export class BaselineFilterInput {
  @Field(() => String, { nullable: true, description: 'Baselines captured for this change (ITSM reference)' })
  @IsOptional()
  @Length(1, 64)
  ticket?: string;

  @Field(() => String, { nullable: true, description: 'Name contains' })
  @IsOptional()
  @Length(1, 200)
  name?: string;
}

@InputType('ComplianceFilterInput')
export class ComplianceFilterInput {
  @Field(() => [String], { nullable: true, description: 'Only these classes (subclasses included)' })
  @IsOptional()
  @ArrayMaxSize(100)
  classes?: string[];

  @Field(() => String, { nullable: true, description: 'Only CIs of this owner (team code)' })
  @IsOptional()
  @Length(1, 128)
  owner?: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('Baseline', { description: 'A named, immutable record of what a scope held at a moment (§3.15)' })
export class BaselineType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Date, { description: 'When it was captured' })
  capturedAt!: Date;

  @Field(() => Date, { description: 'The moment it records (capturedAt, or the past moment asked for)' })
  asOf!: Date;

  @Field(() => String)
  createdBy!: string;

  @Field(() => GraphQLJSONObject, { description: 'The scope definition: cis, depth, businessSystem, classes, change' })
  scope!: Record<string, unknown>;

  @Field(() => String, { nullable: true, description: 'The change it was captured for, when it moved to implementing' })
  ticket!: string | null;

  @Field(() => Int)
  ciCount!: number;

  @Field(() => Int)
  relationCount!: number;

  @Field(() => Int, { description: 'The configuration model version it was captured under' })
  modelVersion!: number;
}

export function baselineView(b: StoredBaseline): BaselineType {
  return {
    id: b.id,
    name: b.name,
    description: b.description ?? null,
    capturedAt: new Date(b.capturedAt),
    asOf: new Date(b.asOf),
    createdBy: b.createdBy,
    scope: JSON.parse(b.scope) as Record<string, unknown>,
    ticket: b.ticketRef ?? null,
    ciCount: b.ciCount,
    relationCount: b.relationCount,
    modelVersion: b.modelVersion,
  };
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineConnection')
export class BaselineConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [BaselineType])
  nodes!: BaselineType[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineCI', { description: 'A CI as a baseline recorded it' })
export class BaselineCIType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String)
  lifecycle!: string;

  @Field(() => String, { nullable: true })
  owner!: string | null;

  @Field(() => Int)
  version!: number;

  @Field(() => GraphQLJSONObject)
  attributes!: Record<string, unknown>;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineRelation', { description: 'A relationship between two CIs of the scope, by their codes' })
export class BaselineRelationType {
  @Field(() => String)
  type!: string;

  @Field(() => String)
  source!: string;

  @Field(() => String)
  target!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineCIConnection')
export class BaselineCIConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [BaselineCIType])
  nodes!: BaselineCIType[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineRelationConnection')
export class BaselineRelationConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [BaselineRelationType])
  nodes!: BaselineRelationType[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('FieldChange', { description: 'One field that differs: lifecycle, name, owner or attributes.<name>' })
export class FieldChangeType {
  @Field(() => String)
  field!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Before; null when absent' })
  old!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'After; null when absent (cleared)' })
  new!: unknown;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineDifference')
export class BaselineDifferenceType {
  @Field(() => DifferenceKindEnum)
  kind!: string;

  @Field(() => String, { description: 'The CI concerned; for a relationship, its source' })
  code!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => BaselineCIType, { nullable: true, description: 'The CI before (removed, changed)' })
  before!: BaselineCIType | null;

  @Field(() => BaselineCIType, { nullable: true, description: 'The CI after (added, changed)' })
  after!: BaselineCIType | null;

  @Field(() => [FieldChangeType], { description: 'CI_CHANGED: every field that differs, lifecycle first' })
  changes!: FieldChangeType[];

  @Field(() => BaselineRelationType, { nullable: true, description: 'RELATION_ADDED / RELATION_REMOVED' })
  relation!: BaselineRelationType | null;

  @Field(() => [BaselineRelationType], {
    description: 'CI_ADDED / CI_REMOVED: the relationships that came or went with the CI',
  })
  relations!: BaselineRelationType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineDifferenceConnection')
export class BaselineDifferenceConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [BaselineDifferenceType])
  nodes!: BaselineDifferenceType[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineDiffCounts')
export class BaselineDiffCountsType {
  @Field(() => Int, { description: 'All differences' })
  total!: number;

  @Field(() => Int)
  ciAdded!: number;

  @Field(() => Int)
  ciRemoved!: number;

  @Field(() => Int)
  ciChanged!: number;

  @Field(() => Int, { description: 'Changed CIs whose lifecycle state differs' })
  lifecycleChanges!: number;

  @Field(() => Int, { description: 'Attribute values that differ, over all changed CIs' })
  attributeChanges!: number;

  @Field(() => Int)
  relationsAdded!: number;

  @Field(() => Int)
  relationsRemoved!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineCount')
export class BaselineCountType {
  @Field(() => String)
  key!: string;

  @Field(() => Int)
  count!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ComparisonSide')
export class ComparisonSideType {
  @Field(() => BaselineType, { nullable: true, description: 'The baseline; null for a moment or now' })
  baseline!: BaselineType | null;

  @Field(() => Date, { description: 'The moment compared' })
  asOf!: Date;

  @Field(() => Int)
  ciCount!: number;

  @Field(() => Int)
  relationCount!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('BaselineComparison', {
  description:
    'What differs between a baseline and another baseline, a past moment or now: counts first, details paged',
})
export class BaselineComparisonType {
  @Field(() => ComparisonSideType)
  from!: ComparisonSideType;

  @Field(() => ComparisonSideType)
  to!: ComparisonSideType;

  @Field(() => [String], {
    nullable: true,
    description: 'The classes differences were filtered to, subclasses included',
  })
  classes!: string[] | null;

  @Field(() => BaselineDiffCountsType)
  counts!: BaselineDiffCountsType;

  @Field(() => [BaselineCountType], { description: 'Differences by class of the CI concerned' })
  byClass!: BaselineCountType[];

  /** Every difference, for the `differences` field resolver to page. */
  all!: Difference[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ComplianceItem', { description: 'A CI failing the lifecycle baseline of its state, and what it lacks' })
export class ComplianceItemType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String, { nullable: true })
  owner!: string | null;

  @Field(() => String)
  lifecycle!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => [String], { description: 'What it lacks, as the lifecycle check words it' })
  missing!: string[];

  @Field(() => [String])
  missingAttributes!: string[];

  @Field(() => [RelationRequirementType])
  missingRelations!: RelationRequirementType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ComplianceGroup')
export class ComplianceGroupType {
  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String, { nullable: true })
  owner!: string | null;

  @Field(() => Int)
  count!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ComplianceReport', {
  description: 'CIs that fail the lifecycle baseline of their current state (§7.1.4.2.3), by class and owner',
})
export class ComplianceReportType {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [ComplianceGroupType], { description: 'Failing CIs per class and owner, ordered by class then owner' })
  groups!: ComplianceGroupType[];

  @Field(() => [ComplianceItemType], { description: 'This page, ordered by class, owner and code' })
  nodes!: ComplianceItemType[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
