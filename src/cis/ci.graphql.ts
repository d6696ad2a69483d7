// GraphQL shapes of CIs and relationships: what a client reads, the inputs it writes with, and
// the list filter. Attribute values travel as a JSON object checked against the model.

import { ArrayMaxSize, IsInt, IsOptional, Length, Min, ValidateNested } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { DirectionEnum } from '../model/model.graphql';
import { PageInfo } from '../platform/graphql/page';

@Authorized(Permission.READ_CMDB)
@ObjectType('ConfigurationItem', { description: 'A configuration item 配置项 (§7.1.4.1)' })
export class CIType {
  @Field(() => ID, { description: 'Immutable id' })
  id!: string;

  @Field(() => String, { description: 'Business code following the class naming rule 配置项编码' })
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String, { description: 'Lifecycle state 生命周期状态' })
  lifecycle!: string;

  @Field(() => String, { nullable: true, description: 'Code of the person or team responsible 运维责任人' })
  owner!: string | null;

  @Field(() => Int, { description: 'Incremented by every change; updates name the version they expect' })
  version!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  @Field(() => Date, { nullable: true })
  retiredAt!: Date | null;

  @Field(() => Boolean, { description: 'No longer reported by the discovery source that maintained it' })
  stale!: boolean;

  @Field(() => GraphQLJSONObject)
  attributes!: Record<string, unknown>;

  @Field(() => Date, { nullable: true, description: 'The moment this state was read as of; null for now' })
  asOf!: Date | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('Relation', { description: 'A relationship 关系, seen from one of its CIs' })
export class RelationType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  type!: string;

  @Field(() => DirectionEnum)
  direction!: 'OUT' | 'IN';

  @Field(() => Date)
  since!: Date;

  @Field(() => Date, { nullable: true, description: 'When the relationship was ended; null while active' })
  until!: Date | null;

  @Field(() => CIType, { description: 'The CI at the other end, read as of the same moment' })
  other!: CIType;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('CIEdge')
export class CIEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => CIType)
  node!: CIType;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('CIConnection')
export class CIConnection {
  @Field(() => Int, { description: 'Exact number of CIs matching the filter' })
  totalCount!: number;

  @Field(() => [CIEdge])
  edges!: CIEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('CIVersion', { description: 'One recorded version of a CI' })
export class CIVersionType {
  @Field(() => Int)
  version!: number;

  @Field(() => Date)
  validFrom!: Date;

  @Field(() => Date, { nullable: true })
  validTo!: Date | null;

  @Field(() => GraphQLJSONObject)
  state!: Record<string, unknown>;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('OperationLogEntry', { description: 'One entry of the append-only operation log 操作日志' })
export class OperationLogEntryType {
  @Field(() => Int)
  seq!: number;

  @Field(() => Date)
  at!: Date;

  @Field(() => String)
  actor!: string;

  @Field(() => String)
  action!: string;

  @Field(() => String)
  targetType!: string;

  @Field(() => String)
  targetId!: string;

  @Field(() => String, { nullable: true })
  ticket!: string | null;

  @Field(() => String)
  source!: string;

  @Field(() => GraphQLJSONObject, { nullable: true })
  before!: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  after!: Record<string, unknown> | null;

  @Field(() => String)
  hash!: string;
}

/** Every manual write names the ticket that authorises it (§7.1.3 c). */
@InputType()
export abstract class AuthorisedWriteInput {
  @Field(() => String, {
    nullable: true,
    description:
      'The ticket that authorises the write (§7.1.3 c): a change in implementation (written by its implementer), or an open, approved incident, release, service request (management attributes only), audit or initialisation, whose scope holds the CI',
  })
  @IsOptional()
  @Length(1, 64)
  ticket?: string;
}

/** A write to one stored CI, named by id or code, at the version the client read. */
@InputType()
export abstract class VersionedCIWriteInput extends AuthorisedWriteInput {
  @Field(() => ID, { nullable: true })
  id?: string;

  @Field(() => String, { nullable: true })
  code?: string;

  @Field(() => Int, { description: 'The version you read; a stale one is refused with CONFLICT' })
  @IsInt()
  @Min(1)
  expectedVersion!: number;
}

@InputType('RelationSpecInput', { description: 'A relationship created together with a CI' })
export class RelationSpecInput {
  @Field(() => String)
  @Length(1, 64)
  type!: string;

  @Field(() => String, { nullable: true, description: 'Code of the target: the new CI is the source' })
  target?: string;

  @Field(() => String, { nullable: true, description: 'Code of the source: the new CI is the target' })
  source?: string;
}

@InputType('CreateCIInput')
export class CreateCIInput extends AuthorisedWriteInput {
  @Field(() => String, { name: 'class' })
  @Length(1, 64)
  class!: string;

  @Field(() => String)
  @Length(1, 128)
  code!: string;

  @Field(() => String)
  @Length(1, 256)
  name!: string;

  @Field(() => String, { description: 'Code of the responsible person or team 运维责任人' })
  @Length(1, 128)
  owner!: string;

  @Field(() => String, { nullable: true, description: 'Initial lifecycle state; the model default when absent' })
  lifecycle?: string;

  @Field(() => GraphQLJSONObject, { nullable: true })
  attributes?: Record<string, unknown>;

  @Field(() => [RelationSpecInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  relations?: RelationSpecInput[];
}

@InputType('UpdateCIInput', { description: 'Names the CI by id or by code' })
export class UpdateCIInput extends VersionedCIWriteInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 256)
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 128)
  owner?: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Attributes to set; null clears one; absent ones stay',
  })
  attributes?: Record<string, unknown>;
}

@InputType('ChangeLifecycleInput', { description: 'Names the CI by id or by code' })
export class ChangeLifecycleInput extends VersionedCIWriteInput {
  @Field(() => String)
  @Length(1, 32)
  state!: string;
}

@InputType('RetireCIInput', { description: 'Names the CI by id or by code' })
export class RetireCIInput extends VersionedCIWriteInput {}

@InputType('RelationInput')
export class RelationInput extends AuthorisedWriteInput {
  @Field(() => String)
  @Length(1, 64)
  type!: string;

  @Field(() => String, { description: 'Code of the source CI' })
  @Length(1, 128)
  source!: string;

  @Field(() => String, { description: 'Code of the target CI' })
  @Length(1, 128)
  target!: string;
}

@InputType('AttributeEqualsInput')
export class AttributeEqualsInput {
  @Field(() => String)
  @Length(1, 64)
  name!: string;

  @Field(() => String, { description: 'Compared as text, number or boolean as the attribute is typed' })
  equals!: string;
}

@InputType('CIFilter')
export class CIFilterInput {
  @Field(() => [String], { nullable: true, description: 'Classes, subclasses included' })
  @IsOptional()
  @ArrayMaxSize(50)
  classes?: string[];

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(20)
  lifecycles?: string[];

  @Field(() => String, { nullable: true })
  owner?: string;

  @Field(() => [String], {
    nullable: true,
    description: 'Business importance 业务重要性: CORE, IMPORTANT, GENERAL, OTHER',
  })
  @IsOptional()
  @ArrayMaxSize(4)
  importance?: string[];

  @Field(() => [AttributeEqualsInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  attributes?: AttributeEqualsInput[];

  @Field(() => String, { nullable: true, description: 'Text contained in the name or the code' })
  @IsOptional()
  @Length(1, 100)
  text?: string;
}
