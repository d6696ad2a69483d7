// Start-up and shut-down of the whole service, shared by `npm start`, the CLI and the tests:
// Neo4j (embedded or external) → migrations → default model → demo estate → services.

import path from 'node:path';
import type { Config } from './platform/config';
import { createDriver, Executor } from './platform/neo4j/executor';
import { startEmbeddedNeo4j, type EmbeddedNeo4j } from './platform/neo4j/embedded';
import { migrate } from './platform/neo4j/migrate';
import type { Logger } from './platform/logging';
import { createServices, type Services } from './services';
import { loadDefaultModel } from './model/model.service';
import { loadDemoEstate } from './cli/demo-estate';
import { assertNoInitialLoad } from './imports/initial-load';
import { scheduleAuditJobs, type AuditScheduler } from '../audit-jobs';

export interface Runtime {
  config: Config;
  services: Services;
  executor: Executor;
  embedded: EmbeddedNeo4j | null;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Apply migrations, load the default model and (per config) the demo estate. Default true. */
  initialise?: boolean;
  /** Schedule the audit jobs (AUDIT_JOBS_ENABLED permitting): `npm start` does; the CLI and tests do not. */
  jobs?: boolean;
  /** Load the in-memory failure topology in the background (TOPOLOGY_IN_MEMORY permitting): `npm start` does; one-shot CLI commands do not. */
  topology?: boolean;
}

export async function connect(
  config: Config,
  log: Logger,
): Promise<{ executor: Executor; embedded: EmbeddedNeo4j | null }> {
  let embedded: EmbeddedNeo4j | null = null;
  let uri = config.neo4j.uri;
  if (!uri) {
    assertNoInitialLoad(config.neo4j.embedded.dataDir);
    log.info(
      { dataDir: config.neo4j.embedded.dataDir, port: config.neo4j.embedded.boltPort },
      'starting embedded Neo4j',
    );
    embedded = await startEmbeddedNeo4j({
      dataDir: config.neo4j.embedded.dataDir,
      boltPort: config.neo4j.embedded.boltPort,
      heap: config.neo4j.embedded.heap,
      pagecache: config.neo4j.embedded.pagecache,
      projectRoot: config.projectRoot,
      log: (msg) => log.info(msg),
    });
    uri = embedded.uri;
  }
  const driver = createDriver(uri, config.neo4j.username, config.neo4j.password);
  const executor = new Executor(driver, {
    database: config.neo4j.database,
    queryTimeoutMs: config.neo4j.queryTimeoutMs,
  });
  try {
    await executor.ping();
  } catch (e) {
    await executor.close();
    await embedded?.stop();
    throw new Error(`cannot reach Neo4j at ${uri}: ${(e as Error).message}`, { cause: e });
  }
  return { executor, embedded };
}

export async function startRuntime(config: Config, log: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  const { executor, embedded } = await connect(config, log);
  const services = createServices(executor, {
    discoveryStaleHours: config.discovery.staleHours,
    auditCauses: config.audit.causes,
    topology: config.topologyInMemory,
    topologyMaxLagMs: config.topologyMaxLagMs,
    onTopologyError: (error) => log.error({ err: error }, 'failure topology reload failed; walks run in Neo4j'),
  });
  let auditJobs: AuditScheduler | null = null;
  const close = async () => {
    await auditJobs?.stop();
    await executor.close();
    await embedded?.stop();
  };
  try {
    if (options.initialise !== false) {
      const applied = await migrate(executor, path.join(config.projectRoot, 'migrations'), { log: (m) => log.info(m) });
      if (applied.length) log.info({ applied }, 'migrations applied');
      if (await services.model.ensureInitialised(loadDefaultModel(config.projectRoot)))
        log.info('default configuration model loaded');
      const wantDemo = config.demoEstate === 'always' || (config.demoEstate === 'auto' && embedded !== null);
      if (wantDemo) {
        const loaded = await loadDemoEstate(services, config.projectRoot, { onlyIfEmpty: true });
        if (loaded) log.info({ cis: loaded.cis, relations: loaded.relations }, 'demo estate loaded');
      }
    }
    if (services.topology && options.topology) loadTopology(services, log);
    if (options.jobs && config.audit.jobsEnabled) auditJobs = scheduleAuditJobs(services, config, log);
  } catch (e) {
    await close();
    throw e;
  }
  return { config, services, executor, embedded, close };
}

/** Loads the failure topology in the background: until it is there, walks run in Neo4j. */
function loadTopology(services: Services, log: Logger): void {
  const started = Date.now();
  services.model
    .current()
    .then((model) => services.topology!.load(model))
    .then(() => log.info({ ...services.topology!.status, ms: Date.now() - started }, 'failure topology loaded'))
    .catch((error: unknown) => log.error({ err: error }, 'failure topology not loaded; walks run in Neo4j'));
}
