// Audit jobs: every slot runs exactly once across replicas, a run by hand twice makes one audit,
// and a slot missed while every replica was down is caught up at start.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Role } from '../../src/platform/auth/roles';
import { PROJECT_ROOT } from '../../src/platform/config';
import { ensureBuilt, serviceEnv } from '../support/process';
import { AuditJobs } from '../../src/audits/audit.jobs';
import { startTestApp, tokenFor, type TestApp } from '../support/harness';

let app: TestApp;
const manager = tokenFor([Role.CONFIG_MANAGER], 'user:zhou.cm');
const options = {
  annualCron: '0 2 1 1 *',
  annualClasses: [{ class: 'DataCenter', ratio: 0.1, minimum: 1 }],
  scenarioCron: '*/5 * * * *',
};

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

it('three replicas over many fake slots: every slot runs exactly once', async () => {
  const replicas = ['a', 'b', 'c'].map((instance) => new AuditJobs(app.services, { ...options, instance }));
  const base = Date.UTC(2200, 0, 1) + Math.floor(Math.random() * 1e6) * 3_600_000;
  const slots = Array.from({ length: 12 }, (_, i) => base + i * 3_600_000);
  for (const slot of slots) {
    const outcomes = await Promise.all(replicas.map((r) => r.run('annual', slot)));
    expect(outcomes.filter((o) => o.ran)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.run.audits.join()))).toEqual(
      new Set([outcomes.find((o) => o.ran)!.run.audits.join()]),
    );
  }
  const rows = await app.executor.query(
    `UNWIND $keys AS key MATCH (r:AuditJobRun {key: key}) RETURN r.key AS key, r.audits AS audits, r.attempts AS attempts`,
    { keys: slots.map((s) => `annual@${new Date(s).toISOString()}`) },
  );
  expect(rows).toHaveLength(12);
  expect(rows.every((r) => (r.audits as string[]).length === 1 && r.attempts === 1)).toBe(true);
  const [{ n }] = await app.executor.query(`MATCH (a:Audit) WHERE a.ref IN $refs RETURN count(a) AS n`, {
    refs: rows.flatMap((r) => r.audits as string[]),
  });
  expect(n).toBe(12);
});

it('three processes (the CLI) racing over several fake slots: every slot runs exactly once', async () => {
  const cli = ensureBuilt(path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js'));
  const env = serviceEnv({
    NEO4J_URI: process.env.CMDB_TEST_NEO4J_URI!,
    ...(process.env.TEST_NEO4J_USERNAME ? { NEO4J_USERNAME: process.env.TEST_NEO4J_USERNAME } : {}),
    ...(process.env.TEST_NEO4J_PASSWORD ? { NEO4J_PASSWORD: process.env.TEST_NEO4J_PASSWORD } : {}),
    AUDIT_ANNUAL_CLASSES: 'DataCenter:0.1:1',
    LOG_LEVEL: 'silent',
  });
  const run = promisify(execFile);
  const base = Date.UTC(2300, 0, 1) + Math.floor(Math.random() * 1e6) * 3_600_000;
  const slots = Array.from({ length: 4 }, (_, i) => new Date(base + i * 3_600_000).toISOString());
  for (const slot of slots) {
    const outputs = await Promise.all(
      [0, 1, 2].map(async () => {
        const { stdout } = await run(process.execPath, [cli, 'audit-run', 'annual', '--slot', slot], {
          cwd: PROJECT_ROOT,
          env,
        });
        return stdout;
      }),
    );
    expect(outputs.filter((o) => /^ran annual@/m.test(o))).toHaveLength(1);
    expect(outputs.filter((o) => /already ran/.test(o))).toHaveLength(2);
  }
  const rows = await app.executor.query(
    `UNWIND $keys AS key MATCH (r:AuditJobRun {key: key}) RETURN r.audits AS audits, r.attempts AS attempts`,
    { keys: slots.map((s) => `annual@${s}`) },
  );
  expect(rows).toHaveLength(4);
  expect(rows.every((r) => (r.audits as string[]).length === 1 && r.attempts === 1)).toBe(true);
}, 120_000);

it('the annual job started by hand twice for the same slot creates one audit, and the runs are visible', async () => {
  const slot = new Date(Date.UTC(2250, 0, 1, 2) + Math.floor(Math.random() * 1e5) * 60_000).toISOString();
  const RUN = `mutation($s: DateTimeISO) { runAuditJob(job: annual, slot: $s) { ran run { key audits status } } }`;
  const first = await app.gql(RUN, { s: slot }, manager);
  expect(first.errors).toBeUndefined();
  const second = await app.gql(RUN, { s: slot }, manager);
  expect(first.data!.runAuditJob.ran).toBe(true);
  expect(second.data!.runAuditJob.ran).toBe(false);
  expect(second.data!.runAuditJob.run.audits).toEqual(first.data!.runAuditJob.run.audits);
  const runs = await app.gql(
    `{ auditJobRuns(job: annual, first: 50) { totalCount items { key status audits } } }`,
    {},
    manager,
  );
  expect(runs.errors).toBeUndefined();
  expect(runs.data!.auditJobRuns.items.filter((r: any) => r.key === `annual@${slot}`)).toHaveLength(1);
});

it('catches up the last missed slot at start, once', async () => {
  // The replicas were up at the end of 2300 (the jobs were scheduled then), and all down over New Year.
  await new AuditJobs(app.services, { ...options, now: () => new Date(2300, 11, 31, 12).getTime() }).catchUp();
  const now = new Date(2301, 2, 10, 10, 37).getTime();
  const jobs = new AuditJobs(app.services, { ...options, now: () => now, instance: 'late' });
  const outcomes = await jobs.catchUp();
  const annual = outcomes.find((o) => o.job === 'annual')!;
  expect(annual.key).toBe(`annual@${new Date(2301, 0, 1, 2, 0).toISOString()}`);
  expect(annual.ran).toBe(true);
  const again = await new AuditJobs(app.services, { ...options, now: () => now, instance: 'later' }).catchUp();
  expect(again.find((o) => o.job === 'annual')!.ran).toBe(false);
});
