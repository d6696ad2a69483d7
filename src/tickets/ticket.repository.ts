// Cypher of tickets: the ticket node, its scope of CIs and its links to other tickets.

import type { Tx } from '../platform/neo4j/executor';
import { int } from '../platform/neo4j/mappers';
import type { Ticket } from './ticket.types';

export const TICKET_QUERIES = {
  byIdOrRef: `
    MATCH (t:Ticket) WHERE t.id = $ref OR t.ref = $ref
    RETURN t {.*} AS t LIMIT 1`,
  create: `CREATE (t:Ticket) SET t = $props`,
  update: `MATCH (t:Ticket {id: $id}) SET t += $props`,
  addScope: `
    MATCH (t:Ticket {id: $id})
    UNWIND $ciIds AS ciId
    MATCH (c:CI {id: ciId})
    MERGE (t)-[s:SCOPE]->(c)
    ON CREATE SET s.since = $at, s.addedBy = $actor`,
  removeScope: `
    MATCH (t:Ticket {id: $id})-[s:SCOPE]->(c:CI)
    WHERE c.id IN $ciIds
    DELETE s`,
  scopeHolds: `
    UNWIND $ciIds AS ciId
    OPTIONAL MATCH (t:Ticket {id: $id})-[:SCOPE]->(c:CI {id: ciId})
    RETURN ciId, c IS NOT NULL AS inScope`,
  scope: `
    MATCH (t:Ticket {id: $id})-[:SCOPE]->(c:CI)
    RETURN c.id AS id, c.code AS code, c.name AS name, c.class AS class, c.lifecycle AS lifecycle
    ORDER BY c.code`,
  link: `
    MATCH (a:Ticket {id: $id}), (b:Ticket {id: $other})
    MERGE (a)-[:LINKED]->(b)`,
  linked: `
    MATCH (t:Ticket {id: $id})-[:LINKED]-(o:Ticket)
    RETURN DISTINCT o {.*} AS t ORDER BY o.ref`,
  ciTickets: `
    MATCH (t:Ticket)-[:SCOPE]->(:CI {id: $ciId})
    RETURN t {.*} AS t ORDER BY t.createdAt DESC`,
} as const;

export function listWhere(filter: { kinds?: string[] | null; states?: string[] | null }): {
  where: string;
  params: Record<string, unknown>;
} {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.kinds?.length) {
    parts.push('t.kind IN $kinds');
    params.kinds = filter.kinds;
  }
  if (filter.states?.length) {
    parts.push('t.state IN $states');
    params.states = filter.states;
  }
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** Ticket properties as stored: change details are flattened onto the node. */
export function toTicket(props: Record<string, unknown>): Ticket {
  const p = props as Record<string, any>;
  return {
    id: p.id,
    kind: p.kind,
    ref: p.ref,
    title: p.title,
    description: p.description ?? null,
    state: p.state,
    createdAt: p.createdAt,
    createdBy: p.createdBy,
    updatedAt: p.updatedAt,
    change:
      p.kind === 'CHANGE'
        ? {
            category: p.category,
            subtype: p.subtype,
            emergency: p.emergency ?? false,
            complexity: p.complexity ?? 'MEDIUM',
            plannedStart: p.plannedStart ?? null,
            plannedEnd: p.plannedEnd ?? null,
            rollbackEnd: p.rollbackEnd ?? null,
            expectedOutageMinutes: p.expectedOutageMinutes ?? null,
            initiator: p.initiator,
            assessor: p.assessor ?? null,
            implementer: p.implementer ?? null,
            reviewer: p.reviewer ?? null,
            drFollowUp: p.drFollowUp ?? false,
          }
        : null,
  };
}

export function ticketProps(t: Ticket): Record<string, unknown> {
  const { change, ...rest } = t;
  return { ...rest, ...(change ?? {}) };
}

export class TicketRepository {
  async find(tx: Tx, ref: string): Promise<Ticket | null> {
    const [row] = await tx.run(TICKET_QUERIES.byIdOrRef, { ref });
    return row ? toTicket(row.t as Record<string, unknown>) : null;
  }

  async list(
    tx: Tx,
    filter: { kinds?: string[] | null; states?: string[] | null },
    first: number,
    afterRef: string | null,
  ) {
    const { where, params } = listWhere(filter);
    const [count] = await tx.run(`MATCH (t:Ticket) ${where} RETURN count(t) AS total`, params);
    const pageWhere = afterRef ? `${where ? `${where} AND` : 'WHERE'} t.ref > $afterRef` : where;
    const rows = await tx.run(`MATCH (t:Ticket) ${pageWhere} RETURN t {.*} AS t ORDER BY t.ref LIMIT $limit`, {
      ...params,
      afterRef,
      limit: int(first + 1),
    });
    const items = rows.map((r) => toTicket(r.t as Record<string, unknown>));
    return { items: items.slice(0, first), totalCount: count.total as number, hasNextPage: items.length > first };
  }
}
