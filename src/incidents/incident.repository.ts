// Cypher of incidents and problems: the records, their symptom CIs, the business systems they affect
// (with recovery confirmations), and what root-cause lookup reads as evidence.

import type { Tx } from '../platform/neo4j/executor';
import { int } from '../platform/neo4j/mappers';

export const INCIDENT_QUERIES = {
  byRef: `MATCH (i:Incident) WHERE i.ref = $ref OR i.id = $ref RETURN i {.*} AS i LIMIT 1`,
  create: `CREATE (i:Incident) SET i = $props`,
  update: `MATCH (i:Incident {id: $id}) SET i += $props`,
  addSymptoms: `
    MATCH (i:Incident {id: $id})
    UNWIND $ciIds AS ciId
    MATCH (c:CI {id: ciId})
    MERGE (i)-[s:SYMPTOM]->(c)
    ON CREATE SET s.since = $at`,
  addAffected: `
    MATCH (i:Incident {id: $id})
    UNWIND $ciIds AS ciId
    MATCH (c:CI {id: ciId})
    MERGE (i)-[a:AFFECTS]->(c)
    ON CREATE SET a.since = $at`,
  symptoms: `
    MATCH (:Incident {id: $id})-[:SYMPTOM]->(c:CI)
    RETURN c.id AS id, c.code AS code, c.name AS name, c.class AS class ORDER BY c.code`,
  affected: `
    MATCH (:Incident {id: $id})-[a:AFFECTS]->(c:CI)
    RETURN c.id AS id, c.code AS code, c.name AS name, c.importance AS importance, c.branchScope AS branchScope,
           a.recoveredAt AS recoveredAt, a.confirmedBy AS confirmedBy
    ORDER BY c.code`,
  confirmRecovery: `
    MATCH (:Incident {id: $id})-[a:AFFECTS]->(c:CI {code: $code})
    SET a.recoveredAt = $at, a.confirmedBy = $actor
    RETURN c.code AS code`,
  linkTicket: `
    MATCH (i:Incident {id: $id}), (t:Ticket {ref: $ref})
    MERGE (i)-[:LINKED]->(t)
    RETURN t.kind AS kind`,
  linkedTickets: `
    MATCH (:Incident {id: $id})-[:LINKED]->(t:Ticket)
    RETURN t.ref AS ref, t.kind AS kind, t.title AS title, t.state AS state ORDER BY t.ref`,
  linkProblem: `
    MATCH (i:Incident {id: $id}), (p:Problem {id: $problemId})
    MERGE (i)-[:CAUSED_BY]->(p)`,
  problemsOf: `
    MATCH (:Incident {id: $id})-[:CAUSED_BY]->(p:Problem)
    RETURN p {.*} AS p ORDER BY p.ref`,
  /** Incidents linked to a ticket (the change that fixes them, the change that caused them). */
  incidentsOfTicket: `
    MATCH (i:Incident)-[:LINKED]->(:Ticket {id: $id})
    WITH DISTINCT i ORDER BY i.occurredAt DESC LIMIT $limit
    RETURN i {.*} AS i`,
  /** Incidents with the CI among their symptoms or affected systems (§7.1.4.1 e). */
  incidentsOfCi: `
    MATCH (i:Incident)-[:SYMPTOM|AFFECTS]->(:CI {id: $id})
    WITH DISTINCT i ORDER BY i.occurredAt DESC LIMIT $limit
    RETURN i {.*} AS i`,
  problemsOfTicket: `
    MATCH (:Ticket {id: $id})-[:LINKED]->(p:Problem)
    WITH DISTINCT p ORDER BY p.ref LIMIT $limit
    RETURN p {.*} AS p`,
  /** Problems whose root cause is the CI, or behind an incident with the CI among its symptoms. */
  problemsOfCi: `
    CALL {
      MATCH (p:Problem)-[:ROOT_CAUSE]->(:CI {id: $id}) RETURN p
      UNION
      MATCH (:CI {id: $id})<-[:SYMPTOM]-(:Incident)-[:CAUSED_BY]->(p:Problem) RETURN p
    }
    WITH p ORDER BY p.ref LIMIT $limit
    RETURN p {.*} AS p`,
  incidentsOfProblem: `
    MATCH (i:Incident)-[:CAUSED_BY]->(:Problem {id: $id})
    RETURN i {.*} AS i ORDER BY i.occurredAt`,
  list: `
    MATCH (i:Incident)
    WHERE ($statuses IS NULL OR i.status IN $statuses) AND ($afterKey IS NULL OR i.ref > $afterKey)
    RETURN i {.*} AS i ORDER BY i.ref LIMIT $limit`,
  count: `MATCH (i:Incident) WHERE $statuses IS NULL OR i.status IN $statuses RETURN count(i) AS total`,
  open: `MATCH (i:Incident {status: 'OPEN'}) RETURN i {.*} AS i ORDER BY i.occurredAt LIMIT $limit`,
  /** Incidents still being worked (for report deadlines). */
  live: `MATCH (i:Incident) WHERE i.status IN ['OPEN', 'RESOLVED'] RETURN i {.*} AS i`,
  moveSymptoms: `
    MATCH (from:Incident {id: $fromId})-[:SYMPTOM]->(c:CI), (into:Incident {id: $intoId})
    MERGE (into)-[s:SYMPTOM]->(c) ON CREATE SET s.since = $at, s.mergedFrom = from.ref
    RETURN count(c) AS n`,
  moveAffected: `
    MATCH (from:Incident {id: $fromId})-[a:AFFECTS]->(c:CI), (into:Incident {id: $intoId})
    MERGE (into)-[b:AFFECTS]->(c) ON CREATE SET b.since = $at, b.recoveredAt = a.recoveredAt, b.confirmedBy = a.confirmedBy`,

  // Evidence for root-cause candidates: changes and releases in the window, open problems, other open incidents.
  changesOn: `
    UNWIND $ids AS id
    MATCH (t:Ticket)-[:SCOPE]->(c:CI {id: id})
    WHERE t.kind IN ['CHANGE', 'RELEASE'] AND NOT t.state IN ['DRAFT', 'CANCELLED']
      AND coalesce(t.plannedStart, t.createdAt) <= $at
      AND coalesce(t.rollbackEnd, t.plannedEnd, t.updatedAt) >= $from
    RETURN id, c.code AS on, t.ref AS ref, t.kind AS kind, t.title AS title, t.state AS state,
           coalesce(t.plannedStart, t.createdAt) AS at`,
  /** The planned windows of the tickets writes cited: a write inside its change's or release's window was planned. */
  ticketWindows: `
    UNWIND $refs AS ref
    MATCH (t:Ticket {ref: ref})
    RETURN t.ref AS ref, t.kind AS kind, t.plannedStart AS start, coalesce(t.rollbackEnd, t.plannedEnd) AS end`,
  problemsOn: `
    UNWIND $ids AS id
    MATCH (p:Problem)-[:ROOT_CAUSE]->(:CI {id: id})
    WHERE p.status IN ['OPEN', 'KNOWN_ERROR']
    RETURN id, p.ref AS ref, p.title AS title, p.status AS status, p.knownError AS knownError, p.workaround AS workaround`,
  incidentsOn: `
    UNWIND $ids AS id
    MATCH (i:Incident {status: 'OPEN'})-[:SYMPTOM]->(:CI {id: id})
    WHERE i.id <> $exclude
    RETURN id, i.ref AS ref, i.title AS title`,

  problemByRef: `MATCH (p:Problem) WHERE p.ref = $ref OR p.id = $ref RETURN p {.*} AS p LIMIT 1`,
  problemCreate: `CREATE (p:Problem) SET p = $props`,
  problemUpdate: `MATCH (p:Problem {id: $id}) SET p += $props`,
  problemRootCause: `
    MATCH (p:Problem {id: $id})
    OPTIONAL MATCH (p)-[old:ROOT_CAUSE]->()
    DELETE old
    WITH p
    MATCH (c:CI {id: $ciId})
    CREATE (p)-[:ROOT_CAUSE]->(c)`,
  problemRootCauseOf: `
    MATCH (:Problem {id: $id})-[:ROOT_CAUSE]->(c:CI)
    RETURN c.code AS code`,
  problems: `
    MATCH (p:Problem)
    WHERE ($statuses IS NULL OR p.status IN $statuses) AND ($afterKey IS NULL OR p.ref > $afterKey)
    RETURN p {.*} AS p ORDER BY p.ref LIMIT $limit`,
  problemCount: `MATCH (p:Problem) WHERE $statuses IS NULL OR p.status IN $statuses RETURN count(p) AS total`,
} as const;

export async function listPage(
  tx: Tx,
  query: string,
  countQuery: string,
  key: 'i' | 'p',
  statuses: string[] | null,
  first: number,
  afterKey: string | null,
) {
  const [count] = await tx.run(countQuery, { statuses });
  const rows = await tx.run(query, { statuses, afterKey, limit: int(first + 1) });
  const items = rows.map((r) => r[key] as Record<string, unknown>);
  return { items: items.slice(0, first), totalCount: count.total as number, hasNextPage: items.length > first };
}
