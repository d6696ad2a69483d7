// The in-memory failure topology against the database walk it stands in for: on a random estate with
// retirements, ended and added relationships and new CIs over time, both reach the same CIs at the same
// distances, now and as of every moment in between; and a second replica's topology follows writes made
// through the first, by the operation log.

import type { NewCI, NewRelation } from '../../src/cis/ci.batch';
import { walkInDatabase, walkEachInDatabase, type Walk, type WalkOptions } from '../../src/cis/propagation';
import { createTeam, ctxFor, freeSystemIds, openServices, uniq, type TestServices } from '../support/harness';

let db: TestServices;
let team: string;
const s = uniq();
const code = (prefix: string, i: number) => `${prefix}-TOP-${i}-${s}`;
/** Moments between the writes below, each a past the walks are asked about. */
const moments: number[] = [];

// A small deterministic generator: the estate is random, yet the same in every run.
let state = 20261128;
const rand = (n: number) => {
  state = (state * 1103515245 + 12345) % 2 ** 31;
  return state % n;
};

const SANS = [0, 1, 2].map((i) => code('SA', i));
const SWITCHES = [0, 1].map((i) => code('SW', i));
const SERVERS = [...Array(8).keys()].map((i) => code('SRV', i));
const VMS = [...Array(20).keys()].map((i) => code('VM', i));
const DBS = [...Array(12).keys()].map((i) => code('DB', i));
const APPS = [...Array(15).keys()].map((i) => code('APP', i));
const SYSTEMS = [...Array(4).keys()].map((i) => code('BS', i));
const pick = (list: string[]) => list[rand(list.length)];

const pause = () => new Promise((r) => setTimeout(r, 3));
async function mark() {
  await pause();
  moments.push(Date.now());
  await pause();
}

beforeAll(async () => {
  db = await openServices();
  expect(db.services.topology?.status.loaded).toBe(true);
  team = await createTeam(db.services);
  const systemIds = await freeSystemIds(db.services, SYSTEMS.length);
  const hw = (c: string) => ({ serialNumber: `SN${c.replace(/-/g, '')}`, vendorModel: 'Huawei 2288H V6' });
  const ci = (cls: string, c: string, attributes: Record<string, unknown>): NewCI => ({
    class: cls,
    code: c,
    name: `名称 ${c}`,
    owner: team,
    lifecycle: 'PLANNED',
    attributes,
  });
  const cis: NewCI[] = [
    ...SANS.map((c) => ci('StorageArray', c, { ...hw(c), storageType: 'SAN_BLOCK' })),
    ...SWITCHES.map((c) => ci('Switch', c, hw(c))),
    ...SERVERS.map((c) => ci('PhysicalServer', c, hw(c))),
    ...VMS.map((c) => ci('VirtualMachine', c, { hostname: c.toLowerCase() })),
    ...DBS.map((c) => ci('Database', c, { engine: 'MYSQL' })),
    ...APPS.map((c) => ci('Application', c, { appType: 'WEB' })),
    ...SYSTEMS.map((c, i) =>
      ci('BusinessSystem', c, { systemId: systemIds[i], importance: 'IMPORTANT', internetFacing: false }),
    ),
  ];
  const rel = (source: string, type: string, target: string): NewRelation => ({ source, type, target });
  const relations: NewRelation[] = [
    ...SERVERS.flatMap((h) => [rel(h, 'USES_STORAGE', pick(SANS)), rel(h, 'CONNECTS_TO', pick(SWITCHES))]),
    ...VMS.map((v) => rel(v, 'RUNS_ON', pick(SERVERS))),
    ...DBS.map((d) => rel(d, 'RUNS_ON', pick(VMS))),
    ...APPS.flatMap((a) => [
      rel(a, 'RUNS_ON', pick(VMS)),
      rel(a, 'BELONGS_TO', pick(SYSTEMS)),
      ...[...new Set([pick(DBS), pick(DBS)])].map((d) => rel(a, 'DEPENDS_ON', d)),
    ]),
    rel(SANS[1], 'DR_COUNTERPART_OF', SANS[0]),
  ];
  await db.services.cis.createBatch(ctxFor(), { cis, relations });
  await mark();

  // Over time: VMs retired, dependencies ended and added, a new server and VM put under a SAN.
  for (const vm of [VMS[3], VMS[11]]) {
    const current = await db.services.cis.get({ code: vm });
    await db.services.cis.changeLifecycle(ctxFor(), { code: vm, expectedVersion: current.version, state: 'RETIRED' });
  }
  await mark();
  for (const r of relations.filter((r) => r.type === 'DEPENDS_ON').slice(0, 4)) {
    await db.services.cis.endRelation(ctxFor(), r);
  }
  await mark();
  await db.services.cis.createBatch(ctxFor(), {
    cis: [
      ci('PhysicalServer', code('SRV', 99), hw(code('SRV', 99))),
      ci('VirtualMachine', code('VM', 99), { hostname: 'vm99' }),
    ],
    relations: [
      rel(code('SRV', 99), 'USES_STORAGE', SANS[2]),
      rel(code('VM', 99), 'RUNS_ON', code('SRV', 99)),
      rel(APPS[0], 'DEPENDS_ON', DBS[11]),
    ],
  });
  await mark();
});

