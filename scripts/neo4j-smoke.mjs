// Smoke test for the embedded Neo4j launcher: start, query, write, restart, read back, stop.
// Usage: npm run build && node scripts/neo4j-smoke.mjs [boltPort]
// Needs Java 17+, Maven (first run builds neo4j/target), and the compiled dist/.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src', 'platform', 'neo4j', 'embedded.js');
if (!fs.existsSync(compiled)) {
  console.error(`missing ${compiled}: run \`npm run build\` first`);
  process.exit(2);
}
const { startEmbeddedNeo4j } = require(compiled);
const neo4j = require('neo4j-driver');

const boltPort = Number(process.argv[2] ?? 17687);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-neo4j-smoke-'));
const log = (m) => console.log(`  ${m}`);

async function query(uri, cypher, params = {}) {
  const driver = neo4j.driver(uri, neo4j.auth.none());
  try {
    const { records } = await driver.executeQuery(cypher, params);
    return records.map((r) => r.toObject());
  } finally {
    await driver.close();
  }
}

try {
  let t = Date.now();
  const first = await startEmbeddedNeo4j({ dataDir, boltPort, projectRoot: root, log });
  console.log(`start (new store): ${Date.now() - t} ms`);
  console.log(JSON.stringify(await query(first.uri, 'CALL dbms.components()')));
  await query(first.uri, 'CREATE (:SmokeTest {id: $id})', { id: 'persisted' });
  t = Date.now();
  await first.stop();
  console.log(`stop: ${Date.now() - t} ms`);

  t = Date.now();
  const second = await startEmbeddedNeo4j({ dataDir, boltPort, projectRoot: root, log });
  console.log(`start (existing store): ${Date.now() - t} ms`);
  const rows = await query(second.uri, 'MATCH (n:SmokeTest) RETURN n.id AS id');
  await second.stop();
  if (rows.length !== 1 || rows[0].id !== 'persisted') throw new Error(`data did not persist: ${JSON.stringify(rows)}`);
  console.log('OK: data persisted across restart');
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
