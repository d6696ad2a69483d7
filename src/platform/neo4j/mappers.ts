// The one place where Neo4j values become plain JavaScript: integers to numbers, temporal
// values to ISO strings, nodes and relationships to their properties. Services never see driver types.

import neo4j, {
  type Integer,
  isDate,
  isDateTime,
  isDuration,
  isLocalDateTime,
  isLocalTime,
  isTime,
} from 'neo4j-driver';

export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

export function toPlain(value: unknown): Plain {
  if (value === null || value === undefined) return null;
  // Strings, numbers and booleans are most of what comes back: no driver type to check them against.
  if (typeof value !== 'object') return typeof value === 'bigint' ? Number(value) : (value as Plain);
  if (neo4j.isInt(value)) return (value as Integer).toNumber();
  if (
    isDateTime(value as object) ||
    isDate(value as object) ||
    isLocalDateTime(value as object) ||
    isTime(value as object) ||
    isLocalTime(value as object) ||
    isDuration(value as object)
  ) {
    return String(value);
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    // Node / Relationship: expose their properties.
    if ('properties' in v && ('labels' in v || 'type' in v) && 'elementId' in v) {
      return toPlain(v.properties);
    }
    const out: Record<string, Plain> = {};
    for (const [k, inner] of Object.entries(v)) out[k] = toPlain(inner);
    return out;
  }
  return value as Plain;
}

/** Neo4j integers for parameters that must be integers (LIMIT, SKIP). */
export function int(value: number): Integer {
  return neo4j.int(value);
}