afterAll(async () => {
  await db?.close();
});

const newServer = (c: string): NewCI => ({
  class: 'PhysicalServer',
  code: c,
  name: `名称 ${c}`,
  owner: team,
  lifecycle: 'PLANNED',
  attributes: { serialNumber: `SN${c.replace(/-/g, '')}`, vendorModel: 'Huawei 2288H V6' },
});

/** What a walk found, comparable across implementations: each CI with its distance. */
function found(w: Walk): string[] {
  return [...w.seeds.map((c) => `${c.code}@0`), ...w.reached.map((c) => `${c.code}@${c.distance}`)].sort();
}

/** Every reached CI's parent is one step nearer, and its path starts at a seed. */
function expectShortestParents(w: Walk) {
  for (const c of w.reached) {
    const parent = c.from;
    expect(parent?.distance).toBe(c.distance - 1);
    expect(c.via).not.toBeNull();
  }
}

async function both(seeds: string[], options: WalkOptions) {
  const model = await db.services.model.current();
  return db.executor.read(async (tx) => ({
    memory: await db.services.propagation.walk(tx, model, seeds, options),
    database: await walkInDatabase(tx, model, seeds, options),
  })) as Promise<{ memory: Walk; database: Walk }>;
}

describe('in-memory failure topology', () => {
  const cases: [string, string[], Partial<WalkOptions>][] = [
    ['downstream from every SAN', SANS, { flow: 'DOWNSTREAM' }],
    ['downstream from a switch, depth 2', [SWITCHES[0]], { flow: 'DOWNSTREAM', maxDepth: 2 }],
    [
      'downstream from servers, stopping at VMs',
      SERVERS.slice(0, 3),
      { flow: 'DOWNSTREAM', stopAtClasses: ['VirtualMachine'] },
    ],
    [
      'downstream from a SAN along RUNS_ON and USES_STORAGE only',
      [SANS[0]],
      { flow: 'DOWNSTREAM', relationTypes: ['USES_STORAGE', 'RUNS_ON'] },
    ],
    ['upstream from every business system', SYSTEMS, { flow: 'UPSTREAM' }],
    [
      'upstream from applications, skipping DEPENDS_ON',
      APPS.slice(0, 5),
      { flow: 'UPSTREAM', skipRelationTypes: ['DEPENDS_ON'] },
    ],
    ['upstream from a retired VM (it does not propagate)', [VMS[3]], { flow: 'UPSTREAM' }],
  ];

  it.each(cases)('reaches what the database walk reaches: %s, now and as of each moment', async (_, seeds, options) => {
    for (const at of [null, ...moments]) {
      const { memory, database } = await both(seeds, { flow: 'DOWNSTREAM', maxDepth: 6, ...options, at });
      expect(found(memory)).toEqual(found(database));
      expect(memory.depthReached).toBe(database.depthReached);
      expectShortestParents(memory);
    }
  });

  it('sees a retirement, an ended and a new relationship, and a new CI as soon as they are committed', async () => {
    const before = await both([SANS[2]], { flow: 'DOWNSTREAM', maxDepth: 6 });
    expect(found(before.memory)).toContain(`${code('VM', 99)}@2`);

    const vm = await db.services.cis.get({ code: code('VM', 99) });
    await db.services.cis.changeLifecycle(ctxFor(), {
      code: code('VM', 99),
      expectedVersion: vm.version,
      state: 'RETIRED',
    });
    await db.services.cis.endRelation(ctxFor(), { source: code('SRV', 99), type: 'USES_STORAGE', target: SANS[2] });
    await db.services.cis.createBatch(ctxFor(), {
      cis: [newServer(code('SRV', 98))],
      relations: [{ source: code('SRV', 98), type: 'USES_STORAGE', target: SANS[2] }],
    });

    const after = await both([SANS[2]], { flow: 'DOWNSTREAM', maxDepth: 6 });
    expect(found(after.memory)).toEqual(found(after.database));
    expect(found(after.memory)).not.toContain(`${code('VM', 99)}@2`);
    expect(found(after.memory)).not.toContain(`${code('SRV', 99)}@1`);
    expect(found(after.memory)).toContain(`${code('SRV', 98)}@1`);
  });

  it('in another replica, follows writes made through this one', async () => {
    const replica = await openServices();
    try {
      await db.services.cis.createRelation(ctxFor(), {
        source: code('SRV', 98),
        type: 'CONNECTS_TO',
        target: SWITCHES[1],
      });
      const model = await replica.services.model.current();
      const w: Walk = await replica.executor.read((tx) =>
        replica.services.propagation.walk(tx, model, [SWITCHES[1]], { flow: 'DOWNSTREAM', maxDepth: 1 }),
      );
      expect(found(w)).toContain(`${code('SRV', 98)}@1`);
      expect(replica.services.topology!.status.seq).toBeGreaterThan(0);
    } finally {
      await replica.close();
    }
  });

  it("with TOPOLOGY_MAX_LAG_MS, sees its own writes at once and another replica's once the lag has passed", async () => {
    const lagMs = 3_000;
    const replica = await openServices({ topologyMaxLagMs: lagMs });
    try {
      const model = await replica.services.model.current();
      // Outside a transaction: the topology checks the head in one of its own, only when the lag has passed.
      const walk = () =>
        replica.services.propagation.walk(null, model, [SWITCHES[0]], { flow: 'DOWNSTREAM', maxDepth: 1 });
      const server = (n: number) => `${code('SRV', n)}@1`;
      await walk(); // a head check: it stands for lagMs
      const checked = Date.now();

      // Through the other replica: not seen within the lag (no statement was run to look)…
      await db.services.cis.createBatch(ctxFor(), {
        cis: [newServer(code('SRV', 97))],
        relations: [{ source: code('SRV', 97), type: 'CONNECTS_TO', target: SWITCHES[0] }],
      });
      const within = found(await walk());
      if (Date.now() - checked < lagMs) expect(within).not.toContain(server(97));
      // …and seen once it has passed.
      await new Promise((r) => setTimeout(r, Math.max(0, checked + lagMs + 50 - Date.now())));
      expect(found(await walk())).toContain(server(97));

      // Through this replica: seen by the very next walk, lag or not.
      await walk();
      await replica.services.cis.createBatch(ctxFor(), {
        cis: [newServer(code('SRV', 96))],
        relations: [{ source: code('SRV', 96), type: 'CONNECTS_TO', target: SWITCHES[0] }],
      });
      expect(found(await walk())).toContain(server(96));

      // Without a topology, a walk outside a transaction runs in Neo4j in one of its own: the same answer.
      const inNeo4j = await openServices({ topology: false });
      try {
        const w = await inNeo4j.services.propagation.walk(null, model, [SWITCHES[0]], {
          flow: 'DOWNSTREAM',
          maxDepth: 1,
        });
        expect(found(w)).toEqual(found(await walk()));
      } finally {
        await inNeo4j.close();
      }
    } finally {
      await replica.close();
    }
  });

  it('walks each seed on its own like the database does', async () => {
    const model = await db.services.model.current();
    const options: WalkOptions = { flow: 'UPSTREAM', maxDepth: 6, at: moments[1] };
    const seeds = [APPS[1], APPS[2], SYSTEMS[0]];
    const { memory, database } = await db.executor.read(async (tx) => ({
      memory: await db.services.propagation.walkEach(tx, model, seeds, options),
      database: await walkEachInDatabase(tx, model, seeds, options),
    }));
    expect(memory.walks.map(found)).toEqual(database.walks.map(found));
  });

  it('refuses an unknown seed by name, as the database walk does', async () => {
    await expect(both([`NOPE-${s}`], { flow: 'DOWNSTREAM', maxDepth: 3 })).rejects.toThrow(`no CI has code NOPE-${s}`);
  });
});
