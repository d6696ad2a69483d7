// The audit jobs' logic: the annual audit per scheduled slot and the scenario scan, each slot run
// exactly once across replicas (the run key `<job>@<slot ISO>` is claimed in Neo4j), a missed slot
// caught up at start. `audit-jobs/` schedules it with node-cron; the CLI and the API run it by hand.

import { randomBytes } from 'node:crypto';
import { parse } from 'node-cron';
import { ValidationError } from '../platform/errors';
import type { WriteContext } from '../oplog/oplog.service';
import type { AuditService } from './audit.service';
import { previousSlot } from './sampling';
import { AUDIT_JOBS, type AuditJobName, type AuditJobRun, type StratumSpec } from './audit.types';
import { AUDIT_QUERIES } from './audit.repository';
import type { Executor } from '../platform/neo4j/executor';

export interface AuditJobsOptions {
  annualCron: string;
  annualClasses: StratumSpec[];
  scenarioCron: string;
  /** Names this replica in the runs it records. */
  instance?: string;
  /** The clock; tests move it. */
  now?: () => number;
  /** Entries of the operation log per scan transaction. */
  scanPageSize?: number;
}

export interface JobOutcome {
  job: AuditJobName;
  key: string;
  /** False when the slot had already run (here or on another replica): nothing new was made. */
  ran: boolean;
  run: AuditJobRun;
}

export const JOB_ACTOR = 'system:audit-jobs';

export function runKey(job: string, slot: number): string {
  return `${job}@${new Date(slot).toISOString()}`;
}

/** A slot is a whole minute: cron's resolution. */
export function floorToMinute(at: number): number {
  return Math.floor(at / 60_000) * 60_000;
}

export function assertJob(job: string): AuditJobName {
  if (!(AUDIT_JOBS as readonly string[]).includes(job)) {
    throw new ValidationError(`unknown audit job ${JSON.stringify(job)}; one of ${AUDIT_JOBS.join(', ')}`, {
      field: 'job',
    });
  }
  return job as AuditJobName;
}

export class AuditJobs {
  readonly instance: string;
  private readonly now: () => number;

  constructor(
    private readonly services: { executor: Executor; audits: AuditService },
    private readonly options: AuditJobsOptions,
  ) {
    this.instance = options.instance ?? `replica-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.now = options.now ?? Date.now;
  }

  cronOf(job: AuditJobName): string {
    return job === 'annual' ? this.options.annualCron : this.options.scenarioCron;
  }

  /** Runs a job for a slot (a whole minute); a slot that already ran produces nothing new. */
  async run(job: AuditJobName, slot: number, actor = JOB_ACTOR): Promise<JobOutcome> {
    const at = this.now();
    const s = floorToMinute(slot);
    const key = runKey(job, s);
    const ctx: WriteContext = { actor, at, source: 'system:audit-jobs', ticket: null };
    const claim = { key, job, slot: s, instance: this.instance };
    const result =
      job === 'annual'
        ? await this.services.audits.runAnnualSlot(ctx, claim, this.options.annualClasses)
        : await this.services.audits.runScenarioSlot(ctx, claim, this.options.scanPageSize ?? 500);
    return { job, key, ...result };
  }

  /** The job's latest slot at or before now by its cron pattern. */
  lastSlot(job: AuditJobName): number | null {
    return previousSlot(parse(this.cronOf(job)), this.now());
  }

  /**
   * At start: the latest slot of each job, if it has not run, runs now — a slot missed while every
   * replica was down. Slots from before the job was first scheduled anywhere are not caught up.
   */
  async catchUp(): Promise<JobOutcome[]> {
    const out: JobOutcome[] = [];
    for (const job of AUDIT_JOBS) {
      const [row] = await this.services.executor.write((tx) => tx.run(AUDIT_QUERIES.jobSince, { job, at: this.now() }));
      const slot = this.lastSlot(job);
      if (slot === null || slot < floorToMinute(row.since as number)) continue;
      out.push(await this.run(job, slot));
    }
    return out;
  }
}
