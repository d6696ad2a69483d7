// GraphQL shapes of incidents, problems and root-cause lookup.

import { ArrayMaxSize, IsOptional, Length, Matches } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageInfo } from '../platform/graphql/page';
import { PathStepType } from '../changes/changes.graphql';
import { TICKET_REF_PATTERN } from '../tickets/ticket.service';
import { INCIDENT_CLASSIFICATIONS, INCIDENT_LEVELS, INCIDENT_STATUSES, PROBLEM_STATUSES } from './incident.rules';
import { enumOf } from '../platform/graphql/values';

export const IncidentLevelEnum = enumOf(INCIDENT_LEVELS);
export const IncidentClassificationEnum = enumOf(INCIDENT_CLASSIFICATIONS);
export const IncidentStatusEnum = enumOf(INCIDENT_STATUSES);
export const ProblemStatusEnum = enumOf(PROBLEM_STATUSES);

registerEnumType(IncidentLevelEnum, {
  name: 'IncidentLevel',
  description: '特别重大 EXTRA_MAJOR / 重大 MAJOR / 较大 LARGER / 一般 GENERAL (§9.1.4.3)',
});
registerEnumType(IncidentClassificationEnum, {
  name: 'IncidentClassification',
  description: '配置变更 / 安全 / 网络 / 第三方 / 流量激增 (§9.1.4.2)',
});
registerEnumType(IncidentStatusEnum, { name: 'IncidentStatus', description: 'OPEN → RESOLVED → CLOSED, or MERGED' });
registerEnumType(ProblemStatusEnum, { name: 'ProblemStatus', description: 'OPEN → KNOWN_ERROR → RESOLVED → CLOSED' });

@Authorized(Permission.READ_CMDB)
@ObjectType('IncidentLevelInfo', { description: 'The level now, why, and the next it reaches if it lasts' })
export class IncidentLevelInfoType {
  @Field(() => IncidentLevelEnum)
  level!: string;

  @Field(() => String)
  reason!: string;

  @Field(() => IncidentLevelEnum, { nullable: true })
  nextLevel!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it rises to nextLevel if still unresolved' })
  escalatesAt!: Date | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('AffectedSystem', { description: 'A business system an incident affects, and its recovery' })
export class AffectedSystemType {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  importance!: string | null;

  @Field(() => Date, { nullable: true, description: 'Confirmed recovered (§9.1.5.3)' })
  recoveredAt!: Date | null;

  @Field(() => String, { nullable: true })
  confirmedBy!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ReportDeadlines', { description: 'Regulatory reports of a MAJOR or worse incident (§9.1.6.3)' })
export class IncidentDeadlinesType {
  @Field(() => Date, { description: 'First report: 1 hour after occurrence' })
  report!: Date;

  @Field(() => Date, { description: 'Written report: 12 hours after occurrence' })
  writtenReport!: Date;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('IncidentSymptom')
export class SymptomType {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { name: 'class' })
  class!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('LinkedTicket')
export class LinkedTicketType {
  @Field(() => String)
  ref!: string;

  @Field(() => String)
  kind!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String)
  state!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('Incident', { description: 'An incident 事件 (§9.1)' })
export class IncidentType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  ref!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => IncidentClassificationEnum)
  classification!: string;

  @Field(() => IncidentStatusEnum)
  status!: string;

  @Field(() => Date)
  occurredAt!: Date;

  @Field(() => Date)
  detectedAt!: Date;

  @Field(() => Date, { nullable: true })
  resolvedAt!: Date | null;

  @Field(() => Int, { description: 'Minutes from occurrence to resolution, or to now while it runs' })
  durationMinutes!: number;

  @Field(() => [String], { description: 'Provinces whose business is affected' })
  provinces!: string[];

  @Field(() => IncidentLevelInfoType)
  level!: IncidentLevelInfoType;

  @Field(() => String, { nullable: true, description: 'Highest business importance affected' })
  highestImportance!: string | null;

  @Field(() => [AffectedSystemType])
  affected!: AffectedSystemType[];

  @Field(() => IncidentDeadlinesType, { nullable: true })
  deadlines!: IncidentDeadlinesType | null;

  @Field(() => String, { nullable: true, description: 'The incident this one was merged into' })
  mergedInto!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String)
  createdBy!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('IncidentEdge')
export class IncidentEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => IncidentType)
  node!: IncidentType;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('IncidentConnection')
export class IncidentConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [IncidentEdge])
  edges!: IncidentEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('IncidentReportDue', { description: 'A regulatory report due (§9.1.6.3)' })
