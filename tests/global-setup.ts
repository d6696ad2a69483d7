// Starts the one Neo4j every integration test file shares, applies the migrations and loads the
// default model. Test files isolate their data by unique codes, so they can run in parallel.

import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedNeo4j, type EmbeddedNeo4j } from '../src/platform/neo4j/embedded';
import { createDriver, Executor } from '../src/platform/neo4j/executor';
import { migrate } from '../src/platform/neo4j/migrate';
import { createServices } from '../src/services';
import { loadDefaultModel } from '../src/model/model.service';
import { PROJECT_ROOT } from '../src/platform/config';
import { freePort } from './support/ports';

declare global {
  var __CMDB_NEO4J__: EmbeddedNeo4j | undefined;
  var __CMDB_NEO4J_DIR__: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  let uri = process.env.TEST_NEO4J_URI;
  if (!uri) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-test-neo4j-'));
    const neo4j = await startOnAFreePort(dataDir);
    globalThis.__CMDB_NEO4J__ = neo4j;
    globalThis.__CMDB_NEO4J_DIR__ = dataDir;
    uri = neo4j.uri;
  }
  process.env.CMDB_TEST_NEO4J_URI = uri;
  const executor = new Executor(createDriver(uri, process.env.TEST_NEO4J_USERNAME, process.env.TEST_NEO4J_PASSWORD), {
    queryTimeoutMs: 60_000,
  });
  try {
    await migrate(executor, path.join(PROJECT_ROOT, 'migrations'));
    await createServices(executor).model.ensureInitialised(loadDefaultModel(PROJECT_ROOT));
  } finally {
    await executor.close();
  }
}

/**
 * A free port can be taken by another process between the probe and the JVM's bind (another test run
 * on the same machine): then try another one.
 */
async function startOnAFreePort(dataDir: string, attempts = 3): Promise<EmbeddedNeo4j> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEmbeddedNeo4j({
        dataDir,
        boltPort: await freePort(),
        heap: '1g',
        pagecache: '256m',
        projectRoot: PROJECT_ROOT,
      });
    } catch (error) {
      if (attempt >= attempts || !/already in use/.test(String((error as Error).message))) throw error;
    }
  }
}
