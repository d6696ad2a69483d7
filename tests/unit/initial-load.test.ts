// The initial load's checks, which run before Neo4j is touched: a bad row anywhere stops the whole
// load, names its row as the file numbers it, and leaves the store folder without a database. The
// batches are checked against the CIs accepted before them (MemoryStoreView), as the transactional
// path checks against Neo4j. No JVM here: every case is refused, or a dry run.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompiledModel } from '../../src/model/compiled-model';
import { loadDefaultModel } from '../../src/model/model.service';
import { PROJECT_ROOT } from '../../src/platform/config';
import { readDemoEstate, type DemoEstate } from '../../src/cli/demo-estate';
import {
  assertNoInitialLoad,
  fileBatches,
  initialLoad,
  storeHasDatabase,
  type LoadBatch,
} from '../../src/imports/initial-load';

const model = new CompiledModel(loadDefaultModel(PROJECT_ROOT), 1);
const demo = readDemoEstate(PROJECT_ROOT);
let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-initial-load-unit-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function load(batches: Iterable<LoadBatch>, dryRun = true) {
  return initialLoad(model, batches, {
    ticket: { ref: 'CMDB-INIT-UNIT', title: 'unit' },
    actor: 'test',
    dryRun,
    dataDir,
  });
}

/** The demo estate's CIs and relationships, with `edit` applied to a copy. */
function estate(edit: (e: DemoEstate) => void = () => undefined): DemoEstate {
  const copy = structuredClone(demo);
  edit(copy);
  return copy;
}

/** The demo estate in one batch, then `extra` as a second. */
function twoBatches(extra: LoadBatch): LoadBatch[] {
  return [{ cis: demo.cis, relations: demo.relations }, extra];
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; field: string; message: string }> {
  const e = (await promise.then(
    () => null,
    (error: unknown) => error,
  )) as { code: string; details: { field: string }; message: string } | null;
  if (!e) throw new Error('the load was not refused');
  return { code: e.code, field: e.details.field, message: e.message };
}

/** Nothing reached the store: no database, and no work files left behind. */
function expectUntouched(): void {
  expect(storeHasDatabase(dataDir)).toBe(false);
  expect(fs.readdirSync(dataDir)).toEqual([]);
}

