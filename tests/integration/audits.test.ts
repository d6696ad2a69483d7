// Sampling audits (§7.1.4.3): reproducible samples per class, results, corrections under the audit
// as its ticket, the report, and scenario audits made once per event.

import { Role } from '../../src/platform/auth/roles';
import { AuditJobs } from '../../src/audits/audit.jobs';
import { createTeam, ctxFor, startTestApp, tokenFor, uniq, type TestApp } from '../support/harness';

let app: TestApp;
let team: string;
const s = uniq();
const manager = tokenFor([Role.CONFIG_MANAGER], 'user:zhou.cm');
const checker = tokenFor([Role.OPS_ENGINEER], 'user:li.ops');
const vms = Array.from({ length: 35 }, (_, i) => `VM-AUD-${s}-${String(i).padStart(2, '0')}`);
const servers = Array.from({ length: 12 }, (_, i) => `SRV-AUD-${s}-${String(i).padStart(2, '0')}`);

const CREATE = `mutation($i: CreateAuditInput!) { createAudit(input: $i) { ref seed itemCount state strata { class population sampled ratio minimum } } }`;
const ITEMS = `query($a: String!) { auditItems(audit: $a, first: 50) { totalCount items { code class stratum status recorded } } }`;
const RECORD = `mutation($a: String!, $r: [AuditResultInput!]!) { recordAuditResults(audit: $a, results: $r) { code status finding fields { field recorded observed } cause auditor } }`;
const REPORT = `query($a: String!) { auditReport(audit: $a) { complete markdown itemsCsv
  classes { class population sampleSize unaudited matched mismatched missing accuracy corrected openCorrections }
  total { sampleSize matched mismatched missing accuracy } causes { cause count } corrections { code action } open { code finding } } }`;

async function createAudit(seed: string, classes: object[], extra: object = {}) {
  const res = await app.gql(
    CREATE,
    { i: { classes, ratio: 0.1, minimum: 3, cis: [...vms, ...servers], seed, ...extra } },
    manager,
  );
  expect(res.errors).toBeUndefined();
  return res.data!.createAudit;
}

async function itemsOf(ref: string) {
  const res = await app.gql(ITEMS, { a: ref }, checker);
  expect(res.errors).toBeUndefined();
  return res.data!.auditItems.items as {
    code: string;
    class: string;
    stratum: string;
    status: string;
    recorded: any;
  }[];
}

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
  await app.services.cis.createBatch(ctxFor(), {
    cis: [
      ...vms.map((code, i) => ({
        class: 'VirtualMachine',
        code,
        name: code,
        owner: team,
        attributes: { hostname: `aud-${s.toLowerCase()}-${i}` },
      })),
      ...servers.map((code, i) => ({
        class: 'PhysicalServer',
        code,
        name: code,
        owner: team,
        attributes: { serialNumber: `SN${s}${String(i).padStart(3, '0')}`, vendorModel: 'Huawei 2288H V5' },
      })),
    ],
    relations: [],
  });
});

afterAll(() => app.close());

