// The audit report (§7.1.4.3, §7.1.4.1 f): per class the sample size, what the checks found and the
// accuracy, the causes of the differences, the corrective actions taken and still open; as data, as a
// Markdown document and as CSV. Pure: built from the audit and its items.

import { stringify } from 'csv-stringify/sync';
import type { Audit, AuditItem } from './audit.types';

export interface ClassReport {
  class: string;
  population: number;
  sampleSize: number;
  unaudited: number;
  /** Findings as recorded by the auditors (a later correction does not change them). */
  matched: number;
  mismatched: number;
  missing: number;
  /** matched ÷ (matched + mismatched + missing); null while nothing is audited. */
  accuracy: number | null;
  corrected: number;
  openCorrections: number;
}

export interface CauseCount {
  cause: string;
  count: number;
}

export interface CorrectiveAction {
  code: string;
  class: string;
  finding: string;
  fields: string[];
  cause: string | null;
  /** Null while open. */
  action: string | null;
  at: number | null;
  actor: string | null;
}

export interface AuditReport {
  audit: Audit;
  generatedAt: number;
  classes: ClassReport[];
  total: ClassReport;
  causes: CauseCount[];
  corrections: CorrectiveAction[];
  open: CorrectiveAction[];
  complete: boolean;
}

function tally(name: string, population: number, items: AuditItem[]): ClassReport {
  const count = (f: string) => items.filter((i) => i.finding === f).length;
  const matched = count('MATCHED');
  const mismatched = count('MISMATCHED');
  const missing = count('MISSING');
  const audited = matched + mismatched + missing;
  return {
    class: name,
    population,
    sampleSize: items.length,
    unaudited: items.filter((i) => i.status === 'UNAUDITED').length,
    matched,
    mismatched,
    missing,
    accuracy: audited ? matched / audited : null,
    corrected: items.filter((i) => i.correction !== null && i.status === 'MATCHED').length,
    openCorrections: items.filter((i) => i.status === 'MISMATCHED' || i.status === 'MISSING').length,
  };
}

function action(i: AuditItem): CorrectiveAction {
  return {
    code: i.code,
    class: i.class,
    finding: i.finding ?? i.status,
    fields: i.fields.map((f) => f.field),
    cause: i.cause,
    action: i.status === 'MATCHED' ? (i.correction?.action ?? null) : null,
    at: i.status === 'MATCHED' ? (i.correction?.at ?? null) : null,
    actor: i.status === 'MATCHED' ? (i.correction?.actor ?? null) : null,
  };
}

