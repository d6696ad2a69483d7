// GraphQL in and out for collection templates, bulk import and export.

import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import { writeContextOf, type RequestContext } from '../platform/server/context';
import { NotFoundError, ValidationError } from '../platform/errors';
import { CIFilterInput } from '../cis/ci.graphql';
import { CollectionTemplateType, DataFormatEnum, ImportInputType, ImportReportType } from './import.graphql';
import {
  csvColumns,
  exportCsv,
  exportJson,
  jsonSchemaFor,
  parseCsvCIs,
  parseCsvRelations,
  parseJsonImport,
} from './formats';

/** Exports through the API stop here; the CLI pages through larger sets. */
export const EXPORT_LIMIT = 50_000;

@Resolver()
export class ImportResolver {
  @Authorized(Permission.READ_CMDB)
  @Query(() => CollectionTemplateType, {
    description: 'The collection template of a class: CSV header and JSON schema',
  })
  async collectionTemplate(
    @Ctx() ctx: RequestContext,
    @Arg('class', () => String) className: string,
  ): Promise<CollectionTemplateType> {
    const model = await ctx.services.model.current();
    const cls = model.getClass(className);
    if (!cls || cls.abstract)
      throw new NotFoundError(`no concrete class ${JSON.stringify(className)}`, { field: 'class' });
    return {
      class: cls.name,
      csvHeader: csvColumns(cls).join(','),
      jsonSchema: jsonSchemaFor(model, cls) as Record<string, unknown>,
    };
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => ImportReportType, {
    description: 'Bulk import of CIs and relationships, idempotent by identification keys; dry run by default',
  })
  async importCIs(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => ImportInputType) input: ImportInputType,
  ): Promise<ImportReportType> {
    const model = await ctx.services.model.current();
    const data =
      input.format === 'CSV'
        ? {
            cis: parseCsvCIs(model, input.data),
            relations: input.relationsCsv ? parseCsvRelations(input.relationsCsv) : [],
          }
        : parseJsonImport(input.data);
    return ctx.services.imports.run(writeContextOf(ctx, input.ticket ?? null, 'import'), data, {
      dryRun: input.dryRun,
      batchSize: input.batchSize,
    });
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => String, {
    description: 'CIs matching a filter, as CSV (exactly one class) or JSON with the relationships among them',
  })
  async exportCIs(
    @Ctx() ctx: RequestContext,
    @Arg('format', () => DataFormatEnum) format: 'CSV' | 'JSON',
    @Arg('filter', () => CIFilterInput, { nullable: true }) filter?: CIFilterInput,
    @Arg('limit', () => Int, { defaultValue: 10_000 }) limit = 10_000,
  ): Promise<string> {
    if (limit < 1 || limit > EXPORT_LIMIT)
      throw new ValidationError(`limit must be 1 to ${EXPORT_LIMIT}`, { field: 'limit' });
    const model = await ctx.services.model.current();
    const { cis, relations } = await ctx.services.cis.exportSet(filter ?? {}, limit);
    if (format === 'JSON') return exportJson(cis, relations);
    const classes = [...new Set(cis.map((c) => c.class))];
    if (classes.length > 1) {
      throw new ValidationError(
        `CSV holds one class; the filter matches ${classes.join(', ')}: filter on one class or use JSON`,
        { field: 'filter.classes' },
      );
    }
    const cls = model.getClass(classes[0] ?? filter?.classes?.[0] ?? '');
    if (!cls) throw new ValidationError('CSV export needs a class: set filter.classes', { field: 'filter.classes' });
    return exportCsv(cls, cis);
  }
}