describe('initial load: checks before the store is touched', () => {
  it('a dry run checks the whole estate, counts it and writes nothing', async () => {
    const result = await load(fileBatches(model, demo, 100));
    expect(result).toMatchObject({
      dryRun: true,
      ticket: 'CMDB-INIT-UNIT',
      cis: demo.cis.length,
      relations: demo.relations.length,
      // The ticket's opening, one BATCH_CREATE per batch, and the ticket's closing.
      oplogEntries: 1 + result.batches + 1,
    });
    expectUntouched();
  });

  it('a bad row refuses the whole load and names the row as the file numbers it', async () => {
    const bad = estate((e) => (e.cis[300].owner = 'P-NOBODY'));
    const e = await refusal(load(fileBatches(model, bad, 100), false));
    expect(e).toMatchObject({ code: 'VALIDATION_FAILED', field: 'cis[300].owner' });
    expect(e.message).toContain('P-NOBODY');
    expectUntouched();
  });

  it('rows of a later batch are numbered on from the batches before it', async () => {
    const unknown = { type: 'HAUNTS', source: demo.cis[0].code, target: demo.cis[1].code };
    const e = await refusal(load(twoBatches({ cis: [], relations: [demo.relations[0], unknown] }), false));
    expect(e).toMatchObject({ code: 'VALIDATION_FAILED', field: `relations[${demo.relations.length + 1}].type` });
    expectUntouched();
  });

  it('a relationship to a code the file lacks is refused by its row in the file', async () => {
    const bad = estate((e) => e.relations.splice(5, 0, { type: 'MEMBER_OF', source: 'P-E10001', target: 'T-NONE' }));
    const e = await refusal(load(fileBatches(model, bad, 100), false));
    expect(e).toMatchObject({ code: 'NOT_FOUND', field: 'relations[5].target' });
    expectUntouched();
  });

  it('a code that an earlier batch created is refused', async () => {
    const copy = { ...demo.cis[10], name: 'again' };
    const e = await refusal(load(twoBatches({ cis: [copy], relations: [] })));
    expect(e).toMatchObject({ code: 'CONFLICT', field: `cis[${demo.cis.length}].code` });
    expect(e.message).toContain(copy.code);
  });

  it('identification keys an earlier batch holds are refused', async () => {
    const person = demo.cis.find((c) => c.class === 'Person')!;
    const twin = { ...person, code: 'P-E99999' };
    const e = await refusal(load(twoBatches({ cis: [twin], relations: [] })));
    expect(e).toMatchObject({ code: 'CONFLICT', field: `cis[${demo.cis.length}].attributes.employeeId` });
    expect(e.message).toContain(person.code);
  });

  it('a relationship an earlier batch created is refused', async () => {
    const e = await refusal(load(twoBatches({ cis: [], relations: [demo.relations[0]] })));
    expect(e).toMatchObject({ code: 'CONFLICT', field: `relations[${demo.relations.length}].type` });
  });

  it('cardinality counts the relationships of earlier batches', async () => {
    // MEMBER_OF is MANY_TO_ONE: a person already in one team cannot join a second.
    const member = demo.relations.find((r) => r.type === 'MEMBER_OF')!;
    const other = demo.cis.find((c) => c.class === 'Team' && c.code !== member.target)!;
    const e = await refusal(
      load(twoBatches({ cis: [], relations: [{ type: 'MEMBER_OF', source: member.source, target: other.code }] })),
    );
    expect(e).toMatchObject({ code: 'VALIDATION_FAILED', field: `relations[${demo.relations.length}].type` });
    expect(e.message).toContain('MANY_TO_ONE');
  });

  it('a CI checked with its relationships meets its baseline; without them it is refused', async () => {
    // fileBatches puts each relationship in the batch of its later end, so a CI IN_SERVICE sees its LOCATED_IN.
    await expect(load(fileBatches(model, demo, 50))).resolves.toMatchObject({ cis: demo.cis.length });
    const e = await refusal(
      load([
        { cis: demo.cis, relations: [] },
        { cis: [], relations: demo.relations },
      ]),
    );
    expect(e).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(e.field).toMatch(/^cis\[\d+\]\.lifecycle$/);
  });

  it('a file whose CIs name later rows still loads: a batch reaches to the partners of its relationships', async () => {
    // Reversed, most relationships lead from a CI to a later row (its location, host, owner team…).
    const reversed = estate((e) => e.cis.reverse());
    const batches = [...fileBatches(model, reversed, 50)];
    expect(batches.flatMap((b) => b.cis)).toEqual(reversed.cis);
    expect(batches.flatMap((b) => b.relations)).toHaveLength(reversed.relations.length);
    const seen = new Set<string>();
    for (const b of batches) {
      for (const c of b.cis) seen.add(c.code);
      for (const c of b.cis) expect(seen.has(c.owner)).toBe(true);
      for (const r of b.relations) expect([seen.has(r.source), seen.has(r.target)]).toEqual([true, true]);
    }
    await expect(load(batches)).resolves.toMatchObject({ cis: demo.cis.length, relations: demo.relations.length });
  });

  it('refuses a store another initial load holds, and leaves that load its lock', async () => {
    fs.writeFileSync(path.join(dataDir, 'initial-load.lock'), '1\n');
    const e = await refusal(load(fileBatches(model, demo, 100)));
    expect(e).toMatchObject({ code: 'CONFLICT', field: 'dataDir' });
    expect(fs.readdirSync(dataDir)).toEqual(['initial-load.lock']);
    // …and the service does not start on it (runtime.connect asks this before booting Neo4j).
    expect(() => assertNoInitialLoad(dataDir)).toThrow(/an initial load is filling the store/);
  });

  it('refuses a store that already holds a database', async () => {
    fs.mkdirSync(path.join(dataDir, 'data', 'databases', 'neo4j'), { recursive: true });
    const e = await refusal(load(fileBatches(model, demo, 100), false));
    expect(e).toMatchObject({ code: 'CONFLICT', field: 'dataDir' });
    expect(e.message).toContain('already holds a database');
  });
});
