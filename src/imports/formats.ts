// The collection formats (§7.1.4.2.2 配置信息收集模板): a CSV header and a JSON schema per class,
// generated from the model; parsing of filled-in files; export in the same shapes.

import fs from 'node:fs';
import { parse as parseStream } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ValidationError } from '../platform/errors';
import type { CompiledModel, ResolvedClass } from '../model/compiled-model';
import type { AttributeDef } from '../model/model.types';
import type { NewCI, NewRelation } from '../cis/ci.batch';
import type { CIRecord } from '../cis/ci.repository';

/** Columns every CI row has, before its class's attributes. */
export const FIXED_COLUMNS = ['class', 'code', 'name', 'owner', 'lifecycle'] as const;
export const RELATION_COLUMNS = ['type', 'source', 'target'] as const;

export function csvColumns(cls: ResolvedClass): string[] {
  return [...FIXED_COLUMNS, ...cls.attributes.keys()];
}

const JSON_TYPES: Record<string, object> = {
  STRING: { type: 'string' },
  TEXT: { type: 'string' },
  INTEGER: { type: 'integer' },
  FLOAT: { type: 'number' },
  BOOLEAN: { type: 'boolean' },
  DATE: { type: 'string', format: 'date' },
  DATETIME: { type: 'string', format: 'date-time' },
  IP_ADDRESS: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
  URL: { type: 'string', format: 'uri' },
  EMAIL: { type: 'string', format: 'email' },
};

function attributeSchema(a: AttributeDef): object {
  const base: Record<string, unknown> = {
    ...(JSON_TYPES[a.type] ?? { type: 'string' }),
    title: `${a.labelZh} ${a.labelEn}`,
  };
  if (a.type === 'ENUM') Object.assign(base, { type: 'string', enum: a.allowedValues });
  if (a.pattern) base.pattern = a.pattern;
  if (a.min !== undefined) base.minimum = a.min;
  if (a.max !== undefined) base.maximum = a.max;
  if (a.maintainedBy === 'DISCOVERY') base.description = 'maintained by discovery 自动发现维护';
  return base;
}

/** A JSON Schema (2020-12) for one row of the class, as the import takes it. */
export function jsonSchemaFor(model: CompiledModel, cls: ResolvedClass): object {
  const required = [...cls.attributes.values()]
    .filter((a) => a.required || cls.identificationKeys.includes(a.name))
    .map((a) => a.name);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `${cls.def.labelZh} ${cls.def.labelEn} (${cls.name})`,
    type: 'object',
    required: ['class', 'code', 'name', 'owner'],
    additionalProperties: false,
    properties: {
      class: { const: cls.name },
      code: {
        type: 'string',
        ...(cls.codePattern ? { pattern: cls.codePattern.source } : {}),
        description: cls.codeRule ?? 'business code',
      },
      name: { type: 'string', minLength: 1, maxLength: 256 },
      owner: { type: 'string', description: `code of the responsible ${model.data.ownerClasses.join('/')}` },
      lifecycle: { enum: [...model.states].filter((s) => s !== model.retiredState) },
      attributes: {
        type: 'object',
        additionalProperties: false,
        required,
        properties: Object.fromEntries([...cls.attributes.values()].map((a) => [a.name, attributeSchema(a)])),
      },
    },
  };
}

function typed(def: AttributeDef | undefined, raw: string): unknown {
  if (!def) return raw;
  switch (def.type) {
    case 'INTEGER':
    case 'FLOAT':
      return raw.trim() === '' || Number.isNaN(Number(raw)) ? raw : Number(raw);
    case 'BOOLEAN':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    default:
      return raw;
  }
}

/** One CI row of a CSV with a header row; empty cells leave an attribute as it is. */
function ciFromCsv(model: CompiledModel, rec: Record<string, string>): NewCI {
  const cls = model.getClass(rec.class ?? '');
  const attributes: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(rec)) {
    if ((FIXED_COLUMNS as readonly string[]).includes(column) || value === '') continue;
    attributes[column] = typed(cls?.attributes.get(column), value);
  }
  return {
    class: rec.class,
    code: rec.code,
    name: rec.name,
    owner: rec.owner,
    lifecycle: rec.lifecycle || null,
    attributes,
  };
}

