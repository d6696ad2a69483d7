// The change policy: the data behind grading, lead times and the operations calendar, which the
// configuration manager adjusts (§7.2.4.2.1 预先定义变更风险评估模型, §7.2.5.1 h/i). Defaults follow the standard.

import type { CompiledModel } from '../model/compiled-model';
import { DEFAULT_CALENDAR, validateCalendar, type OperationsCalendar } from './calendar';
import { DEFAULT_LEAD_TIMES, type ChangeGrade, type LeadTimeRules } from './deadlines';
import {
  DEFAULT_RISK_POLICY,
  GRADES,
  IMPACT_LEVELS,
  IMPORTANCES,
  LIKELIHOODS,
  type RiskPolicy,
  type RiskRule,
} from './risk';
import { fail, isObject } from '../platform/document-checks';

export interface ChangePolicy {
  risk: RiskPolicy;
  leadTimes: LeadTimeRules;
  calendar: OperationsCalendar;
}

export const DEFAULT_CHANGE_POLICY: ChangePolicy = {
  risk: DEFAULT_RISK_POLICY,
  leadTimes: DEFAULT_LEAD_TIMES,
  calendar: DEFAULT_CALENDAR,
};

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) fail(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function strings(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail(field, 'must be a list of strings');
  return value as string[];
}

/** Checks a whole policy document; the error names the first bad field and why. Classes must exist in the model. */
export function validateChangePolicy(input: unknown, model: CompiledModel): ChangePolicy {
  if (!isObject(input)) fail('policy', 'must be an object with risk, leadTimes and calendar');
  const risk = input.risk === undefined ? DEFAULT_RISK_POLICY : validateRisk(input.risk, model);
  const leadTimes = input.leadTimes === undefined ? DEFAULT_LEAD_TIMES : validateLeadTimes(input.leadTimes);
  const calendar = input.calendar === undefined ? DEFAULT_CALENDAR : validateCalendar(input.calendar);
  for (const key of Object.keys(input)) {
    if (!['risk', 'leadTimes', 'calendar'].includes(key)) fail(`policy.${key}`, 'unknown section');
  }
  return { risk, leadTimes, calendar };
}

function validateLeadTimes(v: unknown): LeadTimeRules {
  if (!isObject(v)) fail('leadTimes', 'must be an object of MAJOR, NORMAL and STANDARD working days');
  const out = {} as Record<ChangeGrade, number>;
  for (const g of GRADES) {
    const days = v[g];
    if (!Number.isInteger(days) || (days as number) < 0 || (days as number) > 250) {
      fail(`leadTimes.${g}`, 'must be a whole number of working days from 0 to 250');
    }
    out[g] = days as number;
  }
  return out;
}

function validateRisk(v: unknown, model: CompiledModel): RiskPolicy {
  if (!isObject(v)) fail('risk', 'must be an object with impactByImportance, matrix and rules');
  const impactByImportance: RiskPolicy['impactByImportance'] = {};
  if (!isObject(v.impactByImportance)) fail('risk.impactByImportance', 'must map importances to impact levels');
  for (const [importance, level] of Object.entries(v.impactByImportance)) {
    const i = oneOf(importance, IMPORTANCES, `risk.impactByImportance.${importance}`);
    impactByImportance[i] = oneOf(level, IMPACT_LEVELS, `risk.impactByImportance.${importance}`);
  }
  if (!isObject(v.matrix)) fail('risk.matrix', 'must map each impact level to a grade per likelihood');
  const matrix = {} as RiskPolicy['matrix'];
  for (const impact of IMPACT_LEVELS) {
    const row = v.matrix[impact];
    if (!isObject(row)) fail(`risk.matrix.${impact}`, 'must map LOW, MEDIUM and HIGH likelihood to a grade');
    matrix[impact] = {} as RiskPolicy['matrix'][typeof impact];
    for (const l of LIKELIHOODS) matrix[impact][l] = oneOf(row[l], GRADES, `risk.matrix.${impact}.${l}`);
  }
  if (!Array.isArray(v.rules)) fail('risk.rules', 'must be a list of rules');
  const ids = new Set<string>();
  const rules = v.rules.map((r: unknown, i: number): RiskRule => {
    const at = `risk.rules[${i}]`;
    if (!isObject(r)) fail(at, 'must be an object');
    if (typeof r.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(r.id))
      fail(`${at}.id`, 'must be 1–64 lower-case letters, digits or -');
    if (ids.has(r.id)) fail(`${at}.id`, `duplicate rule id ${r.id}`);
    ids.add(r.id);
    if (typeof r.description !== 'string' || !r.description.trim()) fail(`${at}.description`, 'is required');
    if (!isObject(r.when) || !Object.keys(r.when).length) fail(`${at}.when`, 'needs at least one condition');
    const when: RiskRule['when'] = {};
    for (const key of Object.keys(r.when)) {
      const value = r.when[key];
      const field = `${at}.when.${key}`;
      if (key === 'scopeClasses') {
        when.scopeClasses = strings(value, field);
        when.scopeClasses.forEach((c, j) => model.getClass(c) || fail(`${field}[${j}]`, `unknown class ${c}`));
      } else if (key === 'subtypes') when.subtypes = strings(value, field);
      else if (key === 'minOutageMinutes') {
        if (!Number.isInteger(value) || (value as number) < 0) fail(field, 'must be a whole number of minutes');
        when.minOutageMinutes = value as number;
      } else if (key === 'impactedSystem') {
        if (!isObject(value)) fail(field, 'must be an object with minImportance and/or branchScopes');
        when.impactedSystem = {
          ...(value.minImportance !== undefined && {
            minImportance: oneOf(value.minImportance, IMPORTANCES, `${field}.minImportance`),
          }),
          ...(value.branchScopes !== undefined && {
            branchScopes: strings(value.branchScopes, `${field}.branchScopes`),
          }),
        };
      } else fail(field, 'unknown condition; known: scopeClasses, impactedSystem, minOutageMinutes, subtypes');
    }
    return {
      id: r.id,
      grade: oneOf(r.grade, GRADES, `${at}.grade`),
      clause: typeof r.clause === 'string' ? r.clause : '',
      description: r.description,
      when,
    };
  });
  return { impactByImportance, matrix, rules };
}
