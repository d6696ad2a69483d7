// Risk grading of changes (§7.2.4.2): the impact of failure (what the blast radius reaches) × the
// likelihood of failure (the change's technical complexity) → MAJOR 重大 / NORMAL 常规 / STANDARD 标准,
// plus the rules of §7.2.4.2.2 that make a change MAJOR whatever the matrix says. Pure: no database.
// The rules are data (ChangePolicy.risk) the configuration manager can adjust; these are the defaults.

import type { CompiledModel } from '../model/compiled-model';
import type { ChangeGrade } from './deadlines';

export const IMPORTANCES = ['CORE', 'IMPORTANT', 'GENERAL', 'OTHER'] as const;
export type Importance = (typeof IMPORTANCES)[number];
export const IMPACT_LEVELS = ['HIGH', 'MEDIUM', 'LOW'] as const;
export type ImpactLevel = (typeof IMPACT_LEVELS)[number];
export const LIKELIHOODS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type Likelihood = (typeof LIKELIHOODS)[number];
export const GRADES: readonly ChangeGrade[] = ['STANDARD', 'NORMAL', 'MAJOR'];

/** Conditions of a rule: every one given must hold for the rule to fire. */
export interface RiskCondition {
  /** A CI in the change's scope is of one of these classes (subclasses included). */
  scopeClasses?: string[];
  /** A business system the change reaches (in scope or impacted) matches all of these. */
  impactedSystem?: { minImportance?: Importance; branchScopes?: string[] };
  /** The expected business interruption is at least this long. */
  minOutageMinutes?: number;
  /** The change is of one of these subtypes. */
  subtypes?: string[];
}

export interface RiskRule {
  id: string;
  grade: ChangeGrade;
  clause: string;
  description: string;
  when: RiskCondition;
}

export interface RiskPolicy {
  /** The impact of failure by the highest importance reached; below every listed importance is LOW. */
  impactByImportance: Partial<Record<Importance, ImpactLevel>>;
  /** Impact × likelihood (technical complexity) → grade. */
  matrix: Record<ImpactLevel, Record<Likelihood, ChangeGrade>>;
  rules: RiskRule[];
}

const INFRASTRUCTURE = ['Facility', 'NetworkDevice', 'SecurityDevice', 'NetworkLine'];

export const DEFAULT_RISK_POLICY: RiskPolicy = {
  impactByImportance: { CORE: 'HIGH', IMPORTANT: 'MEDIUM' },
  // §7.2.4.2.2–4: large impact and high likelihood is major; small impact and low likelihood is standard.
  matrix: {
    HIGH: { LOW: 'NORMAL', MEDIUM: 'MAJOR', HIGH: 'MAJOR' },
    MEDIUM: { LOW: 'NORMAL', MEDIUM: 'NORMAL', HIGH: 'MAJOR' },
    LOW: { LOW: 'STANDARD', MEDIUM: 'STANDARD', HIGH: 'NORMAL' },
  },
  rules: [
    {
      id: 'infrastructure-under-important-system',
      grade: 'MAJOR',
      clause: '§7.2.4.2.2 a',
      description:
        '支撑重要信息系统运行的机房和网络基础设施变更: data-centre or network infrastructure under an important system',
      when: { scopeClasses: INFRASTRUCTURE, impactedSystem: { minImportance: 'IMPORTANT' } },
    },
    {
      id: 'more-than-one-province',
      grade: 'MAJOR',
      clause: '§7.2.4.2.2 b',
      description: '影响全辖或一个以上省级分支机构系统服务: reaches a system serving more than one provincial branch',
      when: { impactedSystem: { branchScopes: ['MULTI_PROVINCE', 'NATIONWIDE'] } },
    },
    {
      id: 'important-business-down-3h',
      grade: 'MAJOR',
      clause: '§7.2.4.2.2 b',
      description: '重要业务中断时间3小时以上: an important system interrupted 3 hours or more',
      when: { impactedSystem: { minImportance: 'IMPORTANT' }, minOutageMinutes: 180 },
    },
    {
      id: 'data-centre-move-or-opening',
      grade: 'MAJOR',
      clause: '§7.2.4.2.2 b, §7.2.6 b/c',
      description: '机房场地迁移或新数据中心投产: a data-centre site move or a new data centre',
      when: { subtypes: ['DATA_CENTER_MOVE', 'NEW_DATA_CENTER'] },
    },
  ],
};

