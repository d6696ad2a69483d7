// Cypher of the configuration model: versions as documents, and the checks that find the CIs
// an edit would break. Relationship types reach Cypher text only through `relType()`.

import type { Tx } from '../platform/neo4j/executor';
import { int } from '../platform/neo4j/mappers';
import type { CompiledModel } from './compiled-model';
import { RELATION_TYPE_PATTERN, type ConfigModelData } from './model.types';

export const MODEL_QUERIES = {
  headVersion: `MATCH (m:ModelVersion) RETURN max(m.version) AS version`,
  load: `
    MATCH (m:ModelVersion)
    WHERE ($version IS NULL OR m.version = $version)
    RETURN m.version AS version, m.doc AS doc
    ORDER BY m.version DESC LIMIT 1`,
  save: `
    CREATE (m:ModelVersion {version: $version, doc: $doc, createdAt: $at, actor: $actor, comment: $comment, changes: $changes})`,
  versions: `
    MATCH (m:ModelVersion)
    RETURN m.version AS version, m.createdAt AS createdAt, m.actor AS actor, m.comment AS comment, m.changes AS changes
    ORDER BY m.version DESC LIMIT $limit`,
  countByClass: `
    MATCH (n:CI) WHERE n.class IN $classes
    RETURN count(n) AS count, collect(n.code)[0..5] AS examples`,
  missingAttribute: `
    MATCH (n:CI) WHERE n.class IN $classes AND n[$attribute] IS NULL AND n.lifecycle <> $retired
    RETURN count(n) AS count, collect(n.code)[0..5] AS examples`,
  hasAttribute: `
    MATCH (n:CI) WHERE n.class IN $classes AND n[$attribute] IS NOT NULL AND n.lifecycle <> $retired
    RETURN count(n) AS count, collect(n.code)[0..5] AS examples`,
  valueNotIn: `
    MATCH (n:CI) WHERE n.class IN $classes AND n[$attribute] IS NOT NULL AND n.lifecycle <> $retired AND NOT n[$attribute] IN $values
    RETURN count(n) AS count, collect(n.code)[0..5] AS examples`,
  valueNotMatching: `
    MATCH (n:CI) WHERE n.class IN $classes AND n[$attribute] IS NOT NULL AND n.lifecycle <> $retired
      AND NOT toString(n[$attribute]) =~ $pattern
    RETURN count(n) AS count, collect(n.code)[0..5] AS examples`,
  valueOutOfRange: `
    MATCH (n:CI) WHERE n.class IN $classes AND n[$attribute] IS NOT NULL AND n.lifecycle <> $retired
      AND (($min IS NOT NULL AND n[$attribute] < $min) OR ($max IS NOT NULL AND n[$attribute] > $max))
    RETURN count(n) AS count, collect(n.code)[0..5] AS examples`,
  duplicateValues: `
    MATCH (n:CI) WHERE n.class IN $classes AND n[$attribute] IS NOT NULL AND n.lifecycle <> $retired
    WITH n[$attribute] AS value, collect(n.code) AS codes WHERE size(codes) > 1
    RETURN sum(size(codes)) AS count, reduce(acc = [], c IN collect(codes) | acc + c)[0..5] AS examples`,
  codeNotMatching: `
    MATCH (n:CI) WHERE n.class IN $classes AND n.lifecycle <> $retired AND NOT n.code =~ $pattern
    RETURN count(n) AS count, collect(n.code)[0..5] AS examples`,
  valuesOf: `
    MATCH (n:CI) WHERE n.class IN $classes AND n[$attribute] IS NOT NULL AND n.lifecycle <> $retired
    RETURN n.id AS id, n[$attribute] AS value`,
  createClaims: `
    UNWIND $claims AS claim
    MERGE (c:UniqueClaim {key: claim.key}) ON CREATE SET c.ciId = claim.ciId`,
  dropClaims: `
    MATCH (c:UniqueClaim) WHERE c.key STARTS WITH $prefix
    DETACH DELETE c`,
  /** Compiles a pattern in the database's regex engine (Java), which is stricter than JavaScript's in places. */
  regexCheck: `RETURN '' =~ $pattern AS ok`,
  inState: `
    MATCH (n:CI) WHERE n.lifecycle IN $states
    RETURN count(n) AS count, collect(n.code)[0..5] AS examples`,
  ownersOutside: `
    MATCH (n:CI) WHERE n.owner IS NOT NULL
    MATCH (o:CI {code: n.owner}) WHERE NOT o.class IN $ownerClasses
    RETURN count(n) AS count, collect(n.code)[0..5] AS examples`,
} as const;

/** Backticked relationship type, only for names the model declares. */
export function relType(model: CompiledModel, name: string): string {
  if (!RELATION_TYPE_PATTERN.test(name) || !model.relationTypes.has(name)) {
    throw new Error(`relationship type ${JSON.stringify(name)} is not in the model`);
  }
  return `\`${name}\``;
}

/**
 * The model's patterns are read as JavaScript reads them: a match anywhere in the text unless
 * anchored. Cypher's `=~` must match the whole text, so it gets the pattern wrapped to agree.
 */
export function findAnywhere(pattern: string): string {
  return `(?s).*(?:${pattern}).*`;
}

export function relationQueries(type: string) {
  return {
    active: `
      MATCH (a:CI)-[r:${type}]->(b:CI) WHERE r.until IS NULL
      RETURN count(r) AS count, collect(a.code + '->' + b.code)[0..5] AS examples`,
    endpointsOutside: `
      MATCH (a:CI)-[r:${type}]->(b:CI) WHERE r.until IS NULL AND NOT (a.class IN $sources AND b.class IN $targets)
      RETURN count(r) AS count, collect(a.code + '->' + b.code)[0..5] AS examples`,
    manyOut: `
      MATCH (a:CI)-[r:${type}]->(:CI) WHERE r.until IS NULL
      WITH a, count(r) AS n WHERE n > 1
      RETURN count(a) AS count, collect(a.code)[0..5] AS examples`,
    manyIn: `
      MATCH (:CI)-[r:${type}]->(b:CI) WHERE r.until IS NULL
      WITH b, count(r) AS n WHERE n > 1
      RETURN count(b) AS count, collect(b.code)[0..5] AS examples`,
  };
}

export interface CountWithExamples {
  count: number;
  examples: string[];
}

export class ModelRepository {
  async headVersion(tx: Tx): Promise<number | null> {
    const [row] = await tx.run(MODEL_QUERIES.headVersion);
    return (row?.version as number | null) ?? null;
  }

  async load(tx: Tx, version: number | null = null): Promise<{ version: number; data: ConfigModelData } | null> {
    const [row] = await tx.run(MODEL_QUERIES.load, { version });
    if (!row) return null;
    return { version: row.version as number, data: JSON.parse(row.doc as string) as ConfigModelData };
  }

  async save(
    tx: Tx,
    args: { version: number; data: ConfigModelData; at: number; actor: string; comment: string; changes: string[] },
  ): Promise<void> {
    await tx.run(MODEL_QUERIES.save, { ...args, doc: JSON.stringify(args.data) });
  }

  async versions(tx: Tx, limit: number) {
    return tx.run(MODEL_QUERIES.versions, { limit: int(limit) });
  }

  async count(tx: Tx, cypher: string, params: Record<string, unknown>): Promise<CountWithExamples> {
    const [row] = await tx.run(cypher, params);
    return { count: (row?.count as number) ?? 0, examples: ((row?.examples as string[]) ?? []).slice(0, 5) };
  }
}
