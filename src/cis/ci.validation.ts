// Pure checks of CI input against the model: attribute types, patterns, enums, naming rule,
// identification keys, lifecycle baselines. No database; each problem names its field.

import { isIP } from 'node:net';
import type { CompiledModel, ModelProblem, ResolvedClass } from '../model/compiled-model';
import type { AttributeDef } from '../model/model.types';

export type AttrValue = string | number | boolean;
export type Attributes = Record<string, AttrValue>;

/** Links people follow from the CMDB: no `javascript:` or `data:` URLs. */
const URL_SCHEMES = ['http:', 'https:', 'ftp:', 'sftp:', 'smb:', 'file:'];

/** A date that exists: JavaScript would quietly roll 2025-02-30 over into March. */
function isCalendarDate(ymd: string): boolean {
  const ms = Date.parse(`${ymd}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === ymd;
}

/**
 * Checks and normalises one attribute value. Returns the value to store, or a problem.
 * Dates are stored as ISO strings so they compare and sort as text.
 */
export function checkAttributeValue(def: AttributeDef, value: unknown): { value?: AttrValue; problem?: string } {
  switch (def.type) {
    case 'STRING':
    case 'TEXT':
      if (typeof value !== 'string') return { problem: 'must be a string' };
      if (def.type === 'STRING' && value.length > 1000) return { problem: 'must be at most 1000 characters' };
      if (value.length > 100_000) return { problem: 'must be at most 100000 characters' };
      break;
    case 'INTEGER':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return { problem: 'must be an integer' };
      break;
    case 'FLOAT':
      if (typeof value !== 'number' || !Number.isFinite(value)) return { problem: 'must be a number' };
      break;
    case 'BOOLEAN':
      if (typeof value !== 'boolean') return { problem: 'must be true or false' };
      break;
    case 'DATE':
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || !isCalendarDate(value)) {
        return { problem: 'must be a date YYYY-MM-DD' };
      }
      break;
    case 'DATETIME': {
      // A zone is required: a time without one would be read in whatever zone the server runs in.
      const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
      const ms =
        typeof value === 'string' && iso.test(value) && isCalendarDate(value.slice(0, 10)) ? Date.parse(value) : NaN;
      if (Number.isNaN(ms)) return { problem: 'must be an ISO 8601 date-time with a zone (Z or +08:00)' };
      value = new Date(ms).toISOString();
      break;
    }
    case 'ENUM':
      if (typeof value !== 'string' || !(def.allowedValues ?? []).includes(value)) {
        return { problem: `must be one of ${(def.allowedValues ?? []).join(', ')}` };
      }
      break;
    case 'IP_ADDRESS':
      if (typeof value !== 'string' || isIP(value) === 0) return { problem: 'must be an IPv4 or IPv6 address' };
      break;
    case 'URL':
      if (typeof value !== 'string' || !URL.canParse(value) || !URL_SCHEMES.includes(new URL(value).protocol)) {
        return { problem: `must be a URL (${URL_SCHEMES.join(' ')})` };
      }
      break;
    case 'EMAIL':
      if (typeof value !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))
        return { problem: 'must be an e-mail address' };
      break;
  }
  if (typeof value === 'number') {
    if (def.min !== undefined && value < def.min) return { problem: `must be at least ${def.min}` };
    if (def.max !== undefined && value > def.max) return { problem: `must be at most ${def.max}` };
  }
  if (def.pattern && typeof value === 'string' && !new RegExp(def.pattern).test(value)) {
    return { problem: `does not match the pattern ${def.pattern}` };
  }
  return { value: value as AttrValue };
}

/**
 * Checks a set of attribute values. With `patch`, a null value clears the attribute and absent
 * ones are untouched; the result is the full set after applying it to `current`.
 */
export function checkAttributes(
  cls: ResolvedClass,
  input: Record<string, unknown>,
  current: Attributes = {},
): { attributes: Attributes; problems: ModelProblem[] } {
  const problems: ModelProblem[] = [];
  const attributes: Attributes = { ...current };
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { attributes, problems: [{ field: 'attributes', message: 'must be an object of attribute values' }] };
  }
  for (const [name, raw] of Object.entries(input)) {
    const def = cls.attributes.get(name);
    if (!def) {
      problems.push({ field: `attributes.${name}`, message: `${cls.name} has no attribute ${name}` });
      continue;
    }
    if (raw === null || raw === undefined || raw === '') {
      delete attributes[name];
      continue;
    }
    const checked = checkAttributeValue(def, raw);
    if (checked.problem) problems.push({ field: `attributes.${name}`, message: `${name} ${checked.problem}` });
    else attributes[name] = checked.value!;
  }
  for (const def of cls.attributes.values()) {
    if (
      def.required &&
      attributes[def.name] === undefined &&
      !problems.some((p) => p.field === `attributes.${def.name}`)
    ) {
      problems.push({ field: `attributes.${def.name}`, message: `${def.name} is required for ${cls.name}` });
    }
  }
  for (const key of cls.identificationKeys) {
    if (attributes[key] === undefined && !problems.some((p) => p.field === `attributes.${key}`)) {
      problems.push({ field: `attributes.${key}`, message: `${key} identifies a ${cls.name} and is required` });
    }
  }
  return { attributes, problems };
}

export function checkCode(cls: ResolvedClass, code: unknown): ModelProblem | undefined {
  if (typeof code !== 'string' || code.length === 0 || code.length > 128) {
    return { field: 'code', message: 'code must be 1 to 128 characters' };
  }
  if (cls.codePattern && !cls.codePattern.test(code)) {
    const rule = cls.codeRule ? ` (${cls.codeRule})` : '';
    return {
      field: 'code',
      message: `code "${code}" breaks the naming rule of ${cls.name}: ${cls.codePattern.source}${rule}`,
    };
  }
  return undefined;
}

/** The value of the uniqueness constraint on identification keys, or null for a class without keys. */
export function identKeyOf(cls: ResolvedClass, attributes: Attributes): string | null {
  if (!cls.identDeclaringClass || cls.identificationKeys.length === 0) return null;
  return `${cls.identDeclaringClass}|${cls.identificationKeys.map((k) => `${k}=${JSON.stringify(attributes[k])}`).join('|')}`;
}

export interface RelationCount {
  type: string;
  direction: 'OUT' | 'IN';
  count: number;
}

/** What a CI lacks for the baseline of a lifecycle state (§7.1.4.2.3); empty when it meets it. */
export function missingForBaseline(
  model: CompiledModel,
  cls: ResolvedClass,
  state: string,
  attributes: Attributes,
  relations: RelationCount[],
): string[] {
  const baseline = cls.baselines.get(state);
  if (!baseline) return [];
  const missing: string[] = [];
  for (const a of baseline.requiredAttributes) if (attributes[a] === undefined) missing.push(`attribute ${a}`);
  for (const r of baseline.requiredRelations) {
    const have = relations.find((x) => x.type === r.type && x.direction === r.direction)?.count ?? 0;
    if (have === 0) {
      const label = model.relationTypes.get(r.type)?.labelZh ?? r.type;
      missing.push(`relation ${r.direction === 'OUT' ? '' : 'incoming '}${r.type} (${label})`);
    }
  }
  return missing;
}
