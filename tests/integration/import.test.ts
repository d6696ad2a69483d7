// Initialisation and bulk import (§7.1.4.2.2): templates from the model, a dry run that writes
// nothing, idempotent real runs, batches that are all or nothing, and export in the same format.

import { parse } from 'csv-parse/sync';
import { Role } from '../../src/platform/auth/roles';
import { createTeam, startTestApp, TEST_TICKET, tokenFor, uniq, type TestApp } from '../support/harness';

let app: TestApp;
let team: string;
const admin = tokenFor([Role.CONFIG_ADMIN], 'user:import');
const IMPORT = `mutation($i: ImportInput!) { importCIs(input: $i) { dryRun created updated unchanged rejected batches batchesWritten rows { row kind key action reason field batch written } } }`;

async function exists(code: string): Promise<boolean> {
  const rows = await app.executor.query('MATCH (n:CI {code: $code}) RETURN count(n) AS n', { code });
  return (rows[0].n as number) > 0;
}

function csv(s: string, rows: { i: number; hostname?: string; cpu?: number }[]): string {
  const header = 'class,code,name,owner,lifecycle,hostname,ipAddress,cpuCores';
  const lines = rows.map(
    ({ i, hostname, cpu }) =>
      `VirtualMachine,VM-IMP-${s}-${i},导入虚拟机 ${i},${team},PLANNED,${hostname ?? `imp-${s.toLowerCase()}-${i}`},,${cpu ?? 4}`,
  );
  return [header, ...lines].join('\n');
}

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
});

afterAll(async () => {
  await app.close();
});

it('generates the collection template of a class from the model', async () => {
  const res = await app.gql(`{ collectionTemplate(class: "VirtualMachine") { csvHeader jsonSchema } }`, {}, admin);
  const header = res.data!.collectionTemplate.csvHeader.split(',');
  expect(header.slice(0, 5)).toEqual(['class', 'code', 'name', 'owner', 'lifecycle']);
  expect(header).toEqual(expect.arrayContaining(['hostname', 'ipAddress', 'cpuCores', 'os']));
  const schema = res.data!.collectionTemplate.jsonSchema;
  expect(schema.properties.attributes.required).toContain('hostname');
  expect(schema.properties.code.pattern).toBe('^VM-[A-Z0-9-]{2,40}$');
  expect(schema.properties.attributes.properties.ipAddress.description).toMatch(/discovery/);
});

it('a dry run reports per row and writes nothing; the real run writes; a second run changes nothing', async () => {
  const s = uniq();
  const data = csv(s, [{ i: 1 }, { i: 2 }, { i: 3 }]);
  const dry = await app.gql(IMPORT, { i: { format: 'CSV', data, dryRun: true, ticket: TEST_TICKET } }, admin);
  expect(dry.errors).toBeUndefined();
  expect(dry.data!.importCIs).toMatchObject({ dryRun: true, created: 3, rejected: 0, batchesWritten: 0 });
  expect(await exists(`VM-IMP-${s}-1`)).toBe(false);

  const real = await app.gql(IMPORT, { i: { format: 'CSV', data, dryRun: false, ticket: TEST_TICKET } }, admin);
  expect(real.data!.importCIs).toMatchObject({ created: 3, batchesWritten: 1 });
  expect(real.data!.importCIs.rows.every((r: { written: boolean }) => r.written)).toBe(true);
  const again = await app.gql(IMPORT, { i: { format: 'CSV', data, dryRun: false, ticket: TEST_TICKET } }, admin);
  expect(again.data!.importCIs).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
  const versions = await app.executor.query('MATCH (n:CI) WHERE n.code STARTS WITH $p RETURN collect(n.version) AS v', {
    p: `VM-IMP-${s}-`,
  });
  expect(versions[0].v).toEqual([1, 1, 1]);

  const changed = await app.gql(
    IMPORT,
    { i: { format: 'CSV', data: csv(s, [{ i: 1 }, { i: 2, cpu: 16 }, { i: 3 }]), dryRun: false, ticket: TEST_TICKET } },
    admin,
  );
  expect(changed.data!.importCIs).toMatchObject({ updated: 1, unchanged: 2 });
  expect((await app.services.cis.get({ code: `VM-IMP-${s}-2` })).attributes.cpuCores).toBe(16);
});

it('matches by identification keys: the same hostname under another code is refused, not duplicated', async () => {
  const s = uniq();
  await app.gql(IMPORT, { i: { format: 'CSV', data: csv(s, [{ i: 1 }]), dryRun: false, ticket: TEST_TICKET } }, admin);
  const clash = `class,code,name,owner,hostname\nVirtualMachine,VM-OTHER-${s},x,${team},imp-${s.toLowerCase()}-1`;
  const res = await app.gql(IMPORT, { i: { format: 'CSV', data: clash, dryRun: false, ticket: TEST_TICKET } }, admin);
  expect(res.data!.importCIs.rows[0]).toMatchObject({ action: 'REJECTED', field: 'cis[0].code' });
  expect(await exists(`VM-OTHER-${s}`)).toBe(false);
});

it('a bad row leaves its batch unwritten and names the row; other batches are written', async () => {
  const s = uniq();
  const data = [
    csv(s, [{ i: 1 }, { i: 2 }, { i: 3 }]),
    `VirtualMachine,VM-IMP-${s}-4,bad,${team},PLANNED,BAD_HOST!,,4`,
  ].join('\n');
  const res = await app.gql(
    IMPORT,
    { i: { format: 'CSV', data, dryRun: false, batchSize: 2, ticket: TEST_TICKET } },
    admin,
  );
  const report = res.data!.importCIs;
  expect(report).toMatchObject({ batches: 2, batchesWritten: 1, rejected: 1 });
  expect(report.rows[3]).toMatchObject({
    row: 3,
    action: 'REJECTED',
    field: 'cis[3].attributes.hostname',
    written: false,
  });
  expect(report.rows[2]).toMatchObject({ written: false });
  expect(report.rows[2].reason).toMatch(/row 3/);
  expect(await exists(`VM-IMP-${s}-1`)).toBe(true);
  expect(await exists(`VM-IMP-${s}-2`)).toBe(true);
  expect(await exists(`VM-IMP-${s}-3`)).toBe(false);
});