/** What grading looks at, gathered from the change and its blast radius. */
export interface RiskFacts {
  scope: { code: string; class: string }[];
  /** Business systems in scope or impacted. */
  systems: { code: string; importance: string | null; branchScope: string | null }[];
  complexity: Likelihood;
  subtype: string;
  /** Expected interruption; null when unknown. */
  outageMinutes: number | null;
}

export interface FiredRule {
  id: string;
  grade: ChangeGrade;
  clause: string;
  description: string;
  /** Why it fired: the CIs and values that met its conditions. */
  detail: string;
}

export interface Grading {
  grade: ChangeGrade;
  impact: ImpactLevel;
  likelihood: Likelihood;
  highestImportance: Importance | null;
  fired: FiredRule[];
}

const rank = (i: string | null) => (i ? IMPORTANCES.indexOf(i as Importance) : -1);
const atLeast = (importance: string | null, min: Importance) => rank(importance) >= 0 && rank(importance) <= rank(min);

export function highestImportance(systems: RiskFacts['systems']): Importance | null {
  let best: Importance | null = null;
  for (const s of systems)
    if (rank(s.importance) >= 0 && (best === null || rank(s.importance) < rank(best)))
      best = s.importance as Importance;
  return best;
}

/** Grades a change: the matrix cell, then every rule whose conditions hold; the highest grade wins. */
export function grade(model: CompiledModel, facts: RiskFacts, policy: RiskPolicy = DEFAULT_RISK_POLICY): Grading {
  const highest = highestImportance(facts.systems);
  const impact: ImpactLevel = (highest && policy.impactByImportance[highest]) || 'LOW';
  const likelihood = facts.complexity;
  const cell = policy.matrix[impact][likelihood];
  const fired: FiredRule[] = [
    {
      id: 'risk-matrix',
      grade: cell,
      clause: '§7.2.4.2.1',
      description: '风险评估模型: impact of failure × likelihood of failure',
      detail: `impact ${impact} (highest importance reached: ${highest ?? 'none'}) × likelihood ${likelihood} (technical complexity)`,
    },
  ];
  for (const rule of policy.rules) {
    const detail = ruleHolds(model, rule.when, facts);
    if (detail !== null) fired.push({ ...rule, detail });
  }
  const top = fired.reduce(
    (g, r) => (GRADES.indexOf(r.grade) > GRADES.indexOf(g) ? r.grade : g),
    'STANDARD' as ChangeGrade,
  );
  return { grade: top, impact, likelihood, highestImportance: highest, fired };
}

/** Null when a condition fails; otherwise what met the conditions, in words. */
function ruleHolds(model: CompiledModel, when: RiskCondition, facts: RiskFacts): string | null {
  const why: string[] = [];
  if (when.scopeClasses?.length) {
    const hit = facts.scope.filter((c) => when.scopeClasses!.some((k) => model.isA(c.class, k)));
    if (!hit.length) return null;
    why.push(`in scope: ${hit.map((c) => `${c.code} (${c.class})`).join(', ')}`);
  }
  if (when.impactedSystem) {
    const { minImportance, branchScopes } = when.impactedSystem;
    const hit = facts.systems.filter(
      (s) =>
        (!minImportance || atLeast(s.importance, minImportance)) &&
        (!branchScopes?.length || (s.branchScope !== null && branchScopes.includes(s.branchScope))),
    );
    if (!hit.length) return null;
    why.push(
      `reaches ${hit
        .slice(0, 5)
        .map((s) => `${s.code} (${[s.importance, s.branchScope].filter(Boolean).join(', ')})`)
        .join(', ')}${hit.length > 5 ? ` and ${hit.length - 5} more` : ''}`,
    );
  }
  if (when.minOutageMinutes !== undefined) {
    if (facts.outageMinutes === null || facts.outageMinutes < when.minOutageMinutes) return null;
    why.push(`expected interruption ${facts.outageMinutes} min ≥ ${when.minOutageMinutes} min`);
  }
  if (when.subtypes?.length) {
    if (!when.subtypes.includes(facts.subtype)) return null;
    why.push(`subtype ${facts.subtype}`);
  }
  return why.join('; ');
}