function relationFromCsv(rec: Record<string, string>): NewRelation {
  return { type: rec.type, source: rec.source, target: rec.target };
}

/** CI rows from CSV with a header row (`class` says each row's class, so one file may hold many). */
export function parseCsvCIs(model: CompiledModel, text: string): NewCI[] {
  return parseCsv(text).map((rec) => ciFromCsv(model, rec));
}

export function parseCsvRelations(text: string): NewRelation[] {
  return parseCsv(text).map(relationFromCsv);
}

const CSV_OPTIONS = { columns: true, skip_empty_lines: true, trim: true, bom: true } as const;

/** The CI rows of a CSV file, read as a stream: for files too large to hold as one string. */
export function readCsvCIs(model: CompiledModel, file: string): Promise<NewCI[]> {
  return readCsvFile(file, (rec) => ciFromCsv(model, rec));
}

export function readCsvRelations(file: string): Promise<NewRelation[]> {
  return readCsvFile(file, relationFromCsv);
}

async function readCsvFile<T>(file: string, row: (rec: Record<string, string>) => T): Promise<T[]> {
  const rows: T[] = [];
  let header: string[] | null = null;
  try {
    // Records as arrays, named here with the header's columns, empty cells left out: several times
    // faster than csv-parse's `columns` for wide files (a column per attribute of every class).
    for await (const cells of fs.createReadStream(file).pipe(parseStream({ ...CSV_OPTIONS, columns: false }))) {
      const values = cells as string[];
      if (!header) {
        header = values;
        continue;
      }
      const rec: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) if (values[i] !== '') rec[header[i]] = values[i];
      rows.push(row(rec));
    }
  } catch (e) {
    throw new ValidationError(`${file} cannot be read as CSV: ${(e as Error).message}`, { field: 'file' });
  }
  return rows;
}

function parseCsv(text: string): Record<string, string>[] {
  try {
    return parse(text, CSV_OPTIONS) as Record<string, string>[];
  } catch (e) {
    throw new ValidationError(`the CSV cannot be read: ${(e as Error).message}`, { field: 'data' });
  }
}

/** `{ cis: [...], relations: [...] }`, each row as the JSON schema describes. */
export function parseJsonImport(text: string): { cis: NewCI[]; relations: NewRelation[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`the JSON cannot be read: ${(e as Error).message}`, { field: 'data' });
  }
  const d = data as { cis?: unknown; relations?: unknown };
  if (
    !d ||
    typeof d !== 'object' ||
    (d.cis !== undefined && !Array.isArray(d.cis)) ||
    (d.relations !== undefined && !Array.isArray(d.relations))
  ) {
    throw new ValidationError('the JSON must be an object with lists "cis" and "relations"', { field: 'data' });
  }
  return { cis: (d.cis as NewCI[]) ?? [], relations: (d.relations as NewRelation[]) ?? [] };
}

export function exportCsv(cls: ResolvedClass, cis: CIRecord[]): string {
  const columns = csvColumns(cls);
  const rows = cis.map((ci) =>
    columns.map((c) => {
      const v = (FIXED_COLUMNS as readonly string[]).includes(c)
        ? (ci as unknown as Record<string, unknown>)[c]
        : ci.attributes[c];
      return v === undefined || v === null ? '' : String(v);
    }),
  );
  return stringify([columns, ...rows]);
}

export function exportJson(cis: CIRecord[], relations: NewRelation[]): string {
  return JSON.stringify(
    {
      cis: cis.map((ci) => ({
        class: ci.class,
        code: ci.code,
        name: ci.name,
        owner: ci.owner,
        lifecycle: ci.lifecycle,
        attributes: ci.attributes,
      })),
      relations,
    },
    null,
    2,
  );
}
