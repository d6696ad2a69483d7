// Change assessment 变更评估 (§7.2.5.2): blast radius, risk grade with the rules that fired, conflicts
// with other changes and with the operations calendar, the scope check, and the deadlines. Running it
// on a change stores the result on the change, so approval and review see what the assessor saw.

import { randomUUID } from 'node:crypto';
import { ForbiddenError, ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import type { ModelService } from '../model/model.service';
import type { CompiledModel } from '../model/compiled-model';
import type { OpLogService, WriteContext } from '../oplog/oplog.service';
import type { TicketService } from '../tickets/ticket.service';
import { toTicket } from '../tickets/ticket.repository';
import type { Ticket } from '../tickets/ticket.types';
import { DEFAULT_DEPTH, type Propagation } from '../cis/propagation';
import { addWorkingDays, localDate, windowsOverlapping, type CalendarWindow } from './calendar';
import { computeDeadlines, type Deadlines } from './deadlines';
import { grade, type FiredRule, type Likelihood } from './risk';
import { CHANGES_QUERIES, ChangesRepository, type StoredAssessment } from './changes.repository';
import type { ChangePolicyService } from './policy.service';
import type { BlastRadius, Count, DrCounterpart, ImpactService, ImpactedSystem } from './impact.service';

/** Another change whose window overlaps and whose scope or blast radius meets this one's (§7.2.5.2 b). */
export interface ChangeConflict {
  ref: string;
  title: string;
  state: string;
  plannedStart: number;
  plannedEnd: number | null;
  /** SCOPE: both change the same CI; IMPACT: only their blast radii meet. */
  kind: 'SCOPE' | 'IMPACT';
  shared: string[];
  sharedCount: number;
}

/** A CI depending directly on the scope: its alerts, start/stop or verification belong in this change (§7.2.5.1 g). */
export interface ScopeProposal {
  code: string;
  class: string;
  dependsOn: string;
  via: string;
}

export interface Assessment {
  id: string;
  ticket: string;
  assessedAt: number;
  assessedBy: string;
  policyVersion: number;
  grade: string;
  impactLevel: string;
  likelihood: string;
  highestImportance: string | null;
  outageMinutes: number | null;
  rules: FiredRule[];
  impact: {
    scope: string[];
    maxDepth: number;
    depthReached: number;
    totalCount: number;
    byClass: Count[];
    byLifecycle: Count[];
    byImportance: Count[];
    businessSystems: ImpactedSystem[];
    internetFacing: ImpactedSystem[];
    drCounterparts: DrCounterpart[];
  };
  conflicts: ChangeConflict[];
  calendarWindows: CalendarWindow[];
  scopeCheck: { groups: string[][]; separable: boolean; proposals: ScopeProposal[]; proposalCount: number };
  deadlines: Deadlines & { drFollowUpBy: string | null };
}

const LIST_CAP = 200;

export class AssessmentService {
  private readonly repo = new ChangesRepository();

  constructor(
    private readonly executor: Executor,
    private readonly model: ModelService,
    private readonly tickets: TicketService,
    private readonly impact: ImpactService,
    private readonly policies: ChangePolicyService,
    private readonly oplog: OpLogService,
    private readonly propagation: Propagation,
  ) {}

  /** Assesses a change and stores the result on it. */
  async assess(ctx: WriteContext, ref: string, maxDepth: number = DEFAULT_DEPTH): Promise<Assessment> {
    const ticket = await this.tickets.get(ref);
    if (!ticket.change) throw new ValidationError(`ticket ${ticket.ref} is not a change`, { field: 'ticket' });
    if (!['DRAFT', 'ASSESSING'].includes(ticket.state)) {
      throw new ValidationError(
        `change ${ticket.ref} is ${ticket.state}: it is assessed in DRAFT or ASSESSING; to assess it again, take it back to assessment first (§7.2.5.4 a)`,
        { field: 'ticket', rule: 'WORKFLOW_ORDER', clause: '§7.2.5.2' },
      );
    }
    // §7.2.5.2: the assessment on record is the assessor's, never the initiator's (a tool or the service may run one).
    if (ctx.roles !== undefined && ctx.actor !== ticket.change.assessor) {
      throw new ForbiddenError(
        `${ctx.actor} is not the assessor of change ${ticket.ref} (${ticket.change.assessor ?? 'none named yet'}): its assessor assesses it, never its initiator (§7.2.5.2)`,
        { field: 'ticket', rule: 'ASSESSOR_ONLY', clause: '§7.2.5.2' },
      );
    }
    const model = await this.model.current();
    const { version: policyVersion, policy } = await this.policies.current();
    const change = ticket.change;

    // The analysis reads; only the record it leaves is written, under the writers' lock.
    const assessment = await this.executor.read(async (tx) => {
      const radius = await this.impact.compute(tx, model, { change: ticket.ref, maxDepth });
      const outageMinutes =
        change.expectedOutageMinutes ??
        (change.plannedStart !== null && (change.rollbackEnd ?? change.plannedEnd) !== null
          ? Math.round(((change.rollbackEnd ?? change.plannedEnd)! - change.plannedStart) / 60_000)
          : null);
      const grading = grade(
        model,
        {
          scope: radius.seeds.map((s) => ({ code: s.code, class: s.class })),
          systems: radius.businessSystems,
          complexity: change.complexity as Likelihood,
          subtype: change.subtype,
          outageMinutes,
        },
        policy.risk,
      );
      const windowEnd = change.rollbackEnd ?? change.plannedEnd;
      const deadlines = computeDeadlines(
        {
          grade: grading.grade,
          emergency: change.emergency,
          subtype: change.subtype,
          submittedAt: ticket.createdAt,
          plannedStart: change.plannedStart,
          plannedEnd: change.plannedEnd,
        },
        policy.calendar,
        policy.leadTimes,
      );
      const followsDr = change.drFollowUp || radius.drCounterparts.length > 0;
      const drFollowUpBy =
        followsDr && change.plannedEnd !== null
          ? addWorkingDays(policy.calendar, localDate(policy.calendar, change.plannedEnd), 1)
          : null;
      const result: Assessment = {
        id: randomUUID(),
        ticket: ticket.ref,
        assessedAt: ctx.at,
        assessedBy: ctx.actor,
        policyVersion,
        grade: grading.grade,
        impactLevel: grading.impact,
        likelihood: grading.likelihood,
        highestImportance: grading.highestImportance,
        outageMinutes,
        rules: grading.fired,
        impact: {
          scope: radius.seeds.map((s) => s.code),
          maxDepth: radius.maxDepth,
          depthReached: radius.depthReached,
          totalCount: radius.impacted.length,
          byClass: radius.summary.byClass,
          byLifecycle: radius.summary.byLifecycle,
          byImportance: radius.summary.byImportance,
          businessSystems: radius.businessSystems,
          internetFacing: radius.internetFacing,
          drCounterparts: radius.drCounterparts,
        },
        conflicts:
          change.plannedStart === null
            ? []
            : await this.conflicts(tx, model, ticket, radius, change.plannedStart, windowEnd, maxDepth),
        calendarWindows:
          change.plannedStart === null
            ? []
            : windowsOverlapping(policy.calendar, change.plannedStart, windowEnd ?? change.plannedStart + 1),
        scopeCheck: await this.scopeCheck(tx, model, radius, maxDepth),
        deadlines: { ...deadlines, drFollowUpBy },
      };
      return result;
    });

    await this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      await tx.run(CHANGES_QUERIES.assessmentSave, {
        id: assessment.id,
        ticketId: ticket.id,
        at: ctx.at,
        actor: ctx.actor,
        grade: assessment.grade,
        policyVersion,
        result: JSON.stringify(assessment),
      });
      await this.oplog.record(tx, { ...ctx, ticket: ticket.ref }, [
        {
          action: 'CHANGE_ASSESS',
          targetType: 'TICKET',
          targetId: ticket.id,
          ciIds: [],
          before: null,
          after: { assessment: assessment.id, grade: assessment.grade, rules: assessment.rules.map((r) => r.id) },
        },
      ]);
    });
    return assessment;
  }

  /** Stored assessments of a change, newest first. */
  async ofChange(ticketId: string, limit = 20): Promise<Assessment[]> {
    const rows = await this.executor.read((tx) => this.repo.assessments(tx, ticketId, limit));
    return rows.map((a: StoredAssessment) => JSON.parse(a.result) as Assessment);
  }

  private async conflicts(
    tx: Tx,
    model: CompiledModel,
    ticket: Ticket,
    radius: BlastRadius,
    start: number,
    end: number | null,
    maxDepth: number,
  ): Promise<ChangeConflict[]> {
    const rows = await tx.run(CHANGES_QUERIES.overlappingChanges, { id: ticket.id, start, end: end ?? start + 1 });
    const mineScope = new Set(radius.seeds.map((s) => s.code));
    const mine = new Set([...mineScope, ...radius.impacted.map((c) => c.code)]);
    const out: ChangeConflict[] = [];
    for (const row of rows) {
      const other = toTicket(row.t as Record<string, unknown>);
      const scope = (row.scope as string[]) ?? [];
      if (!scope.length) continue;
      const theirs = await this.propagation.walk(tx, model, scope, { flow: 'DOWNSTREAM', maxDepth }, 'change');
      const theirSet = [...theirs.seeds, ...theirs.reached].map((c) => c.code);
      const shared = theirSet.filter((c) => mine.has(c)).sort();
      if (!shared.length) continue;
      out.push({
        ref: other.ref,
        title: other.title,
        state: other.state,
        plannedStart: other.change!.plannedStart!,
        plannedEnd: other.change!.plannedEnd,
        kind: scope.some((c) => mineScope.has(c)) ? 'SCOPE' : 'IMPACT',
        shared: shared.slice(0, LIST_CAP),
        sharedCount: shared.length,
      });
    }
    return out;
  }

  /**
   * §7.2.5.1 g: scope CIs with no dependency path between them belong in separate changes (groups joined
   * when one reaches another along failure propagation); CIs depending directly on the scope are proposed.
   */
  private async scopeCheck(tx: Tx, model: CompiledModel, radius: BlastRadius, maxDepth: number) {
    const codes = radius.seeds.map((s) => s.code);
    const parent = new Map(codes.map((c) => [c, c]));
    const root = (c: string): string => (parent.get(c) === c ? c : root(parent.get(c)!));
    if (codes.length > 1) {
      // One walk per scope CI, run together: each level is one query for all of them.
      const { walks } = await this.propagation.walkEach(tx, model, codes, { flow: 'DOWNSTREAM', maxDepth }, 'change');
      for (const w of walks) {
        const from = w.seeds[0].code;
        for (const c of w.reached) if (parent.has(c.code)) parent.set(root(c.code), root(from));
      }
    }
    const groups = new Map<string, string[]>();
    for (const c of codes) groups.set(root(c), [...(groups.get(root(c)) ?? []), c]);
    const seedsByElement = new Map(radius.seeds.map((s) => [s.elementId, s.code]));
    const direct = radius.impacted.filter((c) => c.distance === 1);
    return {
      groups: [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      separable: groups.size > 1,
      proposals: direct.slice(0, LIST_CAP).map((c) => ({
        code: c.code,
        class: c.class,
        dependsOn: seedsByElement.get(c.parent!) ?? '',
        via: c.via!,
      })),
      proposalCount: direct.length,
    };
  }
}
