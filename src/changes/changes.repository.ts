// Cypher of the changes room: what impact analysis reads about the CIs it reached (now or as of a
// moment), the changes whose windows overlap, the stored policy versions and the assessments.

import type { Tx } from '../platform/neo4j/executor';
import { int } from '../platform/neo4j/mappers';

/** The order of a business system's fields in the lists `detailsNow` returns. */
export const SYSTEM_COLUMNS = [
  'id',
  'code',
  'name',
  'lifecycle',
  'owner',
  'ownerName',
  'importance',
  'internetFacing',
  'branchScope',
] as const;

export const CHANGES_QUERIES = {
  /**
   * Everything a blast radius shows beyond the walk, now, in one statement (each statement costs a few
   * milliseconds on its own): the business systems reached with their owners' names (the parties the
   * assessor must involve), the DR counterparts of the seeds, and the name and owner of a page of CIs.
   * A hub reaches thousands of systems: each is a list (SYSTEM_COLUMNS), cheaper to decode than a map.
   */
  detailsNow: (drTypes: string[]) => `
    CALL () {
      UNWIND $systemIds AS id
      MATCH (b:CI {id: id})
      OPTIONAL MATCH (o:CI {code: b.owner})
      RETURN collect([b.id, b.code, b.name, b.lifecycle, b.owner, o.name, b.importance, b.internetFacing,
        b.branchScope]) AS systems
    }
    CALL () {
      ${
        drTypes.length
          ? `UNWIND $seedIds AS id
      MATCH (s:CI {id: id})-[r:${drTypes.join('|')}]-(c:CI)
      WHERE r.since IS NOT NULL AND r.until IS NULL AND c.retiredAt IS NULL
      WITH s, r, c ORDER BY s.code, c.code
      RETURN collect({of: s.code, code: c.code, name: c.name, class: c.class, lifecycle: c.lifecycle,
        via: type(r)}) AS drCounterparts`
          : 'RETURN [] AS drCounterparts'
      }
    }
    CALL () {
      UNWIND $pageIds AS id
      MATCH (c:CI {id: id})
      RETURN collect({id: c.id, name: c.name, owner: c.owner}) AS described
    }
    RETURN systems, drCounterparts, described`,
  /** The recorded state of each CI at a moment (its CIVersion then). */
  statesAt: `
    UNWIND $ids AS id
    MATCH (v:CIVersion {ciId: id})
    WHERE v.validFrom <= $at AND (v.validTo IS NULL OR v.validTo > $at)
    RETURN id, v.state AS state`,
  ownerNames: `
    UNWIND $codes AS code
    MATCH (o:CI {code: code})
    RETURN code, o.name AS name`,
  /** DR counterparts (§7.2.5.2 e) of the given CIs, as of a moment, over the model's disaster-recovery types. */
  drCounterpartsAt: (types: string[]) => `
    UNWIND $ids AS id
    MATCH (s:CI {id: id})-[r:${types.join('|')}]-(c:CI)
    WHERE r.since IS NOT NULL AND r.since <= $at AND (r.until IS NULL OR r.until > $at)
      AND c.createdAt <= $at AND (c.retiredAt IS NULL OR c.retiredAt > $at)
    RETURN s.code AS of, c.code AS code, c.name AS name, c.class AS class, c.lifecycle AS lifecycle,
           type(r) AS via
    ORDER BY of, code`,
  /** Other live changes whose window (rollback included) overlaps [start, end). */
  overlappingChanges: `
    MATCH (t:Ticket {kind: 'CHANGE'})
    WHERE t.id <> $id AND t.state IN ['DRAFT', 'ASSESSING', 'APPROVED', 'IMPLEMENTING']
      AND t.plannedStart IS NOT NULL AND t.plannedStart < $end
      AND coalesce(t.rollbackEnd, t.plannedEnd, t.plannedStart) > $start
    OPTIONAL MATCH (t)-[:SCOPE]->(c:CI)
    RETURN t {.*} AS t, collect(c.code) AS scope
    ORDER BY t.plannedStart, t.ref`,
  assessmentSave: `
    MATCH (t:Ticket {id: $ticketId})
    CREATE (a:ChangeAssessment {id: $id, ticketId: $ticketId, assessedAt: $at, assessedBy: $actor,
                                grade: $grade, policyVersion: $policyVersion, result: $result})-[:ASSESSES]->(t)
    SET t.grade = $grade, t.assessedAt = $at`,
  assessments: `
    MATCH (a:ChangeAssessment {ticketId: $ticketId})
    RETURN a {.*} AS a ORDER BY a.assessedAt DESC LIMIT $limit`,
} as const;

export interface StoredAssessment {
  id: string;
  ticketId: string;
  assessedAt: number;
  assessedBy: string;
  grade: string;
  policyVersion: number;
  result: string;
}

export class ChangesRepository {
  async assessments(tx: Tx, ticketId: string, limit: number): Promise<StoredAssessment[]> {
    const rows = await tx.run(CHANGES_QUERIES.assessments, { ticketId, limit: int(limit) });
    return rows.map((r) => r.a as unknown as StoredAssessment);
  }
}
