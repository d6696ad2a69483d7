// GraphQL shapes of collection templates, imports and exports.

import { IsOptional, Length, Max, Min } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../platform/auth/roles';

export const DataFormatEnum = { CSV: 'CSV', JSON: 'JSON' } as const;
registerEnumType(DataFormatEnum, {
  name: 'DataFormat',
  description: 'CSV (one class per file) or JSON ({ cis, relations })',
});
export const RowActionEnum = {
  CREATE: 'CREATE',
  UPDATE: 'UPDATE',
  UNCHANGED: 'UNCHANGED',
  REJECTED: 'REJECTED',
} as const;
registerEnumType(RowActionEnum, { name: 'RowAction', description: 'What an import does with a row' });

@Authorized(Permission.READ_CMDB)
@ObjectType('CollectionTemplate', { description: 'What operations managers fill for a class (§7.1.4.2.2)' })
export class CollectionTemplateType {
  @Field(() => String, { name: 'class' })
  class!: string;

  @Field(() => String, { description: 'The CSV header line' })
  csvHeader!: string;

  @Field(() => GraphQLJSONObject, { description: 'JSON Schema of one row' })
  jsonSchema!: Record<string, unknown>;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ImportRow')
export class ImportRowType {
  @Field(() => Int)
  row!: number;

  @Field(() => String, { description: 'CI or RELATION' })
  kind!: string;

  @Field(() => String)
  key!: string;

  @Field(() => RowActionEnum)
  action!: string;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => String, { nullable: true })
  field!: string | null;

  @Field(() => Int)
  batch!: number;

  @Field(() => Boolean)
  written!: boolean;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('ImportReport', {
  description: 'Row by row: what was (or, in a dry run, would be) created, updated, unchanged or rejected',
})
export class ImportReportType {
  @Field(() => Boolean)
  dryRun!: boolean;

  @Field(() => Int)
  created!: number;

  @Field(() => Int)
  updated!: number;

  @Field(() => Int)
  unchanged!: number;

  @Field(() => Int)
  rejected!: number;

  @Field(() => Int)
  batches!: number;

  @Field(() => Int)
  batchesWritten!: number;

  @Field(() => [ImportRowType])
  rows!: ImportRowType[];
}

@InputType('ImportInput')
export class ImportInputType {
  @Field(() => DataFormatEnum)
  format!: 'CSV' | 'JSON';

  @Field(() => String, {
    description: 'CSV of CIs (header: class,code,name,owner,lifecycle,<attributes>) or JSON { cis, relations }',
  })
  @Length(1, 1_500_000)
  data!: string;

  @Field(() => String, { nullable: true, description: 'CSV of relationships (header: type,source,target)' })
  @IsOptional()
  @Length(1, 1_500_000)
  relationsCsv?: string;

  @Field(() => Boolean, {
    defaultValue: true,
    description: 'Report without writing; the default, so a write is a deliberate choice',
  })
  dryRun!: boolean;

  @Field(() => Int, {
    defaultValue: 1000,
    description: 'Rows per transaction: a batch with a rejected row writes nothing',
  })
  @Min(1)
  @Max(10_000)
  batchSize!: number;

  @Field(() => String, {
    nullable: true,
    description: 'The ticket that authorises the import (an initialisation, a change…)',
  })
  @IsOptional()
  @Length(1, 64)
  ticket?: string;
}
