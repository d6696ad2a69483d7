// The initial load, end to end: the demo estate loaded into a new store through Neo4j's offline
// importer holds the same graph as the demo estate loaded through the transactional bulk path
// (CIService.createBatch) into another new store: the same CIs, property by property and type by
// type, versions, unique claims, relationships, ticket scope and operation log; and the product
// works on it (the log verifies, as-of reads, history, a change under the ticket). Two stores of
// their own, apart from the shared test database.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startRuntime, type Runtime } from '../../src/runtime';
import { createLogger } from '../../src/platform/logging';
import { CompiledModel } from '../../src/model/compiled-model';
import { loadDefaultModel } from '../../src/model/model.service';
import { PROJECT_ROOT } from '../../src/platform/config';
import { DEMO_TICKET, readDemoEstate } from '../../src/cli/demo-estate';
import { fileBatches, initialLoad, storeHasDatabase } from '../../src/imports/initial-load';
import type { Executor } from '../../src/platform/neo4j/executor';
import { batchDigest, type BatchCreateSummary } from '../../src/cis/ci.batch';
import { freePort } from '../support/ports';
import { ensureBuilt, serviceEnv } from '../support/process';
import { testConfig } from '../support/harness';

jest.setTimeout(240_000);

const demo = readDemoEstate(PROJECT_ROOT);
const silent = createLogger('silent');
const dirs: string[] = [];
let loaded: Runtime;
let transactional: Runtime;

function newDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-initial-load-'));
  dirs.push(dir);
  return dir;
}

async function runtimeOn(dataDir: string, demoEstate: 'never' | 'always'): Promise<Runtime> {
  const config = testConfig({
    NEO4J_URI: '',
    EMBEDDED_NEO4J_DATA_DIR: dataDir,
    EMBEDDED_NEO4J_BOLT_PORT: String(await freePort()),
    DEMO_ESTATE: demoEstate,
  });
  return startRuntime(config, silent);
}

beforeAll(async () => {
  const loadedDir = newDir();
  const model = new CompiledModel(loadDefaultModel(PROJECT_ROOT), 1);
  const [, other] = await Promise.all([
    initialLoad(model, fileBatches(model, demo, 5000), {
      ticket: { ref: DEMO_TICKET, title: 'initial load of the demo estate' },
      actor: 'system:demo-estate',
      dryRun: false,
      dataDir: loadedDir,
      projectRoot: PROJECT_ROOT,
    }).then(async () => (loaded = await runtimeOn(loadedDir, 'never'))),
    // The reference: the same estate through the transactional bulk path, into a store of its own.
    runtimeOn(newDir(), 'always'),
  ]);
  transactional = other;
});

