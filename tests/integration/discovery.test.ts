// Discovery (§7.1.4.1 b): discovery-owned attributes are written without a ticket; a human-owned
// value that differs is drift, reported and not written; CIs a source stops reporting go stale.

import { Role } from '../../src/platform/auth/roles';
import { DiscoveryService } from '../../src/discovery/discovery.service';
import { createTeam, ctxFor, startTestApp, tokenFor, uniq, type TestApp } from '../support/harness';

let app: TestApp;
let team: string;
const scanner = tokenFor([Role.DISCOVERY], 'tool:vcenter-scan');
const REPORT = `mutation($s: String!, $items: [DiscoveredItemInput!]!) { reportDiscovery(source: $s, items: $items) { markedStale items { code outcome updated drift { attribute recorded discovered } reason } } }`;

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
});

afterAll(async () => {
  await app.close();
});

async function vm(s: string, i = 1) {
  const code = `VM-DSC-${s}-${i}`;
  return app.services.cis.create(ctxFor(), {
    class: 'VirtualMachine',
    code,
    name: code,
    owner: team,
    attributes: { hostname: `dsc-${s.toLowerCase()}-${i}`, ipAddress: '10.0.0.1', cpuCores: 4 },
  });
}

it('writes a new IP (discovery-owned) without a ticket, and logs it under the source', async () => {
  const s = uniq();
  const created = await vm(s);
  const res = await app.gql(
    REPORT,
    {
      s: 'vcenter',
      items: [{ class: 'VirtualMachine', attributes: { hostname: `dsc-${s.toLowerCase()}-1`, ipAddress: '10.0.0.2' } }],
    },
    scanner,
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.reportDiscovery.items[0]).toMatchObject({
    code: created.code,
    outcome: 'UPDATED',
    updated: ['ipAddress'],
    drift: [],
  });
  const after = await app.services.cis.get({ id: created.id });
  expect(after.attributes.ipAddress).toBe('10.0.0.2');
  expect(after.version).toBe(2);
  const last = (await app.services.cis.history(created.id)).at(-1)!;
  expect(last).toMatchObject({
    action: 'CI_UPDATE',
    source: 'discovery:vcenter',
    ticket: null,
    actor: 'tool:vcenter-scan',
  });
});

it('lists a differing human-owned value (the owner) as drift and does not write it', async () => {
  const s = uniq();
  const created = await vm(s);
  const other = await createTeam(app.services, `O${s}`);
  const res = await app.gql(
    REPORT,
    {
      s: 'cmdb-agent',
      items: [
        {
          class: 'VirtualMachine',
          owner: other,
          attributes: { hostname: `dsc-${s.toLowerCase()}-1`, ipAddress: '10.0.0.1' },
        },
      ],
    },
    scanner,
  );
  expect(res.data!.reportDiscovery.items[0]).toMatchObject({
    outcome: 'UNCHANGED',
    drift: [{ attribute: 'owner', recorded: { value: team }, discovered: { value: other } }],
  });
  const after = await app.services.cis.get({ id: created.id });
  expect(after.owner).toBe(team);
  expect(after.version).toBe(1);
});

it('reports an unregistered entity as unmatched instead of creating it', async () => {
  const s = uniq();
  const res = await app.gql(
    REPORT,
    { s: 'vcenter', items: [{ class: 'VirtualMachine', attributes: { hostname: `ghost-${s.toLowerCase()}` } }] },
    scanner,
  );
  expect(res.data!.reportDiscovery.items[0]).toMatchObject({ outcome: 'UNMATCHED', code: null });
});

it('flags a CI stale once its source has not reported it for the stale time', async () => {
  const s = uniq();
  const a = await vm(s, 1);
  const b = await vm(s, 2);
  const discovery = new DiscoveryService(app.executor, app.services.cis, app.services.oplog, 1_000);
  const source = `scan-${s.toLowerCase()}`;
  const item = (i: number) => ({ class: 'VirtualMachine', attributes: { hostname: `dsc-${s.toLowerCase()}-${i}` } });
  await discovery.report('tool:test', source, [item(1), item(2)]);
  await new Promise((r) => setTimeout(r, 1_200));
  const run = await discovery.report('tool:test', source, [item(1)]);
  expect(run.markedStale).toBe(1);
  expect((await app.services.cis.get({ id: b.id })).stale).toBe(true);
  expect((await app.services.cis.get({ id: a.id })).stale).toBe(false);
  expect((await app.services.cis.get({ id: b.id })).lifecycle).toBe('PLANNED');
  await discovery.report('tool:test', source, [item(2)]);
  expect((await app.services.cis.get({ id: b.id })).stale).toBe(false);
});

it('refuses discovery reports from roles without DISCOVER', async () => {
  const res = await app.gql(REPORT, { s: 'vcenter', items: [] }, tokenFor([Role.OPS_ENGINEER]));
  expect(res.errors![0].extensions!.code).toBe('FORBIDDEN');
});