export class ReportDueType {
  @Field(() => IncidentType)
  incident!: IncidentType;

  @Field(() => Date)
  nextDue!: Date;

  @Field(() => Boolean)
  overdue!: boolean;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('DuplicateIncidents', { description: 'Open incidents with the same top root cause, close in time' })
export class DuplicateGroupType {
  @Field(() => String, { description: 'Code of the shared top root-cause candidate' })
  cause!: string;

  @Field(() => [IncidentType])
  incidents!: IncidentType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ChangeEvidence')
export class ChangeEvidenceType {
  @Field(() => String)
  ref!: string;

  @Field(() => String)
  kind!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String)
  state!: string;

  @Field(() => Date)
  at!: Date;

  @Field(() => String, { description: 'The CI it is on' })
  on!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ProblemEvidence')
export class ProblemEvidenceType {
  @Field(() => String)
  ref!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String)
  status!: string;

  @Field(() => String, { nullable: true })
  knownError!: string | null;

  @Field(() => String, { nullable: true })
  workaround!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('IncidentEvidence')
export class IncidentEvidenceType {
  @Field(() => String)
  ref!: string;

  @Field(() => String)
  title!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('WriteEvidence', { description: 'A write to the candidate shortly before, from the operation log' })
export class WriteEvidenceType {
  @Field(() => Date)
  at!: Date;

  @Field(() => String)
  actor!: string;

  @Field(() => String, { description: 'CI_UPDATE, CI_LIFECYCLE, RELATION_CREATE…' })
  action!: string;

  @Field(() => String, { nullable: true, description: 'The ticket it cited' })
  ticket!: string | null;

  @Field(() => String, { description: 'manual, import, discovery:<tool>…' })
  source!: string;

  @Field(() => Boolean, {
    description:
      'Under a change or release whose planned window holds it; an unplanned write is the strongest evidence',
  })
  planned!: boolean;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('CandidateEvidence')
export class CandidateEvidenceType {
  @Field(() => [WriteEvidenceType], {
    description: 'Writes to it in the window, newest first (at most 20), planned or not (§9.1.5.1 e)',
  })
  writes!: WriteEvidenceType[];

  @Field(() => [ChangeEvidenceType], { description: 'Changes and releases on it in the window (§9.1.4.2 a)' })
  changes!: ChangeEvidenceType[];

  @Field(() => [ChangeEvidenceType], { description: 'Changes and releases just upstream of it' })
  upstreamChanges!: ChangeEvidenceType[];

  @Field(() => [ProblemEvidenceType], { description: 'Open problems and known errors on it' })
  problems!: ProblemEvidenceType[];

  @Field(() => [IncidentEvidenceType], { description: 'Other open incidents on it' })
  incidents!: IncidentEvidenceType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('CandidateScore', {
  description: 'What the rank rests on: symptoms explained, then evidence, then distance',
})
export class CandidateScoreType {
  @Field(() => Int)
  symptomsExplained!: number;

  @Field(() => Int)
  evidence!: number;

  @Field(() => Int, { description: 'Sum of the distances to the symptoms it explains' })
  distance!: number;

  @Field(() => String)
  explanation!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('RootCauseCandidate')
export class CandidateType {
  @Field(() => Int)
  rank!: number;

  @Field(() => String)
  code!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => [String], { description: 'The symptoms it explains' })
  explains!: string[];

  @Field(() => CandidateScoreType)
  score!: CandidateScoreType;

  @Field(() => CandidateEvidenceType)
  evidence!: CandidateEvidenceType;

  @Field(() => [[PathStepType]], { description: 'Per symptom explained: the path from the symptom up to this CI' })
  paths!: PathStepType[][];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('RootCauses')
export class RootCausesType {
  @Field(() => Date, { description: 'The moment the graph was read as of' })
  at!: Date;

  @Field(() => [String])
  symptoms!: string[];

  @Field(() => Int)
  totalCount!: number;

  @Field(() => [CandidateType], { description: 'Best first' })
  candidates!: CandidateType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('Problem', { description: 'A problem 问题 (§9.2)' })
export class ProblemType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  ref!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => ProblemStatusEnum)
  status!: string;

  @Field(() => IncidentLevelEnum)
  level!: string;

  @Field(() => String, { nullable: true, description: '已知错误' })
  knownError!: string | null;

