// The change gate (§7.2.5.2–§7.2.5.3): a change leaves assessment only with an assessment on record,
// made by its assessor after its scope last changed; it is approved by the people its grade needs
// (a normal change by an operations manager, a major one by an operations manager and then the expert
// panel, an emergency one by the organisation's head), never inside a freeze or short of the lead time
// unless it is an emergency. The tickets room asks these questions inside the write's transaction.

import { Role } from '../platform/auth/roles';
import { ForbiddenError, ValidationError } from '../platform/errors';
import type { Tx } from '../platform/neo4j/executor';
import type { WriteContext } from '../oplog/oplog.service';
import type { ChangeGate } from '../tickets/ticket.service';
import type { TicketApproval } from '../tickets/ticket.repository';
import type { Ticket, TicketState } from '../tickets/ticket.types';
import { windowsOverlapping } from './calendar';
import { computeDeadlines, type ChangeGrade } from './deadlines';
import { ChangesRepository, type StoredAssessment } from './changes.repository';
import type { ChangePolicyService } from './policy.service';

/** The approvals a change needs, in order, by grade (§7.2.5.3); an emergency change needs its organisation's head. */
export function approvalStages(grade: ChangeGrade | null, emergency: boolean): Role[] {
  if (emergency) return [Role.ORG_HEAD];
  return grade === 'MAJOR' ? [Role.OPS_MANAGER, Role.EXPERT_PANEL] : [Role.OPS_MANAGER];
}

const refuse = (message: string, rule: string, clause: string, field = 'state'): never => {
  throw new ValidationError(message, { field, rule, clause });
};
const forbid = (message: string, rule: string, clause: string): never => {
  throw new ForbiddenError(message, { field: 'ticket', rule, clause });
};

export class ChangeApprovalService implements ChangeGate {
  private readonly repo = new ChangesRepository();

  constructor(private readonly policies: ChangePolicyService) {}

  async beforeSubmission(tx: Tx, ticket: Ticket, to: TicketState): Promise<void> {
    const assessment = await this.standingAssessment(tx, ticket);
    if (to === 'APPROVED') {
      if (assessment.grade !== 'STANDARD') {
        refuse(
          `change ${ticket.ref} is graded ${assessment.grade}: only a STANDARD change is pre-authorised after assessment; submit it to APPROVAL (§7.2.5.3)`,
          'STANDARD_ONLY_PREAUTHORISED',
          '§7.2.5.3',
        );
      }
      await this.assertTiming(tx, ticket, assessment.grade as ChangeGrade);
    }
  }

  async approval(
    tx: Tx,
    ctx: WriteContext,
    ticket: Ticket,
    given: TicketApproval[],
  ): Promise<{ stage: string; final: boolean }> {
    const c = ticket.change!;
    if (ctx.actor === c.initiator) {
      forbid(
        `${ctx.actor} initiated change ${ticket.ref} and may not approve it (§7.2.5.2, §7.2.5.3)`,
        'APPROVER_NOT_INITIATOR',
        '§7.2.5.3',
      );
    }
    if (ctx.actor === c.implementer) {
      forbid(
        `${ctx.actor} implements change ${ticket.ref} and may not approve it: key duties are separated (§7.2.5.1 d)`,
        'APPROVER_NOT_IMPLEMENTER',
        '§7.2.5.1 d',
      );
    }
    if (given.some((a) => a.actor === ctx.actor)) {
      forbid(
        `${ctx.actor} already approved change ${ticket.ref}: its next approval is another person's (§7.2.5.3)`,
        'APPROVERS_DISTINCT',
        '§7.2.5.3',
      );
    }
    const grade = c.emergency ? null : ((await this.standingAssessment(tx, ticket)).grade as ChangeGrade);
    const stages = approvalStages(grade, c.emergency);
    const stage = stages.find((s) => !given.some((a) => a.stage === s))!;
    if (ctx.roles !== undefined && !ctx.roles.includes(stage)) {
      const why = c.emergency
        ? 'an emergency change is approved by the head of the initiator’s organisation (ORG_HEAD)'
        : grade === 'MAJOR'
          ? `a MAJOR change is approved first by an OPS_MANAGER, then by the EXPERT_PANEL; it now needs the ${stage}`
          : `a ${grade} change is approved by an OPS_MANAGER`;
      forbid(`${ctx.actor} may not approve change ${ticket.ref}: ${why} (§7.2.5.3)`, 'APPROVER_ROLE', '§7.2.5.3');
    }
    if (!c.emergency) await this.assertTiming(tx, ticket, grade!);
    return { stage, final: stage === stages[stages.length - 1] };
  }

  /** The latest assessment, if it stands: made by the named assessor, after the scope last changed. */
  private async standingAssessment(tx: Tx, ticket: Ticket): Promise<StoredAssessment> {
    const c = ticket.change!;
    const [latest] = await this.repo.assessments(tx, ticket.id, 1);
    if (!latest) {
      return refuse(
        `change ${ticket.ref} has no assessment on record: its assessor (${c.assessor ?? 'none named'}) runs assessChange first (§7.2.5.2)`,
        'ASSESSMENT_REQUIRED',
        '§7.2.5.2',
      );
    }
    if (latest.assessedBy !== c.assessor) {
      refuse(
        `the latest assessment of change ${ticket.ref} was made by ${latest.assessedBy}, not by its assessor ${c.assessor}: the assessor assesses it (§7.2.5.2)`,
        'ASSESSMENT_BY_ASSESSOR',
        '§7.2.5.2',
      );
    }
    if (c.scopeChangedAt !== null && latest.assessedAt < c.scopeChangedAt) {
      refuse(
        `the scope of change ${ticket.ref} changed after its last assessment: assess the new blast radius (assessChange) first (§7.2.5.2 d)`,
        'ASSESSMENT_STALE',
        '§7.2.5.2 d',
      );
    }
    return latest;
  }

  /** §7.2.5.1 h–i: a planned window, outside every freeze, submitted at least the lead time before it. */
  private async assertTiming(tx: Tx, ticket: Ticket, grade: ChangeGrade): Promise<void> {
    const c = ticket.change!;
    if (c.plannedStart === null) {
      refuse(
        `change ${ticket.ref} has no planned window: plan its start and end before approval (§7.2.5.1 h)`,
        'WINDOW_REQUIRED',
        '§7.2.5.1 h',
      );
    }
    const { policy } = await this.policies.inTransaction(tx);
    const end = c.rollbackEnd ?? c.plannedEnd ?? c.plannedStart! + 1;
    const freeze = windowsOverlapping(policy.calendar, c.plannedStart!, end).find((w) => w.kind === 'FREEZE');
    if (freeze) {
      refuse(
        `change ${ticket.ref} falls inside the freeze window ${freeze.name} (${new Date(freeze.start).toISOString()} – ${new Date(freeze.end).toISOString()}): move its window, or raise it as an emergency change (§7.2.5.1 h)`,
        'FREEZE_WINDOW',
        '§7.2.5.1 h',
      );
    }
    const { leadTime } = computeDeadlines(
      {
        grade,
        emergency: false,
        subtype: c.subtype,
        submittedAt: ticket.createdAt,
        plannedStart: c.plannedStart,
        plannedEnd: c.plannedEnd,
      },
      policy.calendar,
      policy.leadTimes,
    );
    if (leadTime.met === false) {
      refuse(
        `change ${ticket.ref} is short of its lead time: ${leadTime.reason}. Move its window later, or raise it as an emergency change (§7.2.5.1 i)`,
        'LEAD_TIME',
        '§7.2.5.1 i',
      );
    }
  }
}