describe('sampling', () => {
  let ref: string;

  it('samples max(3, ceil(10 %)) per class, reproducibly, every item UNAUDITED and exported', async () => {
    const audit = await createAudit('seed-A', [{ class: 'VirtualMachine' }, { class: 'PhysicalServer' }]);
    ref = audit.ref;
    expect(audit.strata).toEqual([
      { class: 'VirtualMachine', population: 35, sampled: 4, ratio: 0.1, minimum: 3 },
      { class: 'PhysicalServer', population: 12, sampled: 3, ratio: 0.1, minimum: 3 },
    ]);
    expect(audit.itemCount).toBe(7);
    const items = await itemsOf(ref);
    expect(items).toHaveLength(7);
    expect(items.every((i) => i.status === 'UNAUDITED')).toBe(true);
    expect(items.find((i) => i.class === 'VirtualMachine')!.recorded.ci.attributes.hostname).toMatch(/^aud-/);

    const again = await createAudit('seed-A', [{ class: 'VirtualMachine' }, { class: 'PhysicalServer' }]);
    expect((await itemsOf(again.ref)).map((i) => i.code)).toEqual(items.map((i) => i.code));

    const csv = await app.gql(`query($a: String!) { auditSampleExport(audit: $a) }`, { a: ref }, checker);
    const lines = (csv.data!.auditSampleExport as string).trim().split('\n');
    expect(lines).toHaveLength(8);
    for (const i of items) expect(lines.some((l) => l.includes(i.code))).toBe(true);
    const json = await app.gql(
      `query($a: String!) { auditSampleExport(audit: $a, format: JSON) }`,
      { a: ref },
      checker,
    );
    expect(JSON.parse(json.data!.auditSampleExport).items).toHaveLength(7);
  });

  it('takes all of a class smaller than the minimum, and refuses overlapping classes', async () => {
    const small = await app.gql(
      CREATE,
      { i: { classes: [{ class: 'PhysicalServer', minimum: 50 }], cis: servers } },
      manager,
    );
    expect(small.data!.createAudit.itemCount).toBe(12);
    const overlap = await app.gql(
      CREATE,
      { i: { classes: [{ class: 'Server' }, { class: 'VirtualMachine' }], cis: vms } },
      manager,
    );
    expect(overlap.errors![0].extensions!.code).toBe('VALIDATION_FAILED');
    const denied = await app.gql(CREATE, { i: { classes: [{ class: 'Server' }], cis: vms } }, checker);
    expect(denied.errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  describe('results, corrections and the report', () => {
    let vm: string[];
    let srv: string[];

    beforeAll(async () => {
      const items = await itemsOf(ref);
      vm = items.filter((i) => i.stratum === 'VirtualMachine').map((i) => i.code);
      srv = items.filter((i) => i.stratum === 'PhysicalServer').map((i) => i.code);
    });

    it('refuses MISMATCHED without fields, and an item of another audit, with a clear error', async () => {
      const noFields = await app.gql(
        RECORD,
        { a: ref, r: [{ code: vm[0], status: 'MISMATCHED', cause: 'MANUAL_ERROR' }] },
        checker,
      );
      expect(noFields.errors![0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'results[0].fields' });
      const other = await app.gql(
        CREATE,
        { i: { classes: [{ class: 'PhysicalServer', minimum: 50 }], cis: servers } },
        manager,
      );
      const otherRef = other.data!.createAudit.ref;
      const wrong = await app.gql(
        RECORD,
        { a: otherRef, r: [{ code: vm[0], status: 'MISSING', cause: 'OTHER' }] },
        checker,
      );
      expect(wrong.errors![0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'results[0].code' });
      expect(wrong.errors![0].message).toContain(`not of audit ${otherRef}`);
      const noCause = await app.gql(RECORD, { a: ref, r: [{ code: vm[0], status: 'MISSING' }] }, checker);
      expect(noCause.errors![0].extensions!.field).toBe('results[0].cause');
      // Nothing was written by the refusals.
      expect((await itemsOf(ref)).every((i) => i.status === 'UNAUDITED')).toBe(true);
    });

    it('records results in bulk, with the recorded value taken from the frozen CI', async () => {
      const res = await app.gql(
        RECORD,
        {
          a: ref,
          r: [
            { code: vm[0], status: 'MATCHED' },
            {
              code: vm[1],
              status: 'MISMATCHED',
              fields: [{ field: 'name', observed: 'renamed-on-site' }],
              cause: 'UNRECORDED_CHANGE',
            },
            { code: vm[2], status: 'MISSING', cause: 'DECOMMISSION_NOT_RECORDED' },
            { code: vm[3], status: 'MATCHED' },
            { code: srv[0], status: 'MATCHED' },
            {
              code: srv[1],
              status: 'MISMATCHED',
              fields: [{ field: 'serialNumber', observed: 'SNOTHER999' }],
              cause: 'MANUAL_ERROR',
            },
            { code: srv[2], status: 'MATCHED' },
          ],
        },
        checker,
      );
      expect(res.errors).toBeUndefined();
      const mismatched = res.data!.recordAuditResults.find((i: any) => i.code === vm[1]);
      expect(mismatched).toMatchObject({ status: 'MISMATCHED', auditor: 'user:li.ops', cause: 'UNRECORDED_CHANGE' });
      expect(mismatched.fields).toEqual([{ field: 'name', recorded: vm[1], observed: 'renamed-on-site' }]);
    });

    it('a correction under no ticket is refused; under the audit it turns the item MATCHED and keeps the trail', async () => {
      const ci = await app.services.cis.get({ code: vm[1] });
      const unticketed = await app.gql(
        `mutation($i: UpdateCIInput!) { updateCI(input: $i) { version } }`,
        { i: { code: vm[1], expectedVersion: ci.version, name: 'renamed-on-site' } },
        manager,
      );
      expect(unticketed.errors![0].extensions!.code).toBe('CHANGE_REQUIRED');

      const corrected = await app.gql(
        `mutation($i: CorrectAuditItemInput!) { correctAuditItem(input: $i) { status finding correction { action actor version } trail { status fields { field } } } }`,
        { i: { audit: ref, code: vm[1], expectedVersion: ci.version, name: 'renamed-on-site' } },
        manager,
      );
      expect(corrected.errors).toBeUndefined();
      expect(corrected.data!.correctAuditItem).toMatchObject({
        status: 'MATCHED',
        finding: 'MISMATCHED',
        correction: { action: 'CI_UPDATE', actor: 'user:zhou.cm', version: ci.version + 1 },
        trail: [{ status: 'MISMATCHED', fields: [{ field: 'name' }] }],
      });
      expect((await app.services.cis.get({ code: vm[1] })).name).toBe('renamed-on-site');

      const missing = await app.services.cis.get({ code: vm[2] });
      const retired = await app.gql(
        `mutation($a: String!, $c: String!, $v: Int!) { retireMissingAuditItem(audit: $a, code: $c, expectedVersion: $v) { status finding correction { action } } }`,
        { a: ref, c: vm[2], v: missing.version },
        manager,
      );
      expect(retired.data!.retireMissingAuditItem).toEqual({
        status: 'MATCHED',
        finding: 'MISSING',
        correction: { action: 'CI_RETIRE' },
      });
    });

    it('reports per class what was recorded, with accuracy, causes and open corrections', async () => {
      const res = await app.gql(REPORT, { a: ref }, checker);
      expect(res.errors).toBeUndefined();
      const r = res.data!.auditReport;
      expect(r.classes).toEqual([
        {
          class: 'VirtualMachine',
          population: 35,
          sampleSize: 4,
          unaudited: 0,
          matched: 2,
          mismatched: 1,
          missing: 1,
          accuracy: 0.5,
          corrected: 2,
          openCorrections: 0,
        },
        {
          class: 'PhysicalServer',
          population: 12,
          sampleSize: 3,
          unaudited: 0,
          matched: 2,
          mismatched: 1,
          missing: 0,
          accuracy: 2 / 3,
          corrected: 0,
          openCorrections: 1,
        },
      ]);
      expect(r.total).toEqual({ sampleSize: 7, matched: 4, mismatched: 2, missing: 1, accuracy: 4 / 7 });
      expect(r.causes).toEqual([
        { cause: 'DECOMMISSION_NOT_RECORDED', count: 1 },
        { cause: 'MANUAL_ERROR', count: 1 },
        { cause: 'UNRECORDED_CHANGE', count: 1 },
      ]);
      expect(r.corrections.map((c: any) => c.code).sort()).toEqual([vm[1], vm[2]].sort());
      expect(r.open).toEqual([{ code: srv[1], finding: 'MISMATCHED' }]);
      expect(r.markdown).toContain(`Audit report ${ref}`);
      expect(r.markdown).toContain('| VirtualMachine | 35 |');
      expect(r.itemsCsv.trim().split('\n')).toHaveLength(8);
    });

    it('a CI update made directly under the audit ticket is picked up as a correction by the scan', async () => {
      const ci = await app.services.cis.get({ code: srv[1] });
      await app.services.cis.update(ctxFor('user:zhou.cm', ref), {
        code: srv[1],
        expectedVersion: ci.version,
        attributes: { serialNumber: 'SNOTHER999' },
      });
      const jobs = new AuditJobs(app.services, {
        annualCron: '0 2 1 1 *',
        annualClasses: [],
        scenarioCron: '* * * * *',
      });
      // A slot of its own: another file's scan in the current minute would have claimed that slot already.
      await jobs.run('scenarios', Date.UTC(2242, 0, 1) + Math.floor(Math.random() * 1e6) * 60_000);
      const items = await itemsOf(ref);
      expect(items.find((i) => i.code === srv[1])!.status).toBe('MATCHED');
      const completed = await app.gql(
        `mutation($a: String!) { completeAudit(audit: $a) { state } }`,
        { a: ref },
        manager,
      );
      expect(completed.data!.completeAudit.state).toBe('COMPLETED');
      // No scenario audit for the retirement made under the audit itself.
      const retiredId = (await app.services.cis.get({ code: vm[2] })).id;
      const [{ n }] = await app.executor.query(
        `MATCH (a:Audit {trigger: 'SCENARIO'}) MATCH (i:AuditItem {auditId: a.id, ciId: $id}) RETURN count(i) AS n`,
        { id: retiredId },
      );
      expect(n).toBe(0);
    });

    it('an audit with UNAUDITED items cannot complete', async () => {
      const fresh = await createAudit('seed-B', [{ class: 'PhysicalServer' }]);
      const res = await app.gql(
        `mutation($a: String!) { completeAudit(audit: $a) { state } }`,
        { a: fresh.ref },
        manager,
      );
      expect(res.errors![0].extensions!.code).toBe('VALIDATION_FAILED');
      expect(res.errors![0].message).toContain('UNAUDITED');
    });
  });
});

describe('scenario audits', () => {
  it('retiring a CI creates one scenario audit covering it; handling the event again creates none', async () => {
    const code = vms[34];
    const ci = await app.services.cis.get({ code });
    await app.services.cis.changeLifecycle(ctxFor(), { code, expectedVersion: ci.version, state: 'RETIRED' });
    const jobs = new AuditJobs(app.services, { annualCron: '0 2 1 1 *', annualClasses: [], scenarioCron: '* * * * *' });
    const slot = Date.UTC(2240, 0, 1) + Math.floor(Math.random() * 1e6) * 60_000;
    const first = await jobs.run('scenarios', slot);
    expect(first.ran).toBe(true);
    const again = await jobs.run('scenarios', slot);
    expect(again.ran).toBe(false);
    await jobs.run('scenarios', slot + 60_000);
    const rows = await app.executor.query(
      `MATCH (a:Audit {trigger: 'SCENARIO'}) MATCH (i:AuditItem {auditId: a.id, ciId: $id}) RETURN a.ref AS ref, a.scenario AS scenario, a.scenarioKey AS key`,
      { id: ci.id },
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].scenario).toBe('SERVICE_RETIREMENT');
    // The event replayed through the hook: the same audit, nothing new.
    const replay = await app.services.audits.triggerScenario(ctxFor('system:test', null), {
      scenario: 'SERVICE_RETIREMENT',
      key: rows[0].key as string,
      ciIds: [ci.id],
      occurredAt: Date.now(),
      summary: 'replayed',
    });
    expect(replay).toEqual({ created: false, audit: rows[0].ref });
  });

  it('an owner change and a supplier change make scenario audits; the incident hook is idempotent by key', async () => {
    const code = vms[33];
    const other = await createTeam(app.services);
    const ci = await app.services.cis.get({ code });
    await app.services.cis.update(ctxFor(), { code, expectedVersion: ci.version, owner: other });
    const jobs = new AuditJobs(app.services, { annualCron: '0 2 1 1 *', annualClasses: [], scenarioCron: '* * * * *' });
    // A slot of its own: another file's scan in the current minute would have claimed that slot already.
    await jobs.run('scenarios', Date.UTC(2241, 0, 1) + Math.floor(Math.random() * 1e6) * 60_000);
    const rows = await app.executor.query(
      `MATCH (a:Audit {trigger: 'SCENARIO'}) MATCH (i:AuditItem {auditId: a.id, ciId: $id}) RETURN a.scenario AS scenario`,
      { id: ci.id },
    );
    expect(rows.map((r) => r.scenario)).toEqual(['PERSONNEL_CHANGE']);

    const key = `incident:INC-${s}`;
    const event = {
      scenario: 'MAJOR_INCIDENT' as const,
      key,
      ciIds: [ci.id],
      occurredAt: Date.now(),
      summary: '重大事件',
    };
    const [a, b] = await Promise.all([
      app.services.audits.triggerScenario(ctxFor('system:test', null), event),
      app.services.audits.triggerScenario(ctxFor('system:test', null), event),
    ]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.audit).toBe(b.audit);
  });
});
