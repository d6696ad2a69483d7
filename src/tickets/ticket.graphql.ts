// GraphQL shapes of tickets: the ticket, its change details, and the inputs that open and move them.

import { ArrayMaxSize, IsOptional, Length, Matches, Min, ValidateNested } from 'class-validator';
import { Authorized, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { PageInfo } from '../platform/graphql/page';
import { CHANGE_CATEGORIES, CHANGE_SUBTYPES, COMPLEXITIES, TICKET_KINDS, TICKET_STATES } from './ticket.types';
import { TICKET_REF_PATTERN } from './ticket.service';
import { enumOf } from '../platform/graphql/values';

export const TicketKindEnum = enumOf(TICKET_KINDS);
export const TicketStateEnum = enumOf(TICKET_STATES);
export const ChangeCategoryEnum = enumOf(CHANGE_CATEGORIES);
export const ChangeSubtypeEnum = enumOf(CHANGE_SUBTYPES);
export const ComplexityEnum = enumOf(COMPLEXITIES);

registerEnumType(TicketKindEnum, {
  name: 'TicketKind',
  description:
    'CHANGE 变更, RELEASE 发布, INCIDENT 事件, SERVICE_REQUEST 服务请求, AUDIT 配置审计, INITIALIZATION 配置初始化 (§7.1.4.2.1)',
});
registerEnumType(TicketStateEnum, {
  name: 'TicketState',
  description:
    'Changes (§7.2.5): DRAFT → ASSESSING → APPROVAL → APPROVED → IMPLEMENTING → REVIEW → CLOSED / FAILED / ROLLED_BACK, or CANCELLED; emergency changes DRAFT → APPROVAL; standard changes ASSESSING → APPROVED. Others: PENDING_APPROVAL (opened by a person) → OPEN → IN_PROGRESS → CLOSED, or CANCELLED',
});
registerEnumType(ChangeCategoryEnum, {
  name: 'ChangeCategory',
  description: '应用类 APPLICATION / 基础设施类 INFRASTRUCTURE (§7.2.4.1)',
});
registerEnumType(ChangeSubtypeEnum, { name: 'ChangeSubtype', description: 'Domain of the change (§7.2.4.1)' });
registerEnumType(ComplexityEnum, {
  name: 'Complexity',
  description: 'Technical complexity: the likelihood of failure (§7.2.4.2)',
});

@Authorized(Permission.READ_CMDB)
@ObjectType('ChangeDetails', { description: 'What a change record carries (§7.2)' })
export class ChangeDetailsType {
  @Field(() => ChangeCategoryEnum)
  category!: string;

  @Field(() => ChangeSubtypeEnum)
  subtype!: string;

  @Field(() => Boolean, { description: '紧急变更 (§7.2.4.2.5)' })
  emergency!: boolean;

  @Field(() => ComplexityEnum)
  complexity!: string;

  @Field(() => Date, { nullable: true })
  plannedStart!: Date | null;

  @Field(() => Date, { nullable: true })
  plannedEnd!: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of the rollback window' })
  rollbackEnd!: Date | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Expected interruption of business service in minutes (§7.2.4.2.2 b); when unknown, grading counts the whole window',
  })
  expectedOutageMinutes!: number | null;

  @Field(() => String)
  initiator!: string;

  @Field(() => String, { nullable: true, description: '变更评估岗: never the initiator (§7.2.5.2)' })
  assessor!: string | null;

  @Field(() => String, { nullable: true })
  implementer!: string | null;

  @Field(() => String, { nullable: true, description: 'Never the implementer (§7.2.5.4)' })
  reviewer!: string | null;

  @Field(() => Boolean, { description: 'The DR environment must follow within one working day (§7.2.5.2 e)' })
  drFollowUp!: boolean;

  @Field(() => String, { nullable: true, description: 'Why an emergency change cannot wait (§7.2.4.2.5)' })
  emergencyReason!: string | null;

  @Field(() => Int, {
    description: 'How many times the change went to approval; approvals of earlier rounds have lapsed',
  })
  approvalRound!: number;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('TicketApproval', { description: 'An approval given to a ticket (§7.2.5.3, §7.1.3 c)' })
export class TicketApprovalType {
  @Field(() => Int, { description: 'The approval round of a change it belongs to (0 for other tickets)' })
  round!: number;

