import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__CMDB_NEO4J__?.stop();
  if (globalThis.__CMDB_NEO4J_DIR__) fs.rmSync(globalThis.__CMDB_NEO4J_DIR__, { recursive: true, force: true });
}
