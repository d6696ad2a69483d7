// Answers that say what happened: a root cause ranked by the writes that were really made to a
// candidate just before (from the operation log), an unplanned one above all; and a blast radius or
// root cause asked as of a moment before its CIs existed refused as such, never an empty answer.

import { Role } from '../../src/platform/auth/roles';
import { createTeam, ctxFor, startTestApp, tokenFor, uniq, type TestApp } from '../support/harness';
import { APPROVE, itsmTicket, MOVE, raiseChange, tokenOf } from '../support/changes';

let app: TestApp;
const s = uniq();
const APP = `APP-HON-${s}`;
const VM = `VM-HON-${s}`;
const HOST = `SRV-HON-${s}`;
let createdAt: number;
const reader = tokenFor([Role.AUDITOR], 'user:reader');
const engineer = tokenFor([Role.OPS_ENGINEER], 'user:night.shift');

const ROOT = `query($i: RootCauseInput!) { rootCauses(input: $i) {
  candidates { rank code score { evidence explanation } evidence { writes { actor action ticket planned } changes { ref } } }
} }`;

beforeAll(async () => {
  app = await startTestApp();
  const team = await createTeam(app.services);
  const created = await app.services.cis.createBatch(ctxFor(), {
    cis: [
      { class: 'Application', code: APP, name: APP, owner: team, lifecycle: 'PLANNED', attributes: { appType: 'WEB' } },
      {
        class: 'VirtualMachine',
        code: VM,
        name: VM,
        owner: team,
        lifecycle: 'PLANNED',
        attributes: { hostname: VM.toLowerCase() },
      },
      {
        class: 'PhysicalServer',
        code: HOST,
        name: HOST,
        owner: team,
        lifecycle: 'PLANNED',
        attributes: { serialNumber: `SN${s}`, vendorModel: 'x' },
      },
    ],
    relations: [
      { type: 'RUNS_ON', source: APP, target: VM },
      { type: 'RUNS_ON', source: VM, target: HOST },
    ],
  });
  createdAt = (await app.services.cis.get({ id: created.cis[0].id })).createdAt;
});

afterAll(async () => {
  await app.close();
});

it('a CI edited a minute before the incident, under no planned window, ranks first with that write as evidence', async () => {
  // A planned write: an emergency change whose window holds now, implemented on the VM.
  const change = await raiseChange(app, [VM], {
    emergency: true,
    emergencyReason: '扩容',
    plannedStart: new Date(Date.now() - 600_000).toISOString(),
    plannedEnd: new Date(Date.now() + 7_200_000).toISOString(),
    rollbackEnd: null,
  });
  await app.gql(MOVE, { t: change, s: 'APPROVAL' }, tokenOf('initiator'));
  expect((await app.gql(APPROVE, { t: change }, tokenOf('head'))).errors).toBeUndefined();
  expect((await app.gql(MOVE, { t: change, s: 'IMPLEMENTING' }, tokenOf('implementer'))).errors).toBeUndefined();
  await app.services.cis.update(
    { ...ctxFor(), actor: 'user:zhao.implementer', ticket: change },
    { code: VM, expectedVersion: 1, attributes: { cpuCores: 8 } },
  );
  // An unplanned one: under an incident ticket, on the host, by the night shift.
  const incident = await itsmTicket(app, 'INCIDENT', [HOST]);
  const hostWrite = await app.gql(
    `mutation($i: UpdateCIInput!) { updateCI(input: $i) { updatedAt } }`,
    { i: { code: HOST, expectedVersion: 1, attributes: { firmwareVersion: '2.1.9' }, ticket: incident } },
    engineer,
  );
  expect(hostWrite.errors).toBeUndefined();
  const writtenAt = new Date(hostWrite.data!.updateCI.updatedAt).getTime();

  const res = await app.gql(ROOT, { i: { cis: [APP], at: new Date(writtenAt + 60_000).toISOString() } }, reader);
  expect(res.errors).toBeUndefined();
  const [first, second] = res.data!.rootCauses.candidates;
  expect(first.code).toBe(HOST);
  expect(first.evidence.writes).toEqual([
    { actor: 'user:night.shift', action: 'CI_UPDATE', ticket: incident, planned: false },
  ]);
  expect(first.score.explanation).toContain('1 unplanned write(s) to it in the window');
  // The VM is nearer and was changed too, but under its change's planned window.
  expect(second.code).toBe(VM);
  expect(second.evidence.writes).toEqual([
    { actor: 'user:zhao.implementer', action: 'CI_UPDATE', ticket: change, planned: true },
  ]);
  expect(second.evidence.changes.map((c: { ref: string }) => c.ref)).toContain(change);
  expect(first.score.evidence).toBeGreaterThan(second.score.evidence);
});

it('a blast radius or a root cause as of before its CIs existed says so, naming them', async () => {
  const before = new Date(createdAt - 3_600_000).toISOString();
  const radius = await app.gql(
    `query($i: BlastRadiusInput!) { blastRadius(input: $i) { totalCount } }`,
    { i: { cis: [HOST], at: before } },
    reader,
  );
  expect(radius.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', rule: 'NOT_YET_CREATED', codes: [HOST] });
  expect(radius.errors![0].message).toContain(`${HOST} did not exist at ${before}`);
  const causes = await app.gql(ROOT, { i: { cis: [APP], at: before } }, reader);
  expect(causes.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', rule: 'NOT_YET_CREATED', codes: [APP] });
  // After their creation, the same question has its answer.
  const later = await app.gql(
    `query($i: BlastRadiusInput!) { blastRadius(input: $i) { totalCount } }`,
    { i: { cis: [HOST], at: new Date(createdAt + 1).toISOString() } },
    reader,
  );
  expect(later.errors).toBeUndefined();
  expect(later.data!.blastRadius.totalCount).toBe(2);
});