  @Field(() => String, {
    description: 'Which approval: OPS_MANAGER, EXPERT_PANEL or ORG_HEAD for a change; the approving role otherwise',
  })
  stage!: string;

  @Field(() => String)
  actor!: string;

  @Field(() => Date)
  at!: Date;

  @Field(() => String, { nullable: true })
  comment!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('Ticket', { description: 'A ticket that authorises configuration changes (§7.1.4.2.1)' })
export class TicketType {
  @Field(() => ID)
  id!: string;

  @Field(() => TicketKindEnum)
  kind!: string;

  @Field(() => String, { description: 'The ITSM reference' })
  ref!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => TicketStateEnum)
  state!: string;

  @Field(() => Boolean, { description: 'Whether it authorises configuration writes now' })
  active!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String)
  createdBy!: string;

  @Field(() => Date)
  updatedAt!: Date;

  @Field(() => ChangeDetailsType, { nullable: true })
  change!: ChangeDetailsType | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ScopeItem', { description: 'A CI in a ticket’s scope' })
export class ScopeItemType {
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
}

@Authorized(Permission.READ_CMDB)
@ObjectType('TicketEdge')
export class TicketEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => TicketType)
  node!: TicketType;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('TicketConnection')
export class TicketConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [TicketEdge])
  edges!: TicketEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType('ChangeDetailsInput')
export class ChangeDetailsInput {
  @Field(() => ChangeCategoryEnum)
  category!: (typeof CHANGE_CATEGORIES)[number];

  @Field(() => ChangeSubtypeEnum)
  subtype!: (typeof CHANGE_SUBTYPES)[number];

  @Field(() => Boolean, { nullable: true })
  emergency?: boolean;

  @Field(() => ComplexityEnum, { nullable: true })
  complexity?: (typeof COMPLEXITIES)[number];

  @Field(() => Date, { nullable: true })
  plannedStart?: Date;

  @Field(() => Date, { nullable: true })
  plannedEnd?: Date;

  @Field(() => Date, { nullable: true })
  rollbackEnd?: Date;

  @Field(() => Int, { nullable: true, description: 'Expected interruption of business service in minutes' })
  @IsOptional()
  @Min(0)
  expectedOutageMinutes?: number;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 128)
  assessor?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 128)
  implementer?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 128)
  reviewer?: string;

  @Field(() => Boolean, { nullable: true })
  drFollowUp?: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'Why an emergency change cannot wait (§7.2.4.2.5); required before an emergency change goes to approval',
  })
  @IsOptional()
  @Length(1, 2000)
  emergencyReason?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Only for the ITSM platform: the person who raised the change there; a person opening a change is its initiator',
  })
  @IsOptional()
  @Length(1, 128)
  initiator?: string;
}

@InputType('OpenTicketInput')
export class OpenTicketInput {
  @Field(() => TicketKindEnum)
  kind!: (typeof TICKET_KINDS)[number];

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

  @Field(() => [String], { nullable: true, description: 'Codes of the CIs the ticket may change' })
  @IsOptional()
  @ArrayMaxSize(10_000)
  scope?: string[];

  @Field(() => [String], {
    nullable: true,
    description: 'Refs of related tickets, recorded incidents (recordIncident) or problems',
  })
  @IsOptional()
  @ArrayMaxSize(100)
  linked?: string[];

  @Field(() => ChangeDetailsInput, { nullable: true, description: 'Required for kind CHANGE' })
  @IsOptional()
  @ValidateNested()
  change?: ChangeDetailsInput;
}

@InputType('AssignChangeRolesInput')
export class AssignChangeRolesInput {
  @Field(() => String)
  ticket!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 128)
  assessor?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 128)
  implementer?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 128)
  reviewer?: string;
}

@InputType('TicketScopeInput')
export class TicketScopeInput {
  @Field(() => String)
  ticket!: string;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(10_000)
  add?: string[];

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(10_000)
  remove?: string[];
}

@InputType('TicketFilter')
export class TicketFilterInput {
  @Field(() => [TicketKindEnum], { nullable: true })
  kinds?: string[];

  @Field(() => [TicketStateEnum], { nullable: true })
  states?: string[];
}
