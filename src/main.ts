// `npm start`: the service. Boots Neo4j (embedded unless NEO4J_URI is set), applies migrations,
// serves GraphQL at /graphql, and stops the JVM with it on SIGINT/SIGTERM or a crash.

import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { loadConfig, ConfigError } from './platform/config';
import { createLogger } from './platform/logging';
import { createHttpApp, type HttpApp } from './platform/server/app';
import { buildAppSchema } from './schema';
import { startRuntime, type Runtime } from './runtime';
import { scheduleRetention } from './oplog/oplog.jobs';
import type { ScheduledTask } from 'node-cron';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`configuration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  let runtime: Runtime | null = null;
  let http: HttpApp | null = null;
  let server: Server | null = null;
  let starting = true;
  let stopRequested: string | null = null;
  let stopping = false;
  let retentionTask: ScheduledTask | null = null;

  const shutdown = async (reason: string, code: number) => {
    // A signal during start-up waits for the runtime, so Neo4j is stopped cleanly, not killed mid-write.
    if (starting) {
      stopRequested ??= reason;
      log.info({ reason }, 'stop requested while starting: stopping once Neo4j is up');
      return;
    }
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'shutting down');
    const force = setTimeout(() => process.exit(code || 1), 40_000);
    force.unref();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await retentionTask?.stop();
    await http?.stop().catch(() => undefined);
    await runtime?.close().catch((e) => log.error({ err: e }, 'error while stopping'));
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('uncaughtException', (e) => {
    log.fatal({ err: e }, 'uncaught exception');
    void shutdown('crash', 1);
  });
  process.on('unhandledRejection', (e) => {
    log.fatal({ err: e }, 'unhandled rejection');
    void shutdown('crash', 1);
  });

  runtime = await startRuntime(config, log, { jobs: true, topology: true });
  const services = runtime.services;
  http = await createHttpApp({
    schema: await buildAppSchema(),
    config,
    logger: log,
    contextFor: (actor, requestId) => ({ actor, requestId: requestId || randomUUID(), services }),
    readiness: () => services.executor.ping(),
  });
  retentionTask = scheduleRetention(services, config, log);
  starting = false;
  // Stopped before it ever served: not a clean run.
  if (stopRequested) return shutdown(stopRequested, 1);
  await new Promise<void>((resolve) => {
    server = http!.app.listen(config.port, config.host, () => resolve());
  });
  log.info({ url: `http://${config.host}:${config.port}/graphql` }, 'CMDB ready');
}

main().catch((e) => {
  console.error(`failed to start: ${(e as Error).message}`);
  process.exit(1);
});
