// Cypher of tickets: the ticket node, its scope of CIs and its links to other tickets.

import type { Tx } from '../platform/neo4j/executor';
import { int } from '../platform/neo4j/mappers';
import type { Ticket } from './ticket.types';

/** One approval given to a ticket: a work ticket's, or one stage of a change's (§7.2.5.3). */
export interface TicketApproval {
  /** The change's approval round it belongs to (approvals lapse when the change goes back to assessment). */
  round: number;
  /** Which approval: OPS_MANAGER, EXPERT_PANEL, ORG_HEAD for changes; the approving role for other work. */
  stage: string;
  actor: string;
  at: number;
  comment: string | null;
}

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
  /** A recorded incident (事件) links to the ticket the same way the incident room links its own. */
  linkIncident: `
    MATCH (t:Ticket {id: $id}), (i:Incident) WHERE i.ref = $ref OR i.id = $ref
    MERGE (i)-[:LINKED]->(t)
    RETURN i.ref AS ref`,
  linkProblem: `
    MATCH (t:Ticket {id: $id}), (p:Problem) WHERE p.ref = $ref OR p.id = $ref
    MERGE (t)-[:LINKED]->(p)
    RETURN p.ref AS ref`,
  linked: `
    MATCH (t:Ticket {id: $id})-[:LINKED]-(o:Ticket)
    WITH DISTINCT o ORDER BY o.ref
    RETURN o {.*} AS t`,
  /** A change in implementation, linked to the ticket, whose scope holds every one of the CIs and whose implementer writes. */
  implementingChangeHolding: `
    MATCH (t:Ticket {id: $id})-[:LINKED]-(c:Ticket {kind: 'CHANGE', state: 'IMPLEMENTING', implementer: $actor})
    WHERE all(ciId IN $ciIds WHERE exists { (c)-[:SCOPE]->(:CI {id: ciId}) })
    RETURN c.ref AS ref LIMIT 1`,
  approve: `
    MATCH (t:Ticket {id: $id})
    CREATE (a:TicketApproval {ticketId: $id, round: $round, stage: $stage, actor: $actor, at: $at, comment: $comment})
    CREATE (a)-[:APPROVES]->(t)`,
  approvals: `
    MATCH (a:TicketApproval)-[:APPROVES]->(:Ticket {id: $id})
    WHERE $round IS NULL OR a.round = $round
    RETURN a.round AS round, a.stage AS stage, a.actor AS actor, a.at AS at, a.comment AS comment
    ORDER BY a.at, a.stage`,
  codesToIds: 'UNWIND $codes AS code OPTIONAL MATCH (c:CI {code: code}) RETURN code, c.id AS id',
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
            emergencyReason: p.emergencyReason ?? null,
            scopeChangedAt: p.scopeChangedAt ?? null,
            approvalRound: p.approvalRound ?? 0,
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

  async approvals(tx: Tx, id: string, round: number | null = null): Promise<TicketApproval[]> {
    const rows = await tx.run(TICKET_QUERIES.approvals, { id, round: round === null ? null : int(round) });
    return rows.map((r) => ({
      round: r.round as number,
      stage: r.stage as string,
      actor: r.actor as string,
      at: r.at as number,
      comment: (r.comment as string | null) ?? null,
    }));
  }

  async approve(tx: Tx, id: string, approval: TicketApproval): Promise<void> {
    await tx.run(TICKET_QUERIES.approve, { id, ...approval, round: int(approval.round) });
  }

  /** Links a ticket to another ticket, a recorded incident or a problem, by reference; false when none has it. */
  async link(tx: Tx, id: string, ref: string): Promise<boolean> {
    const other = await this.find(tx, ref);
    if (other) {
      await tx.run(TICKET_QUERIES.link, { id, other: other.id });
      return true;
    }
    for (const query of [TICKET_QUERIES.linkIncident, TICKET_QUERIES.linkProblem]) {
      if ((await tx.run(query, { id, ref })).length) return true;
    }
    return false;
  }

  async implementingChangeHolding(tx: Tx, id: string, ciIds: string[], actor: string): Promise<string | null> {
    const [row] = await tx.run(TICKET_QUERIES.implementingChangeHolding, { id, ciIds, actor });
    return row ? (row.ref as string) : null;
  }

  /** The ids of CIs by code, in order; the first code no CI has, when one is missing. */
  async idsOf(tx: Tx, codes: string[]): Promise<{ ids: string[]; missing: string | null }> {
    if (!codes.length) return { ids: [], missing: null };
    const rows = await tx.run(TICKET_QUERIES.codesToIds, { codes });
    const missing = rows.find((r) => r.id === null);
    return { ids: rows.map((r) => r.id as string), missing: missing ? (missing.code as string) : null };
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
