// Small value conversions every room's GraphQL layer shares.

import type { PolicyVersion } from '../neo4j/policy-store';

/** A GraphQL enum object from a closed list of names: each name maps to itself. */
export const enumOf = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

/** Epoch milliseconds as a Date for the API, null staying null. */
export const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(ms));

/** A stored policy version as the API shows it (ChangePolicy, IncidentPolicy): the document as JSON. */
export function policyVersionView<T>(p: PolicyVersion<T>) {
  return {
    version: p.version,
    savedAt: dateOrNull(p.savedAt),
    savedBy: p.savedBy,
    policy: p.policy as unknown as Record<string, unknown>,
  };
}