afterAll(async () => {
  await Promise.all([loaded?.close(), transactional?.close()]);
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Lists in these rows are sets (keys, property triples): sorted, so storage order does not count. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map(canonical).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

/** Rows of a query on both stores, each side in a canonical form and sorted the same way. */
async function both(cypher: string): Promise<[unknown[], unknown[]]> {
  const run = async (e: Executor) => (await e.query(cypher)).map((r) => JSON.stringify(canonical(r))).sort();
  return Promise.all([run(loaded.executor), run(transactional.executor)]);
}

/** Properties and their Neo4j types, minus what differs by nature (fresh ids, the clock, the source's name). */
const PROPS = (v: string, omit: string[]) => `
  [k IN keys(${v}) WHERE NOT k IN ${JSON.stringify(omit)} | [k, ${v}[k], valueType(${v}[k])]]`;

describe('initial load: the graph of the transactional bulk path', () => {
  it('the same nodes by label and relationships by type', async () => {
    const [a, b] = await both('MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n');
    expect(a).toEqual(b);
    const [c, d] = await both('MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n');
    expect(c).toEqual(d);
    expect(a).toContainEqual(JSON.stringify({ label: 'CI', n: demo.cis.length }));
  });

  it('the same CIs, property by property and type by type', async () => {
    const [a, b] = await both(
      `MATCH (n:CI) RETURN n.code AS code, ${PROPS('n', ['id', 'createdAt', 'updatedAt'])} AS props, valueType(n.createdAt) AS at`,
    );
    expect(a).toHaveLength(demo.cis.length);
    expect(a).toEqual(b);
  });

  it('the same first versions, unique claims and relationships', async () => {
    const [a, b] = await both(`
      MATCH (v:CIVersion), (n:CI {id: v.ciId})
      RETURN n.code AS code, v.version AS version, valueType(v.version) AS t, v.validFrom = n.createdAt AS fromCreation,
             v.validTo IS NULL AS open, keys(v) AS keys`);
    expect(a).toEqual(b);
    // The state a version keeps, but for the clock.
    const states = async (e: Executor) =>
      (await e.query('MATCH (v:CIVersion) RETURN v.state AS state'))
        .map((r) => {
          const { updatedAt: _u, ...rest } = JSON.parse(r.state as string) as Record<string, unknown>;
          return JSON.stringify(rest);
        })
        .sort();
    expect(await states(loaded.executor)).toEqual(await states(transactional.executor));
    const [c, d] = await both('MATCH (u:UniqueClaim), (n:CI {id: u.ciId}) RETURN u.key AS key, n.code AS code');
    expect(c).toEqual(d);
    const [e, f] = await both(
      `MATCH (a:CI)-[r]->(b:CI) RETURN a.code AS a, type(r) AS type, b.code AS b, ${PROPS('r', ['id', 'since'])} AS props,
         valueType(r.id) AS id, valueType(r.since) AS since`,
    );
    expect(e).toHaveLength(demo.relations.length);
    expect(e).toEqual(f);
  });

  it('the same ticket, scope and operation log', async () => {
    const [a, b] = await both(
      `MATCH (t:Ticket {ref: '${DEMO_TICKET}'}) OPTIONAL MATCH (t)-[s:SCOPE]->(n:CI)
       RETURN t.kind AS kind, t.state AS state, ${PROPS('t', ['id', 'createdAt', 'updatedAt', 'title', 'createdBy'])} AS props,
              count(n) AS scope, collect(DISTINCT [k IN keys(s) | [k, valueType(s[k])]]) AS edge`,
    );
    expect(a).toEqual(b);
    const [c, d] = await both(
      `MATCH (o:OpLog) OPTIONAL MATCH (o)-[:CONCERNS]->(n:CI)
       RETURN o.seq AS seq, o.action AS action, o.ticket AS ticket, count(n) AS concerns,
              [k IN keys(o) | [k, valueType(o[k])]] AS types`,
    );
    expect(c.map((x) => JSON.parse(x as string) as { action: string }).map((x) => x.action)).toEqual([
      'TICKET_OPEN',
      'BATCH_CREATE',
      'TICKET_STATE',
    ]);
    // The same entries but for the source's name (`initial-load`, `demo-estate`).
    expect(c).toEqual(d);
  });
});

describe('initial load: the product on the loaded store', () => {
  it('the operation log verifies, and the BATCH_CREATE digest matches what the store holds', async () => {
    const verified = await loaded.services.oplog.verify(loaded.executor);
    expect(verified).toMatchObject({ ok: true, checked: 3, headSeq: 3 });
    const [entry] = await loaded.executor.query(`MATCH (o:OpLog {action: 'BATCH_CREATE'}) RETURN o.after AS after`);
    const after = JSON.parse(entry.after as string) as BatchCreateSummary;
    expect(after).toMatchObject({ cis: demo.cis.length, relations: demo.relations.length });
    // Recomputed from the store: each CI's first state and each relationship's ends, in the entry's order.
    const states = new Map(
      (
        await loaded.executor.query(
          'MATCH (v:CIVersion {version: 1}) WHERE v.ciId IN $ids RETURN v.ciId AS id, v.state AS state',
          {
            ids: after.ciIds,
          },
        )
      ).map((r) => [r.id as string, r.state as string]),
    );
    const relations = new Map(
      (
        await loaded.executor.query(
          'MATCH (a:CI)-[r]->(b:CI) WHERE r.id IN $ids RETURN r.id AS id, type(r) AS type, a.id AS sourceId, b.id AS targetId',
          { ids: after.relationIds },
        )
      ).map((r) => [r.id as string, r as { id: string; type: string; sourceId: string; targetId: string }]),
    );
    expect(states.size).toBe(demo.cis.length);
    expect(relations.size).toBe(demo.relations.length);
    const digest = batchDigest(
      after.ciIds.map((id) => ({ id, state: states.get(id)! })),
      after.relationIds.map((id) => relations.get(id)!),
    );
    expect(digest).toBe(after.sha256);
  });

  it('a CI reads as of a moment after the load, not before it, and its history names the ticket', async () => {
    const code = demo.cis[0].code;
    const ci = await loaded.services.cis.get({ code });
    const now = await loaded.services.cis.get({ code }, ci.createdAt);
    expect(now).toMatchObject({ code, version: 1, lifecycle: demo.cis[0].lifecycle });
    await expect(loaded.services.cis.get({ code }, ci.createdAt - 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const history = await loaded.services.cis.history(ci.id);
    expect(history.map((e) => [e.action, e.ticket])).toEqual([['BATCH_CREATE', DEMO_TICKET]]);
  });

  it('the loaded CIs are in the ticket’s scope, and the ticket is closed: the initialisation authorises nothing more', async () => {
    const target = demo.cis.find((c) => c.class === 'Person')!;
    const [scope] = await loaded.executor.query('MATCH (:Ticket {ref: $ref})-[:SCOPE]->(c:CI) RETURN count(c) AS n', {
      ref: DEMO_TICKET,
    });
    expect(scope.n).toBe(demo.cis.length);
    const ticket = await loaded.services.tickets.get(DEMO_TICKET);
    expect(ticket.state).toBe('CLOSED');
    const ctx = { actor: 'test', at: Date.now(), source: 'test', ticket: DEMO_TICKET };
    await expect(
      loaded.services.cis.update(ctx, { code: target.code, expectedVersion: 1, name: 'updated' }),
    ).rejects.toMatchObject({ code: 'CHANGE_REQUIRED', details: { rule: 'TICKET_NOT_ACTIVE' } });
    expect((await loaded.services.cis.get({ code: target.code })).version).toBe(1);
  });
});

describe('initial load: when the importer fails', () => {
  it('the error says so, and the store is left without a database, work files or lock', async () => {
    const dataDir = newDir();
    const model = new CompiledModel(loadDefaultModel(PROJECT_ROOT), 1);
    const failing = initialLoad(model, fileBatches(model, demo, 5000), {
      ticket: { ref: 'CMDB-INIT-FAIL', title: 'fails' },
      actor: 'test',
      dryRun: false,
      dataDir,
      projectRoot: PROJECT_ROOT,
      heap: '1x', // not a heap size: the importer's JVM refuses to start
    });
    await expect(failing).rejects.toThrow(/neo4j-admin database import full failed/);
    expect(storeHasDatabase(dataDir)).toBe(false);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });
});

describe('initial load: the CLI', () => {
  const cli = (dataDir: string, ...args: string[]) =>
    spawnSync(process.execPath, [ensureBuilt(path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js')), ...args], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: serviceEnv({ EMBEDDED_NEO4J_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
    });

  it('a dry run reports what would be loaded; a bad row is refused by name and the store stays empty', () => {
    const dataDir = newDir();
    const dry = cli(dataDir, 'initial-load', '--file', 'schema/demo-estate.json', '--ticket', 'CMDB-INIT-CLI');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain(
      `dry run: ${demo.cis.length} CIs and ${demo.relations.length} relationships would be loaded`,
    );
    const bad = structuredClone(demo);
    bad.cis[42].owner = 'P-NOBODY';
    const file = path.join(dataDir, '..', `${path.basename(dataDir)}-bad.json`);
    fs.writeFileSync(file, JSON.stringify(bad));
    dirs.push(file);
    const refused = cli(dataDir, 'initial-load', '--file', file, '--ticket', 'CMDB-INIT-CLI', '--write');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('[cis[42].owner]');
    expect(refused.stderr).toContain('nothing was loaded');
    expect(storeHasDatabase(dataDir)).toBe(false);
  });
});
