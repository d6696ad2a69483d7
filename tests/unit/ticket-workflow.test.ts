// The ticket workflow as a pure table (§7.2.5, §7.1.3 c): who may make each move, the separation of
// duties it checks, and the README's table of moves, which must say what the code does.

import fs from 'node:fs';
import path from 'node:path';
import { Role } from '../../src/platform/auth/roles';
import { approvalStages } from '../../src/changes/approval.service';
import type { Ticket } from '../../src/tickets/ticket.types';
import { checkMove, movesOf, nextStates, type Mover } from '../../src/tickets/ticket.workflow';

function change(state: string, extra: Partial<NonNullable<Ticket['change']>> = {}): Ticket {
  return {
    id: 't1',
    kind: 'CHANGE',
    ref: 'CHG-1',
    title: 'x',
    description: null,
    state: state as Ticket['state'],
    createdAt: 0,
    createdBy: 'user:init',
    updatedAt: 0,
    change: {
      category: 'INFRASTRUCTURE',
      subtype: 'NETWORK',
      emergency: false,
      complexity: 'LOW',
      plannedStart: null,
      plannedEnd: null,
      rollbackEnd: null,
      expectedOutageMinutes: null,
      initiator: 'user:init',
      assessor: 'user:assess',
      implementer: 'user:impl',
      reviewer: 'user:review',
      drFollowUp: false,
      emergencyReason: null,
      scopeChangedAt: null,
      approvalRound: 0,
      ...extra,
    },
  };
}

const none = { writers: [] };
const person = (id: string, ...roles: Role[]) => ({ id, roles });
const ruleOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { details: { rule: string } }).details.rule;
  }
  return 'allowed';
};

describe('change moves', () => {
  it('lets only the named people make each move', () => {
    expect(ruleOf(() => checkMove(change('DRAFT'), 'ASSESSING', person('user:init', Role.OPS_ENGINEER), none))).toBe(
      'allowed',
    );
    expect(ruleOf(() => checkMove(change('DRAFT'), 'ASSESSING', person('user:x', Role.OPS_MANAGER), none))).toBe(
      'WORKFLOW_ACTOR',
    );
    expect(ruleOf(() => checkMove(change('ASSESSING'), 'APPROVAL', person('user:init', Role.OPS_ENGINEER), none))).toBe(
      'WORKFLOW_ACTOR',
    );
    expect(ruleOf(() => checkMove(change('APPROVAL'), 'APPROVED', person('user:m', Role.OPS_MANAGER), none))).toBe(
      'APPROVAL_REQUIRED',
    );
    expect(ruleOf(() => checkMove(change('APPROVED'), 'IMPLEMENTING', person('user:x', Role.OPS_ENGINEER), none))).toBe(
      'WORKFLOW_ACTOR',
    );
    expect(ruleOf(() => checkMove(change('IMPLEMENTING'), 'CLOSED', person('user:m', Role.OPS_MANAGER), none))).toBe(
      'WORKFLOW_ORDER',
    );
  });

  it('keeps whoever wrote under the change from reviewing or closing it', () => {
    const wrote = { writers: ['user:impl', 'user:review'] };
    expect(
      ruleOf(() => checkMove(change('IMPLEMENTING'), 'REVIEW', person('user:impl', Role.OPS_ENGINEER), wrote)),
    ).toBe('REVIEWER_NOT_IMPLEMENTER');
    expect(ruleOf(() => checkMove(change('REVIEW'), 'CLOSED', person('user:impl', Role.OPS_MANAGER), none))).toBe(
      'CLOSER_NOT_IMPLEMENTER',
    );
    const other = { writers: ['user:other'] };
    expect(ruleOf(() => checkMove(change('REVIEW'), 'CLOSED', person('user:other', Role.OPS_MANAGER), other))).toBe(
      'CLOSER_NOT_IMPLEMENTER',
    );
    expect(ruleOf(() => checkMove(change('REVIEW'), 'CLOSED', person('user:boss', Role.OPS_MANAGER), other))).toBe(
      'allowed',
    );
  });

  it('sends an emergency change straight to approval, with its justification', () => {
    const initiator = person('user:init', Role.OPS_ENGINEER);
    expect(ruleOf(() => checkMove(change('DRAFT', { emergency: true }), 'ASSESSING', initiator, none))).toBe(
      'EMERGENCY_TO_APPROVAL',
    );
    expect(ruleOf(() => checkMove(change('DRAFT', { emergency: true }), 'APPROVAL', initiator, none))).toBe(
      'EMERGENCY_REASON_REQUIRED',
    );
    expect(
      ruleOf(() =>
        checkMove(change('DRAFT', { emergency: true, emergencyReason: '生产中断' }), 'APPROVAL', initiator, none),
      ),
    ).toBe('allowed');
    expect(ruleOf(() => checkMove(change('DRAFT'), 'APPROVAL', initiator, none))).toBe('ASSESSMENT_FIRST');
  });

  it('trusts the service itself (no roles) with the order, never with a move that does not exist', () => {
    const service = { id: 'system' };
    expect(ruleOf(() => checkMove(change('DRAFT'), 'ASSESSING', service, none))).toBe('allowed');
    expect(ruleOf(() => checkMove(change('DRAFT'), 'CLOSED', service, none))).toBe('WORKFLOW_ORDER');
  });

  it('names the approvals each grade needs (§7.2.5.3)', () => {
    expect(approvalStages('NORMAL', false)).toEqual([Role.OPS_MANAGER]);
    expect(approvalStages('STANDARD', false)).toEqual([Role.OPS_MANAGER]);
    expect(approvalStages('MAJOR', false)).toEqual([Role.OPS_MANAGER, Role.EXPERT_PANEL]);
    expect(approvalStages('MAJOR', true)).toEqual([Role.ORG_HEAD]);
  });

  it('offers as next states only the moves a person can make by transitionTicket', () => {
    expect(nextStates('CHANGE', 'APPROVAL')).toEqual(['ASSESSING', 'CANCELLED']);
    expect(nextStates('INCIDENT', 'PENDING_APPROVAL')).toEqual(['CANCELLED']);
    expect(nextStates('CHANGE', 'CLOSED')).toEqual([]);
  });
});

describe('the README', () => {
  const WHO: Partial<Record<Mover, string>> = {
    INITIATOR: 'its initiator',
    ASSESSOR: 'its assessor',
    IMPLEMENTER: 'its implementer',
    REVIEWER: 'its reviewer',
    WORKER: 'anyone with WRITE_TICKET',
    APPROVER: 'its approving role',
  };

  it('tables every move of every ticket kind, with who may make it', () => {
    // Cells compared trimmed: the formatter pads the table's columns.
    const cells = (line: string) =>
      line
        .split('|')
        .map((c) => c.trim())
        .join('|');
    const readme = new Set(
      fs
        .readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8')
        .split('\n')
        .map(cells),
    );
    const rows = (['CHANGE', 'INCIDENT'] as const).flatMap((kind) =>
      movesOf(kind).map(
        (m) =>
          `| ${kind === 'CHANGE' ? 'change' : 'other'} | ${m.from} → ${m.to} | ${
            m.by.length ? m.by.map((b) => WHO[b] ?? b).join(', ') : '`approveTicket`'
          } | ${m.meaning} | ${m.clause} |`,
      ),
    );
    const missing = rows.filter((row) => !readme.has(cells(row)));
    expect(missing).toEqual([]);
  });
});
