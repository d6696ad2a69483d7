// The node-cron entry points of the audit jobs (§7.1.4.3): the annual audit on AUDIT_ANNUAL_CRON over
// AUDIT_ANNUAL_CLASSES, and the scan that turns scenario events in the data into audits on
// AUDIT_SCENARIO_CRON. Every replica schedules both; each slot runs once (see src/audits/audit.jobs.ts).

import { schedule, type ScheduledTask } from 'node-cron';
import type { Config } from '../src/platform/config';
import type { Logger } from '../src/platform/logging';
import type { Services } from '../src/services';
import { AuditJobs, floorToMinute } from '../src/audits/audit.jobs';
import type { AuditJobName } from '../src/audits/audit.types';

export interface AuditScheduler {
  jobs: AuditJobs;
  stop(): Promise<void>;
}

export function auditJobsFor(services: Services, config: Config): AuditJobs {
  return new AuditJobs(services, {
    annualCron: config.audit.annualCron,
    annualClasses: config.audit.annualClasses,
    scenarioCron: config.audit.scenarioCron,
  });
}

/** Schedules both jobs and catches up a missed slot in the background; `stop()` ends the schedule. */
export function scheduleAuditJobs(services: Services, config: Config, log: Logger): AuditScheduler {
  const jobs = auditJobsFor(services, config);
  const task = (job: AuditJobName): ScheduledTask =>
    schedule(
      jobs.cronOf(job),
      async (context) => {
        try {
          const outcome = await jobs.run(job, floorToMinute(context.date.getTime()));
          if (outcome.ran) log.info({ key: outcome.key, audits: outcome.run.audits }, 'audit job ran');
        } catch (e) {
          log.error({ err: e, job }, 'audit job failed');
        }
      },
      { name: `audit-${job}`, noOverlap: true },
    );
  const tasks = [task('annual'), task('scenarios')];
  jobs.catchUp().then(
    (outcomes) => {
      for (const o of outcomes) if (o.ran) log.info({ key: o.key, audits: o.run.audits }, 'audit job caught up');
    },
    (e) => log.error({ err: e }, 'audit job catch-up failed'),
  );
  return {
    jobs,
    async stop() {
      for (const t of tasks) await t.stop();
    },
  };
}
