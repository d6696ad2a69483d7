// What integration tests share: services on the test Neo4j, the real HTTP app on an ephemeral
// port, signed tokens per role, and unique codes so test files never see each other's data.

import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../src/platform/config';
import { createDriver, Executor } from '../../src/platform/neo4j/executor';
import { createServices, type Services } from '../../src/services';
import { createHttpApp } from '../../src/platform/server/app';
import { createLogger } from '../../src/platform/logging';
import { signToken } from '../../src/platform/auth/jwt';
import type { Role } from '../../src/platform/auth/roles';
import type { WriteContext } from '../../src/oplog/oplog.service';
import { buildAppSchema } from '../../src/schema';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

export interface TestServices {
  services: Services;
  executor: Executor;
  close(): Promise<void>;
}

/**
 * Services on the test Neo4j. Walks run over the in-memory failure topology, loaded here, as under
 * `npm start`; `{ topology: false }` gives services whose walks run in Neo4j. Every walk checks the log's
 * head unless `topologyMaxLagMs` (TOPOLOGY_MAX_LAG_MS) lets a check stand for a while.
 */
export async function openServices(
  options: { topology?: boolean; topologyMaxLagMs?: number } = {},
): Promise<TestServices> {
  const uri = process.env.CMDB_TEST_NEO4J_URI;
  if (!uri) throw new Error('CMDB_TEST_NEO4J_URI is not set: run integration tests through jest (global setup)');
  const executor = new Executor(createDriver(uri, process.env.TEST_NEO4J_USERNAME, process.env.TEST_NEO4J_PASSWORD), {
    queryTimeoutMs: 60_000,
  });
  const services = createServices(executor, {
    discoveryStaleHours: 72,
    topology: options.topology !== false,
    topologyMaxLagMs: options.topologyMaxLagMs,
  });
  try {
    await services.tickets.open(ctxFor('test', null), { kind: 'INITIALIZATION', ref: TEST_TICKET, title: 'test data' });
  } catch (e) {
    if ((e as { code?: string }).code !== 'CONFLICT') throw e;
  }
  await services.topology?.load(await services.model.current());
  return { services, executor, close: () => executor.close() };
}

/** A short unique suffix, valid in every naming rule of the default model. */
export function uniq(): string {
  return randomBytes(4).toString('hex').toUpperCase();
}

/**
 * The initialisation ticket (配置初始化) this test process writes under; opened by
 * `openServices()`. Its scope grows with every CI the tests create, so later edits are covered.
 */
export const TEST_TICKET = `TEST-INIT-${uniq()}`;

export function ctxFor(actor = 'test', ticket: string | null = TEST_TICKET): WriteContext {
  return { actor, at: Date.now(), source: 'test', ticket };
}

export function tokenFor(roles: Role[], sub = `user:${roles.join('+').toLowerCase()}`): string {
  return signToken({ sub, name: sub, roles }, TEST_JWT_SECRET, { expiresIn: '1h' });
}

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string; [k: string]: unknown } }[];
}

export interface TestApp extends TestServices {
  url: string;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GraphQLResponse<T>>;
}

export async function startTestApp(configOverrides: Record<string, string> = {}): Promise<TestApp> {
  const opened = await openServices();
  const config = testConfig(configOverrides);
  const http = await createHttpApp({
    schema: await buildAppSchema(),
    config,
    logger: createLogger('silent'),
    contextFor: (actor, requestId) => ({ actor, requestId, services: opened.services }),
    readiness: () => opened.executor.ping(),
  });
  const server: Server = await new Promise((resolve) => {
    const s = http.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...opened,
    url,
    async gql(query, variables = {}, token) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GraphQLResponse;
      return { ...body, status: res.status } as GraphQLResponse<any>;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await http.stop();
      await opened.close();
    },
  };
}

/** A self-owned team to own the CIs a test creates. */
export async function createTeam(services: Services, suffix = uniq()): Promise<string> {
  const code = `T-TEST-${suffix}`;
  await services.cis.create(ctxFor(), {
    class: 'Team',
    code,
    name: `测试团队 ${suffix}`,
    owner: code,
    attributes: { teamType: 'OPERATIONS' },
  });
  return code;
}

/**
 * Business-system ids (`SYS` + 4 digits, unique) no CI holds yet: test files share one database and the
 * pattern leaves only 9,000 of them, so a fixed id could clash with another file's.
 */
export async function freeSystemIds(services: Services, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const id = `SYS${String(1000 + Math.floor(Math.random() * 9000))}`;
    const [row] = await services.executor.query('MATCH (b:CI {systemId: $id}) RETURN count(b) AS n', { id });
    if (row.n === 0 && !out.includes(id)) out.push(id);
  }
  return out;
}
