// Migrations run once each, in order, recorded with a checksum; an edited applied migration stops
// the start with a message naming it. Runs against its own ledger label so it cannot touch the real one.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, parseStatements } from '../../src/platform/neo4j/migrate';
import { openServices, uniq, type TestServices } from '../support/harness';

let db: TestServices;
let dir: string;
let ledger: string;
let marker: string;

beforeAll(async () => {
  db = await openServices();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-migrations-'));
  ledger = `TestMigration${uniq()}`;
  marker = `Marker${uniq()}`;
});

afterAll(async () => {
  await db.executor.write((tx) => tx.run(`MATCH (n) WHERE n:${ledger} OR n:${marker} DETACH DELETE n`));
  await db.executor.write((tx) => tx.run(`DROP CONSTRAINT ${ledger.toLowerCase()}_name IF EXISTS`));
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const count = async () => (await db.executor.query(`MATCH (n:${marker}) RETURN count(n) AS n`))[0].n;

it('splits a file into statements and drops comment lines', () => {
  expect(parseStatements('// why\nCREATE (a);\nCREATE (b)\n  SET b.x = 1;\n')).toEqual([
    'CREATE (a)',
    'CREATE (b)\n  SET b.x = 1',
  ]);
});

it('applies pending migrations once each, in order', async () => {
  fs.writeFileSync(path.join(dir, '0001_first.cypher'), `CREATE (:${marker} {step: 1});\n`);
  fs.writeFileSync(path.join(dir, '0002_second.cypher'), `CREATE (:${marker} {step: 2});\n`);
  expect(await migrate(db.executor, dir, { ledger })).toEqual(['0001_first.cypher', '0002_second.cypher']);
  expect(await migrate(db.executor, dir, { ledger })).toEqual([]);
  expect(await count()).toBe(2);
  const rows = await db.executor.query(
    `MATCH (m:${ledger}) RETURN m.name AS name, m.checksum AS checksum ORDER BY name`,
  );
  expect(rows.map((r) => r.name)).toEqual(['0001_first.cypher', '0002_second.cypher']);
  expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum as string))).toBe(true);
});

it('refuses to start when an applied migration was edited, naming it', async () => {
  fs.writeFileSync(path.join(dir, '0001_first.cypher'), `CREATE (:${marker} {step: 1, edited: true});\n`);
  fs.writeFileSync(path.join(dir, '0003_third.cypher'), `CREATE (:${marker} {step: 3});\n`);
  await expect(migrate(db.executor, dir, { ledger })).rejects.toThrow(
    /0001_first\.cypher was edited after it was applied/,
  );
  expect(await count()).toBe(2);
});

it('refuses a file name that does not follow NNNN_what.cypher', async () => {
  const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-migrations-bad-'));
  fs.writeFileSync(path.join(bad, 'first.cypher'), 'RETURN 1;');
  await expect(migrate(db.executor, bad, { ledger })).rejects.toThrow(/0001_what\.cypher/);
  fs.rmSync(bad, { recursive: true, force: true });
});
