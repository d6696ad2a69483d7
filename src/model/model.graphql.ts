// GraphQL shapes of the configuration model. Each class is both the output type and the input
// type of the same thing, so reading the model and editing it use one vocabulary.

import { ArrayMaxSize, IsOptional, Length, Matches, ValidateNested } from 'class-validator';
import { Authorized, Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import {
  ATTRIBUTE_NAME_PATTERN,
  ATTRIBUTE_TYPES,
  CLASS_NAME_PATTERN,
  RELATION_TYPE_PATTERN,
  STATE_NAME_PATTERN,
  type AttributeType,
  type Cardinality,
  type MaintainedBy,
  type Propagation,
} from './model.types';
import { enumOf } from '../platform/graphql/values';

export const AttributeTypeEnum = enumOf(ATTRIBUTE_TYPES);
export const CardinalityEnum = enumOf(['ONE_TO_ONE', 'ONE_TO_MANY', 'MANY_TO_ONE', 'MANY_TO_MANY'] as const);
export const PropagationEnum = enumOf(['TARGET_TO_SOURCE', 'SOURCE_TO_TARGET', 'BOTH', 'NONE'] as const);
export const MaintainedByEnum = enumOf(['HUMAN', 'DISCOVERY'] as const);
export const DirectionEnum = enumOf(['OUT', 'IN'] as const);

registerEnumType(AttributeTypeEnum, { name: 'AttributeType', description: 'Type of an attribute value 属性类型' });
registerEnumType(CardinalityEnum, {
  name: 'Cardinality',
  description:
    'MANY_TO_ONE: a source has at most one target of the type (e.g. RUNS_ON); ONE_TO_MANY: a target at most one source',
});
registerEnumType(PropagationEnum, {
  name: 'Propagation',
  description:
    'Which way a failure travels 故障传播方向: TARGET_TO_SOURCE (A RUNS_ON B: B fails → A impacted), SOURCE_TO_TARGET (C PART_OF A: C fails → A impacted)',
});
registerEnumType(MaintainedByEnum, {
  name: 'MaintainedBy',
  description: 'Who keeps the attribute current 维护方: HUMAN 人工 / DISCOVERY 自动发现',
});
registerEnumType(DirectionEnum, {
  name: 'RelationDirection',
  description: 'OUT: this CI is the source; IN: this CI is the target',
});

@Authorized(Permission.READ_CMDB)
@ObjectType('AttributeDefinition', { description: 'An attribute of a CI class 属性定义' })
@InputType('AttributeDefinitionInput')
export class AttributeDefinitionType {
  @Field(() => String)
  @Matches(ATTRIBUTE_NAME_PATTERN, { message: 'name must be camelCase letters and digits' })
  name!: string;

  @Field(() => AttributeTypeEnum)
  type!: AttributeType;

  @Field(() => String)
  @Length(1, 100)
  labelZh!: string;

  @Field(() => String)
  @Length(1, 100)
  labelEn!: string;

  @Field(() => Boolean, { nullable: true })
  required?: boolean;

  @Field(() => Boolean, { nullable: true })
  unique?: boolean;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 500)
  pattern?: string;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(500)
  allowedValues?: string[];

  @Field(() => Float, { nullable: true })
  min?: number;

  @Field(() => Float, { nullable: true })
  max?: number;

  @Field(() => MaintainedByEnum, { nullable: true })
  maintainedBy?: MaintainedBy;

  @Field(() => Boolean, {
    nullable: true,
    description: '管理属性 (§7.1.4.2.1 e): contacts, service levels, responsibility; a service request may update it',
  })
  management?: boolean;

  @Field(() => String, { nullable: true })
  description?: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('RelationRequirement', { description: 'A relationship a lifecycle baseline requires' })
@InputType('RelationRequirementInput')
export class RelationRequirementType {
  @Field(() => String)
  @Matches(RELATION_TYPE_PATTERN)
  type!: string;

  @Field(() => DirectionEnum)
  direction!: 'OUT' | 'IN';
}

@Authorized(Permission.READ_CMDB)
@ObjectType('LifecycleBaseline', { description: 'What a CI must have in a lifecycle state 生命周期基线 (§7.1.4.2.3)' })
@InputType('LifecycleBaselineInput')
export class LifecycleBaselineType {
  @Field(() => String)
  @Matches(STATE_NAME_PATTERN)
  state!: string;

  @Field(() => [String], { nullable: true })
  requiredAttributes?: string[];

  @Field(() => [RelationRequirementType], { nullable: true })
  @IsOptional()
  @ValidateNested({ each: true })
  requiredRelations?: RelationRequirementType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('CIClass', { description: 'A class of configuration items 配置项类别' })
@InputType('CIClassInput')
export class CIClassType {
  @Field(() => String)
  @Matches(CLASS_NAME_PATTERN, { message: 'name must be PascalCase letters and digits' })
  name!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(CLASS_NAME_PATTERN)
  parent?: string;

  @Field(() => Boolean, { nullable: true })
  abstract?: boolean;

  @Field(() => String)
  @Length(1, 100)
  labelZh!: string;

  @Field(() => String)
  @Length(1, 100)
  labelEn!: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Naming rule 命名规则 of the business code, a regular expression',
  })
  @IsOptional()
  @Length(1, 500)
  codePattern?: string;

  @Field(() => String, { nullable: true })
  codeRule?: string;

  @Field(() => [String], { nullable: true, description: 'Attributes that identify the real entity 识别属性' })
  identificationKeys?: string[];

  @Field(() => [AttributeDefinitionType], { description: 'Own attributes; see the class query for inherited ones' })
  @ValidateNested({ each: true })
  attributes!: AttributeDefinitionType[];

  @Field(() => [LifecycleBaselineType], { nullable: true })
  @IsOptional()
  @ValidateNested({ each: true })
  lifecycleBaselines?: LifecycleBaselineType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('RelationType', { description: 'A relationship type 关系类型' })
@InputType('RelationTypeInput')
export class RelationTypeType {
  @Field(() => String)
  @Matches(RELATION_TYPE_PATTERN, { message: 'name must be UPPER_SNAKE' })
  name!: string;

  @Field(() => String)
  @Length(1, 100)
  labelZh!: string;

  @Field(() => String)
  @Length(1, 100)
  labelEn!: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => [String])
  sources!: string[];

  @Field(() => [String])
  targets!: string[];

  @Field(() => CardinalityEnum)
  cardinality!: Cardinality;

  @Field(() => PropagationEnum)
  propagation!: Propagation;

  @Field(() => Boolean, { nullable: true, description: 'The disaster-recovery counterpart relationship 灾备对应' })
  disasterRecovery?: boolean;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('LifecycleState')
@InputType('LifecycleStateInput')
export class LifecycleStateType {
  @Field(() => String)
  @Matches(STATE_NAME_PATTERN)
  name!: string;

  @Field(() => String)
  labelZh!: string;

  @Field(() => String)
  labelEn!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('LifecycleTransition')
@InputType('LifecycleTransitionInput')
export class LifecycleTransitionType {
  @Field(() => String)
  from!: string;

  @Field(() => String)
  to!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('Lifecycle', { description: 'Lifecycle states and allowed transitions 生命周期' })
@InputType('LifecycleInput')
export class LifecycleType {
  @Field(() => [LifecycleStateType])
  @ValidateNested({ each: true })
  states!: LifecycleStateType[];

  @Field(() => [LifecycleTransitionType])
  @ValidateNested({ each: true })
  transitions!: LifecycleTransitionType[];

  @Field(() => [String])
  initialStates!: string[];

  @Field(() => String)
  retiredState!: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ConfigModel', { description: 'The configuration model 配置模型, one version of it' })
export class ConfigModelType {
  @Field(() => Int)
  version!: number;

  @Field(() => LifecycleType)
  lifecycle!: LifecycleType;

  @Field(() => [String])
  ownerClasses!: string[];

  @Field(() => [CIClassType])
  classes!: CIClassType[];

  @Field(() => [RelationTypeType])
  relationTypes!: RelationTypeType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ResolvedClass', { description: 'A class with everything it inherits 含继承的类别' })
export class ResolvedClassType {
  @Field(() => String)
  name!: string;

  @Field(() => CIClassType)
  definition!: CIClassType;

  @Field(() => [String], { description: 'Nearest first' })
  ancestors!: string[];

  @Field(() => [String], { description: 'The class and every class below it' })
  selfAndDescendants!: string[];

  @Field(() => [AttributeDefinitionType])
  attributes!: AttributeDefinitionType[];

  @Field(() => [String])
  identificationKeys!: string[];

  @Field(() => String, { nullable: true })
  codePattern?: string;

  @Field(() => [LifecycleBaselineType])
  lifecycleBaselines!: LifecycleBaselineType[];
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ModelVersionInfo')
export class ModelVersionInfoType {
  @Field(() => Int)
  version!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String)
  actor!: string;

  @Field(() => String, { nullable: true })
  comment?: string;

  @Field(() => [String])
  changes!: string[];
}