  @Field(() => String, { nullable: true, description: '临时解决方案' })
  workaround!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String)
  createdBy!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ProblemEdge')
export class ProblemEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ProblemType)
  node!: ProblemType;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ProblemConnection')
export class ProblemConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [ProblemEdge])
  edges!: ProblemEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('IncidentPolicy', {
  description: 'Level rules (§9.1.4.3), evidence and duplicate windows, report deadlines',
})
export class IncidentPolicyType {
  @Field(() => Int)
  version!: number;

  @Field(() => Date, { nullable: true })
  savedAt!: Date | null;

  @Field(() => String, { nullable: true })
  savedBy!: string | null;

  @Field(() => GraphQLJSONObject)
  policy!: Record<string, unknown>;
}

@InputType('RecordIncidentInput')
export class RecordIncidentInput {
  @Field(() => String, { description: 'The ITSM reference, unique' })
  @Matches(TICKET_REF_PATTERN, { message: 'ref must be 1–64 letters, digits or ._:/-' })
  ref!: string;

  @Field(() => String)
  @Length(1, 256)
  title!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 10_000)
  description?: string;

  @Field(() => IncidentClassificationEnum)
  classification!: (typeof INCIDENT_CLASSIFICATIONS)[number];

  @Field(() => [String], { description: 'Codes of the CIs showing the symptoms' })
  @ArrayMaxSize(200)
  symptoms!: string[];

  @Field(() => [String], { nullable: true, description: 'Business systems affected beyond those the symptoms reach' })
  @IsOptional()
  @ArrayMaxSize(200)
  affectedSystems?: string[];

  @Field(() => Date, { nullable: true, description: 'When the service was first affected; now when omitted' })
  occurredAt?: Date;

  @Field(() => Date, { nullable: true, description: 'Now when omitted' })
  detectedAt?: Date;

  @Field(() => [String], { nullable: true, description: 'Provinces whose business is affected' })
  @IsOptional()
  @ArrayMaxSize(40)
  provinces?: string[];

  @Field(() => IncidentLevelEnum, { nullable: true, description: 'A floor for the level (data loss, security)' })
  declaredLevel?: (typeof INCIDENT_LEVELS)[number];

  @Field(() => [String], { nullable: true, description: 'Refs of related changes, releases, requests' })
  @IsOptional()
  @ArrayMaxSize(100)
  linkedTickets?: string[];
}

@InputType('UpdateIncidentInput')
export class UpdateIncidentInput {
  @Field(() => String)
  ref!: string;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(40)
  provinces?: string[];

  @Field(() => IncidentLevelEnum, { nullable: true })
  declaredLevel?: (typeof INCIDENT_LEVELS)[number];

  @Field(() => IncidentClassificationEnum, { nullable: true })
  classification?: (typeof INCIDENT_CLASSIFICATIONS)[number];

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(200)
  addSymptoms?: string[];

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(100)
  linkedTickets?: string[];
}

@InputType('RootCauseInput', { description: 'An incident, or symptom CIs and a moment' })
export class RootCauseInput {
  @Field(() => String, { nullable: true, description: 'An incident: its symptoms, as of its occurrence' })
  @IsOptional()
  incident?: string;

  @Field(() => [String], { nullable: true, description: 'Codes of symptom CIs' })
  @IsOptional()
  @ArrayMaxSize(200)
  cis?: string[];

  @Field(() => Date, { nullable: true, description: 'As of this moment (not in the future); now when omitted' })
  at?: Date;

  @Field(() => Int, { nullable: true, description: 'Default 6, at most 10' })
  maxDepth?: number;

  @Field(() => Int, { nullable: true, description: 'Hours before the moment in which changes count; default 72' })
  windowHours?: number;
}

@InputType('ProblemInput')
export class ProblemInputType {
  @Field(() => String)
  @Matches(TICKET_REF_PATTERN, { message: 'ref must be 1–64 letters, digits or ._:/-' })
  ref!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 256)
  title?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 10_000)
  description?: string;

  @Field(() => ProblemStatusEnum, { nullable: true })
  status?: (typeof PROBLEM_STATUSES)[number];

  @Field(() => IncidentLevelEnum, { nullable: true })
  level?: (typeof INCIDENT_LEVELS)[number];

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 10_000)
  knownError?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 10_000)
  workaround?: string;

  @Field(() => String, { nullable: true, description: 'Code of the root-cause CI' })
  @IsOptional()
  rootCause?: string;

  @Field(() => [String], { nullable: true, description: 'Refs of the incidents it is behind' })
  @IsOptional()
  @ArrayMaxSize(100)
  incidents?: string[];
}