it('imports relationships from JSON, idempotently, and refuses an import without a ticket', async () => {
  const s = uniq();
  const host = `SRV-IMP-${s}`;
  const json = JSON.stringify({
    cis: [
      {
        class: 'PhysicalServer',
        code: host,
        name: host,
        owner: team,
        lifecycle: 'PLANNED',
        attributes: { serialNumber: `SNIMP-${s}`, vendorModel: 'x' },
      },
      {
        class: 'VirtualMachine',
        code: `VM-J-${s}`,
        name: 'j',
        owner: team,
        lifecycle: 'PLANNED',
        attributes: { hostname: `j-${s.toLowerCase()}` },
      },
    ],
    relations: [{ type: 'RUNS_ON', source: `VM-J-${s}`, target: host }],
  });
  const none = await app.gql(IMPORT, { i: { format: 'JSON', data: json, dryRun: false } }, admin);
  expect(none.data!.importCIs.rows[0]).toMatchObject({ action: 'REJECTED', field: 'ticket' });
  expect(await exists(host)).toBe(false);

  const first = await app.gql(IMPORT, { i: { format: 'JSON', data: json, dryRun: false, ticket: TEST_TICKET } }, admin);
  expect(first.data!.importCIs).toMatchObject({ created: 3, rejected: 0 });
  const second = await app.gql(
    IMPORT,
    { i: { format: 'JSON', data: json, dryRun: false, ticket: TEST_TICKET } },
    admin,
  );
  expect(second.data!.importCIs).toMatchObject({ created: 0, unchanged: 3 });
});

it('logs each written batch as one BATCH_CREATE entry and puts the CIs it creates in the ticket’s scope', async () => {
  const s = uniq();
  const host = `SRV-IMPLOG-${s}`;
  const vm = `VM-IMPLOG-${s}`;
  const json = JSON.stringify({
    cis: [
      {
        class: 'PhysicalServer',
        code: host,
        name: host,
        owner: team,
        lifecycle: 'PLANNED',
        attributes: { serialNumber: `SNLOG-${s}`, vendorModel: 'x' },
      },
      {
        class: 'VirtualMachine',
        code: vm,
        name: 'v',
        owner: team,
        lifecycle: 'PLANNED',
        attributes: { hostname: `implog-${s.toLowerCase()}` },
      },
    ],
    relations: [{ type: 'RUNS_ON', source: vm, target: host }],
  });
  const res = await app.gql(IMPORT, { i: { format: 'JSON', data: json, dryRun: false, ticket: TEST_TICKET } }, admin);
  expect(res.data!.importCIs).toMatchObject({ created: 3, rejected: 0 });
  const [hostCi, vmCi] = [await app.services.cis.get({ code: host }), await app.services.cis.get({ code: vm })];
  const hostLog = await app.services.cis.history(hostCi.id);
  const vmLog = await app.services.cis.history(vmCi.id);
  // The CI batch (both CIs), then the relationship batch (which concerns both ends).
  expect(hostLog.map((e) => [e.action, e.source, e.ticket])).toEqual([
    ['BATCH_CREATE', 'import', TEST_TICKET],
    ['BATCH_CREATE', 'import', TEST_TICKET],
  ]);
  expect(vmLog.map((e) => e.seq)).toEqual(hostLog.map((e) => e.seq));
  const [cis, rels] = hostLog.map((e) => JSON.parse(e.after!));
  expect(cis).toMatchObject({ cis: 2, relations: 0, ciIds: [hostCi.id, vmCi.id] });
  expect(rels).toMatchObject({ cis: 0, relations: 1, ciIds: [] });
  expect(rels.relationIds).toHaveLength(1);
  const [scope] = await app.executor.query(
    'MATCH (t:Ticket {ref: $ref})-[:SCOPE]->(c:CI) WHERE c.code IN $codes RETURN count(c) AS n',
    { ref: TEST_TICKET, codes: [host, vm] },
  );
  expect(scope.n).toBe(2);
});

it('exports by filter in the import formats', async () => {
  const s = uniq();
  await app.gql(
    IMPORT,
    { i: { format: 'CSV', data: csv(s, [{ i: 1 }, { i: 2 }]), dryRun: false, ticket: TEST_TICKET } },
    admin,
  );
  const res = await app.gql(
    `query($f: CIFilter) { exportCIs(format: CSV, filter: $f) }`,
    { f: { classes: ['VirtualMachine'], text: `IMP-${s}` } },
    admin,
  );
  const rows = parse(res.data!.exportCIs, { columns: true }) as Record<string, string>[];
  expect(rows.map((r) => [r.code, r.hostname, r.cpuCores])).toEqual([
    [`VM-IMP-${s}-1`, `imp-${s.toLowerCase()}-1`, '4'],
    [`VM-IMP-${s}-2`, `imp-${s.toLowerCase()}-2`, '4'],
  ]);
  const back = await app.gql(
    IMPORT,
    { i: { format: 'CSV', data: res.data!.exportCIs, dryRun: true, ticket: TEST_TICKET } },
    admin,
  );
  expect(back.data!.importCIs).toMatchObject({ unchanged: 2, created: 0, rejected: 0 });
});