export function buildReport(audit: Audit, items: AuditItem[], now: number): AuditReport {
  const classes = audit.strata.map((s) =>
    tally(
      s.class,
      s.population,
      items.filter((i) => i.stratum === s.class),
    ),
  );
  const total = tally(
    '*',
    audit.strata.reduce((n, s) => n + s.population, 0),
    items,
  );
  const causes = new Map<string, number>();
  for (const i of items) if (i.cause && i.finding !== 'MATCHED') causes.set(i.cause, (causes.get(i.cause) ?? 0) + 1);
  return {
    audit,
    generatedAt: now,
    classes,
    total,
    causes: [...causes]
      .map(([cause, count]) => ({ cause, count }))
      .sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause)),
    corrections: items.filter((i) => i.finding && i.finding !== 'MATCHED' && i.status === 'MATCHED').map(action),
    open: items.filter((i) => i.status === 'MISMATCHED' || i.status === 'MISSING').map(action),
    complete: audit.state === 'COMPLETED',
  };
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());
const cell = (s: string | null | undefined) => (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The report as a document people read. */
export function reportMarkdown(r: AuditReport): string {
  const a = r.audit;
  const lines = [
    `# 配置审计报告 Audit report ${a.ref}`,
    '',
    `- Title: ${cell(a.title)}`,
    `- Trigger: ${a.trigger}${a.scenario ? ` (${a.scenario})` : ''}${a.system ? `; business system ${a.system}` : ''}`,
    `- State: ${a.state}${a.completedAt ? ` (completed ${iso(a.completedAt)} by ${a.completedBy})` : ''}`,
    `- Created ${iso(a.createdAt)} by ${a.createdBy}; seed \`${a.seed}\``,
    `- Generated ${iso(r.generatedAt)}`,
    '',
    '## Results by class',
    '',
    '| Class | Population | Ratio / min | Sample | Unaudited 未审核 | Matched 匹配 | Mismatched 不匹配 | Missing 丢失 | Accuracy | Corrected | Open |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.classes.map((c) => {
      const s = a.strata.find((x) => x.class === c.class);
      return `| ${c.class} | ${c.population} | ${s ? `${s.ratio} / ${s.minimum}` : ''} | ${c.sampleSize} | ${c.unaudited} | ${c.matched} | ${c.mismatched} | ${c.missing} | ${pct(c.accuracy)} | ${c.corrected} | ${c.openCorrections} |`;
    }),
    `| **Total** | ${r.total.population} | | ${r.total.sampleSize} | ${r.total.unaudited} | ${r.total.matched} | ${r.total.mismatched} | ${r.total.missing} | ${pct(r.total.accuracy)} | ${r.total.corrected} | ${r.total.openCorrections} |`,
    '',
    '## Causes of differences',
    '',
    ...(r.causes.length
      ? ['| Cause | Items |', '|---|---:|', ...r.causes.map((c) => `| ${c.cause} | ${c.count} |`)]
      : ['No differences recorded.']),
    '',
    '## Corrective actions taken',
    '',
    ...(r.corrections.length
      ? [
          '| CI | Class | Finding | Fields | Cause | Action | When | By |',
          '|---|---|---|---|---|---|---|---|',
          ...r.corrections.map(
            (c) =>
              `| ${c.code} | ${c.class} | ${c.finding} | ${cell(c.fields.join(', '))} | ${c.cause ?? ''} | ${c.action} | ${iso(c.at)} | ${c.actor} |`,
          ),
        ]
      : ['None.']),
    '',
    '## Corrections still open',
    '',
    ...(r.open.length
      ? [
          '| CI | Class | Finding | Fields | Cause |',
          '|---|---|---|---|---|',
          ...r.open.map(
            (c) => `| ${c.code} | ${c.class} | ${c.finding} | ${cell(c.fields.join(', '))} | ${c.cause ?? ''} |`,
          ),
        ]
      : ['None.']),
    '',
  ];
  return lines.join('\n');
}

/** Every item with what was found, why, and how it was corrected. */
export function itemsCsv(items: AuditItem[]): string {
  return stringify(
    items.map((i) => ({
      code: i.code,
      class: i.class,
      stratum: i.stratum,
      status: i.status,
      finding: i.finding ?? '',
      differences: i.fields.map((f) => `${f.field}: ${f.recorded ?? '∅'} → ${f.observed ?? '∅'}`).join('; '),
      cause: i.cause ?? '',
      note: i.note ?? '',
      auditor: i.auditor ?? '',
      auditedAt: iso(i.auditedAt),
      correction: i.correction?.action ?? '',
      correctedAt: iso(i.correction?.at ?? null),
      correctedBy: i.correction?.actor ?? '',
    })),
    {
      header: true,
      columns: [
        'code',
        'class',
        'stratum',
        'status',
        'finding',
        'differences',
        'cause',
        'note',
        'auditor',
        'auditedAt',
        'correction',
        'correctedAt',
        'correctedBy',
      ],
    },
  );
}

/** The sample for the people who check the real entities: each CI as recorded when sampled. */
export function sampleCsv(audit: Audit, items: AuditItem[]): string {
  return stringify(
    items.map((i) => {
      const { ci, relations } = JSON.parse(i.snapshot) as { ci: Record<string, unknown>; relations: unknown[] };
      return {
        audit: audit.ref,
        code: i.code,
        class: i.class,
        stratum: i.stratum,
        name: ci.name,
        owner: ci.owner ?? '',
        lifecycle: ci.lifecycle,
        version: ci.version,
        status: i.status,
        attributes: JSON.stringify(ci.attributes ?? {}),
        relations: JSON.stringify(relations),
      };
    }),
    {
      header: true,
      columns: [
        'audit',
        'code',
        'class',
        'stratum',
        'name',
        'owner',
        'lifecycle',
        'version',
        'status',
        'attributes',
        'relations',
      ],
    },
  );
}

export function sampleJson(audit: Audit, items: AuditItem[]): string {
  return JSON.stringify(
    {
      audit: {
        ref: audit.ref,
        title: audit.title,
        seed: audit.seed,
        strata: audit.strata,
        createdAt: iso(audit.createdAt),
      },
      items: items.map((i) => ({
        code: i.code,
        class: i.class,
        stratum: i.stratum,
        status: i.status,
        recorded: JSON.parse(i.snapshot),
      })),
    },
    null,
    2,
  );
}
