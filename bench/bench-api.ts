// The product's HTTP app in-process against a benchmark's store, as `bench:impact` and `bench:ops` time it:
// its own driver, the production configuration, a CONFIG_MANAGER token, and the failure topology
// loaded before the first request (as `npm start` loads it, but waited for).

import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import { loadConfig } from '../src/platform/config';
import { createDriver, Executor } from '../src/platform/neo4j/executor';
import { createServices, type Services } from '../src/services';
import { createHttpApp } from '../src/platform/server/app';
import { createLogger } from '../src/platform/logging';
import { signToken } from '../src/platform/auth/jwt';
import { Role } from '../src/platform/auth/roles';
import { buildAppSchema } from '../src/schema';
import type { StageClock } from './raw-batch';
import { TimedExecutor } from './timed-executor';

export interface BenchApi {
  url: string;
  /** POSTs a query; throws with the operation, HTTP status, error code and message when it fails. */
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
  /** The services behind the app, to time a layer without GraphQL and HTTP. */
  services: Services;
}

export interface BenchApiOptions {
  /** The transaction time-out (NEO4J_QUERY_TIMEOUT_MS); null for the product's default. */
  queryTimeoutMs: number | null;
  /** Who the token names, e.g. `bench-ops`. */
  actor: string;
  /** A schema the caller built already; built here otherwise. */
  schema?: GraphQLSchema;
  /** `--stages`: write transactions time each query, the commit and the JavaScript into this clock. */
  clock?: StageClock;
}

export async function startBenchApi(storeUri: string, options: BenchApiOptions): Promise<BenchApi> {
  const schema = options.schema ?? (await buildAppSchema());
  const secret = randomBytes(32).toString('hex');
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: secret,
    LOG_LEVEL: 'silent',
    TOPOLOGY_IN_MEMORY: process.env.TOPOLOGY_IN_MEMORY,
    TOPOLOGY_MAX_LAG_MS: process.env.TOPOLOGY_MAX_LAG_MS,
    ...(options.queryTimeoutMs ? { NEO4J_QUERY_TIMEOUT_MS: String(options.queryTimeoutMs) } : {}),
  });
  const executorOptions = { queryTimeoutMs: config.neo4j.queryTimeoutMs };
  const executor = options.clock
    ? new TimedExecutor(createDriver(storeUri), executorOptions, options.clock)
    : new Executor(createDriver(storeUri), executorOptions);
  const services = createServices(executor, {
    discoveryStaleHours: config.discovery.staleHours,
    topology: config.topologyInMemory,
    topologyMaxLagMs: config.topologyMaxLagMs,
  });
  // The figures are those of the topology in memory (TOPOLOGY_IN_MEMORY=false: of walks in Neo4j).
  const loadStarted = Date.now();
  await services.topology?.load(await services.model.current());
  if (services.topology) {
    const heapMiB = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
    console.log(
      `failure topology loaded in ${Date.now() - loadStarted} ms (heap in use ${heapMiB} MiB)`,
      services.topology.status,
    );
  }
  const http = await createHttpApp({
    schema,
    config,
    logger: createLogger('silent'),
    contextFor: (actor, requestId) => ({ actor, requestId, services }),
    readiness: () => executor.ping(),
  });
  const server: Server = await new Promise((resolve) => {
    const s = http.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const token = signToken({ sub: `user:${options.actor}`, name: options.actor, roles: [Role.CONFIG_MANAGER] }, secret, {
    expiresIn: '12h',
  });
  return {
    url,
    services,
    async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      let body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new Error(`HTTP ${res.status}: ${text.slice(0, 500)}`);
      }
      if (body.errors?.length || !body.data) {
        const e = body.errors?.[0];
        const op = /\{\s*(\w+)/.exec(query)?.[1] ?? 'query';
        throw new Error(`${op}: HTTP ${res.status} ${e?.extensions?.code ?? ''} ${e?.message ?? text.slice(0, 500)}`);
      }
      return body.data;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await http.stop();
      await executor.close();
    },
  };
}
