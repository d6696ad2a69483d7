// Operator commands for audits: run an audit job by hand for a slot (a slot that already ran makes
// nothing new), and write an audit's report (Markdown, JSON) or its items and sample (CSV, JSON).

import fs from 'node:fs';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logging';
import { connect } from '../runtime';
import { createServices } from '../services';
import { auditJobsFor } from '../../audit-jobs';
import { assertJob } from '../audits/audit.jobs';
import { itemsCsv, reportMarkdown, sampleCsv, sampleJson } from '../audits/audit.report';
import { option } from './args';

export const AUDIT_USAGE = `  audit-run annual|scenarios [--slot ISO-DATE]
                        run an audit job for a slot (default: its latest scheduled one); reruns make nothing new
  audit-report REF [--format md|json|csv] [--out FILE]
                        the audit report (md), as data (json), or its items (csv)
  audit-export REF [--format csv|json] [--out FILE]
                        the frozen sample, for the people who check the real entities
`;

export async function auditCommand(command: string, config: Config, log: Logger, args: string[]): Promise<number> {
  const [target] = args;
  if (!target || target.startsWith('--')) {
    console.error(AUDIT_USAGE);
    return 2;
  }
  const { executor, embedded } = await connect(config, log);
  try {
    const services = createServices(executor, {
      discoveryStaleHours: config.discovery.staleHours,
      auditCauses: config.audit.causes,
    });
    const write = (text: string) => {
      const out = option(args, 'out');
      if (out) fs.writeFileSync(out, text);
      else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    };
    if (command === 'audit-run') {
      const job = assertJob(target);
      const jobs = auditJobsFor(services, config);
      const raw = option(args, 'slot');
      const slot = raw ? Date.parse(raw) : jobs.lastSlot(job);
      if (slot === null || Number.isNaN(slot)) {
        console.error(`--slot must be an ISO date, got "${raw}"`);
        return 2;
      }
      const outcome = await jobs.run(job, slot, 'cli:audit-run');
      console.log(
        outcome.ran
          ? `ran ${outcome.key}: ${outcome.run.audits.length ? `audits ${outcome.run.audits.join(', ')}` : 'no audit needed'}`
          : `${outcome.key} already ran (${outcome.run.audits.join(', ') || 'no audits'}): nothing new`,
      );
      return 0;
    }
    const { audit, items } = await services.audits.allItems(target);
    const format = option(args, 'format') ?? (command === 'audit-report' ? 'md' : 'csv');
    if (command === 'audit-export') {
      if (format !== 'csv' && format !== 'json') throw new Error('--format must be csv or json');
      write(format === 'json' ? sampleJson(audit, items) : sampleCsv(audit, items));
      return 0;
    }
    const report = await services.audits.report(target);
    if (format === 'md') write(reportMarkdown(report));
    else if (format === 'json') write(JSON.stringify(report, null, 2));
    else if (format === 'csv') write(itemsCsv(items));
    else throw new Error('--format must be md, json or csv');
    return 0;
  } finally {
    await executor.close();
    await embedded?.stop();
  }
}
