// The HTTP layer as a client sees it, over real HTTP against a tiny schema: auth, limits, masked
// errors, CSRF, body size, health, readiness and metrics. No database involved.

import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Max, Min } from 'class-validator';
import type { GraphQLSchema } from 'graphql';
import {
  Args,
  ArgsType,
  Authorized,
  buildSchema,
  Ctx,
  Field,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
} from 'type-graphql';
import { authChecker } from '../../src/platform/auth/auth-checker';
import { signToken } from '../../src/platform/auth/jwt';
import { Permission, Role } from '../../src/platform/auth/roles';
import { loadConfig, type Config } from '../../src/platform/config';
import { NotFoundError } from '../../src/platform/errors';
import { createLogger } from '../../src/platform/logging';
import { createHttpApp, type HttpApp } from '../../src/platform/server/app';
import type { RequestContext } from '../../src/platform/server/context';
import { GRAPHQL_OPERATIONS_METRIC, HTTP_DURATION_METRIC } from '../../src/platform/server/metrics';

const SECRET = 'server-hardening-test-secret-0123456789abcdef';
const FAKE_CYPHER = 'MATCH (c:CI {code: $code}) SET c.secret = "s3cr3t" RETURN c';
const FAKE_NEO4J_CODE = 'Neo.ClientError.Statement.SyntaxError';

let bumps = 0;

@ObjectType()
@Authorized()
class TreeNode {
  @Field(() => String)
  name!: string;

  @Field(() => TreeNode, { nullable: true })
  child?: TreeNode;
}

@ObjectType()
@Authorized(Permission.READ_CMDB)
class Item {
  @Field(() => String) name!: string;
  @Field(() => String) code!: string;
  @Field(() => String) owner!: string;
  @Field(() => String) status!: string;
  @Field(() => String) site!: string;
  @Field(() => String) note!: string;
}

@ArgsType()
class PageArgs {
  @Field(() => Int, { nullable: true })
  @Min(1)
  @Max(500)
  first?: number;
}

function tree(depth: number): TreeNode {
  const node = new TreeNode();
  node.name = `level-${depth}`;
  if (depth < 20) node.child = tree(depth + 1);
  return node;
}

@Resolver()
class HardeningResolver {
  @Authorized(Permission.READ_CMDB)
  @Query(() => [Item])
  items(@Args(() => PageArgs) { first }: PageArgs): Item[] {
    return Array.from({ length: first ?? 10 }, (_, i) =>
      Object.assign(new Item(), { name: `item ${i}`, code: `C${i}`, owner: 'ops', status: 'ok', site: 'A', note: '' }),
    );
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => TreeNode)
  tree(): TreeNode {
    return tree(0);
  }

  @Authorized()
  @Query(() => String)
  whoami(@Ctx() ctx: RequestContext): string {
    return ctx.actor?.id ?? 'nobody';
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => String)
  explode(): string {
    const error = new Error(`${FAKE_NEO4J_CODE}: Invalid input 'RETRN' in ${FAKE_CYPHER}`);
    (error as Error & { code?: string }).code = FAKE_NEO4J_CODE;
    throw error;
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => String)
  missing(): string {
    throw new NotFoundError('No CI with code APP-404', { field: 'code' });
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => Int)
  bump(): number {
    bumps += 1;
    return bumps;
  }
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

interface Running {
  http: HttpApp;
  server: Server;
  url: string;
}

const logLines: string[] = [];
let schema: GraphQLSchema;
let readiness: () => Promise<void> = async () => undefined;
let main: Running;

function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: SECRET,
    GRAPHQL_MAX_DEPTH: '6',
    GRAPHQL_MAX_COST: '5000',
    GRAPHQL_MAX_ALIASES: '5',
    GRAPHQL_MAX_TOKENS: '1000',
    REQUEST_BODY_LIMIT: '2mb',
    GRAPHQL_INTROSPECTION: 'false',
    ...overrides,
  });
}

async function start(config: Config): Promise<Running> {
  const http = await createHttpApp({
    schema,
    config,
    contextFor: (actor, requestId) => ({ actor, requestId }) as RequestContext,
    readiness: () => readiness(),
    logger: createLogger('debug', { write: (line: string) => void logLines.push(line) }),
  });
  const server = http.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { http, server, url: `http://127.0.0.1:${port}` };
}

async function stop(running: Running): Promise<void> {
  await running.http.stop();
  running.server.closeAllConnections();
  await new Promise<void>((resolve) => running.server.close(() => resolve()));
}

function tokenFor(...roles: Role[]): string {
  return signToken({ sub: `user-${roles.join('-').toLowerCase()}`, name: 'Test User', roles }, SECRET, {
    expiresIn: '5m',
  });
}

async function gql(
  query: string,
  options: {
    token?: string;
    variables?: Record<string, unknown>;
    headers?: Record<string, string>;
    base?: string;
  } = {},
): Promise<{ status: number; body: GraphQLBody; text: string; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${options.base ?? main.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as GraphQLBody, text, headers: response.headers };
}

function firstError(body: GraphQLBody): { message: string; extensions?: Record<string, unknown> } {
  expect(body.errors?.length).toBeGreaterThan(0);
  return body.errors![0];
}

beforeAll(async () => {
  schema = await buildSchema({ resolvers: [HardeningResolver], authChecker, validate: true });
  main = await start(testConfig());
});

afterAll(async () => {
  await stop(main);
});

beforeEach(() => {
  logLines.length = 0;
});

describe('authentication and authorization', () => {
  it('refuses every field without a token, and the mutation has no effect', async () => {
    const before = bumps;
    const read = await gql('{ items(first: 2) { name } }');
    expect(firstError(read.body).extensions?.code).toBe('UNAUTHENTICATED');
    expect(read.body.data).toBeNull();

    const write = await gql('mutation { bump }');
    expect(firstError(write.body).extensions?.code).toBe('UNAUTHENTICATED');
    expect(bumps).toBe(before);
  });

  it('answers 401 UNAUTHENTICATED for a bad token instead of treating the caller as anonymous', async () => {
    const forged = signToken(
      { sub: 'mallory', roles: [Role.CONFIG_MANAGER] },
      'another-secret-of-sufficient-length-000000',
    );
    const result = await gql('{ whoami }', { token: forged });
    expect(result.status).toBe(401);
    expect(result.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(firstError(result.body)).toMatchObject({
      message: 'Token signature is invalid',
      extensions: { code: 'UNAUTHENTICATED' },
    });

    const garbage = await gql('{ whoami }', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(garbage.status).toBe(401);
    expect(firstError(garbage.body).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a role that lacks the permission, naming field and permission, with no side effect', async () => {
    const before = bumps;
    const result = await gql('mutation { bump }', { token: tokenFor(Role.TESTER) });
    const error = firstError(result.body);
    expect(error.extensions?.code).toBe('FORBIDDEN');
    expect(error.message).toContain('Mutation.bump');
    expect(error.message).toContain('WRITE_CI');
    expect(bumps).toBe(before);
  });

  it('serves a role that holds the permission', async () => {
    const before = bumps;
    const write = await gql('mutation { bump }', { token: tokenFor(Role.OPS_ENGINEER) });
    expect(write.body.errors).toBeUndefined();
    expect(write.body.data).toEqual({ bump: before + 1 });

    const read = await gql('{ items(first: 2) { name } whoami }', { token: tokenFor(Role.AUDITOR) });
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data).toEqual({ items: [{ name: 'item 0' }, { name: 'item 1' }], whoami: 'user-auditor' });
  });

  it('tells browsers and proxies not to keep GraphQL answers (Cache-Control: no-store)', async () => {
    const read = await gql('{ whoami }', { token: tokenFor(Role.AUDITOR) });
    expect(read.body.errors).toBeUndefined();
    expect(read.headers.get('cache-control')).toBe('no-store');
    const refused = await gql('{ whoami }');
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });

  it('guards object-type fields too: DISCOVERY may read items, and @Authorized() only needs a token', async () => {
    const result = await gql('{ tree { name child { name } } }', { token: tokenFor(Role.DISCOVERY) });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data).toEqual({ tree: { name: 'level-0', child: { name: 'level-1' } } });
  });
});

describe('query limits', () => {
  const token = () => tokenFor(Role.CONFIG_MANAGER);

  it('refuses an over-deep query with QUERY_TOO_COMPLEX (limit depth)', async () => {
    const deep = '{ tree { child { child { child { child { child { child { child { name } } } } } } } } }';
    const result = await gql(deep, { token: token() });
    expect(result.status).toBe(400);
    const error = firstError(result.body);
    expect(error.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'depth' });
    expect(error.message).toMatch(/depth limit of 6 exceeded/);
    expect(result.body.data).toBeUndefined();
  });

  it('refuses an over-costly query (big page times a wide selection)', async () => {
    const result = await gql('{ items(first: 500) { name code owner status site note } }', { token: token() });
    expect(result.status).toBe(400);
    expect(firstError(result.body).extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
    // The same selection on a small page is fine.
    const small = await gql('{ items(first: 5) { name code owner status site note } }', { token: token() });
    expect(small.body.errors).toBeUndefined();
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: whoami`).join(' ');
    const result = await gql(`{ ${aliases} }`, { token: token() });
    expect(result.status).toBe(400);
    expect(firstError(result.body).extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'aliases' });
  });

  it('refuses a document with too many tokens', async () => {
    const result = await gql(`{ ${'__typename '.repeat(1200)} }`, { token: token() });
    expect(result.status).toBe(400);
    expect(firstError(result.body).extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'tokens' });
  });

  it('refuses first: 501 with VALIDATION_FAILED naming the argument', async () => {
    const result = await gql('{ items(first: 501) { name } }', { token: token() });
    const error = firstError(result.body);
    expect(error.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'first', rule: 'max' });
    expect(error.message).toContain('first');
    expect(error.message).toContain('500');
    expect(result.text).not.toContain('"target"');
  });

  it('refuses introspection when configuration turns it off, and allows it when on', async () => {
    const query = '{ __schema { queryType { name } } }';
    const off = await gql(query, { token: token() });
    expect(off.status).toBe(400);
    expect(firstError(off.body).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(firstError(off.body).message).toMatch(/introspection/i);

    const open = await start(testConfig({ GRAPHQL_INTROSPECTION: 'true' }));
    try {
      const on = await gql(query, { token: token(), base: open.url });
      expect(on.body.errors).toBeUndefined();
      expect(on.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await stop(open);
    }
  });
});

describe('errors', () => {
  it('masks an internal error to a request id, leaking no Cypher or driver code, and logs it', async () => {
    const result = await gql('{ explode }', {
      token: tokenFor(Role.AUDITOR),
      headers: { 'x-request-id': 'trace-abc-123' },
    });
    expect(result.headers.get('x-request-id')).toBe('trace-abc-123');
    const error = firstError(result.body);
    expect(error.message).toBe('Internal error (request trace-abc-123)');
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'trace-abc-123' });
    expect(result.text).not.toContain('MATCH');
    expect(result.text).not.toContain('Neo.');
    expect(result.text).not.toContain('s3cr3t');
    expect(result.text).not.toMatch(/stacktrace|\bat .*\.ts:\d+/);

    const logged = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'error');
    expect(logged).toMatchObject({ requestId: 'trace-abc-123' });
    expect(JSON.stringify(logged)).toContain(FAKE_NEO4J_CODE);
  });

  it('generates a request id when the offered one is not sane', async () => {
    const result = await gql('{ explode }', {
      token: tokenFor(Role.AUDITOR),
      headers: { 'x-request-id': 'x'.repeat(300) },
    });
    const id = result.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(firstError(result.body).message).toBe(`Internal error (request ${id})`);
  });

  it('passes a domain error through with its code and field', async () => {
    const result = await gql('{ missing }', { token: tokenFor(Role.AUDITOR) });
    expect(firstError(result.body)).toMatchObject({
      message: 'No CI with code APP-404',
      extensions: { code: 'NOT_FOUND', field: 'code' },
    });
  });

  it('keeps graphql validation messages and codes for unknown fields', async () => {
    const result = await gql('{ nonsense }', { token: tokenFor(Role.AUDITOR) });
    expect(result.status).toBe(400);
    expect(firstError(result.body)).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(firstError(result.body).message).toContain('nonsense');
  });

  it('never writes the Authorization header or variables to the access log', async () => {
    const token = tokenFor(Role.AUDITOR);
    await gql('query Q($first: Int) { items(first: $first) { name } }', { token, variables: { first: 1 } });
    const access = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'http request');
    expect(access).toMatchObject({ method: 'POST', path: '/graphql', status: 200, actor: 'user-auditor' });
    expect(typeof access?.ms).toBe('number');
    expect(logLines.join('\n')).not.toContain(token);
    expect(logLines.join('\n')).not.toContain('"first"');
  });
});

describe('HTTP hardening', () => {
  it('blocks a GET mutation by CSRF prevention', async () => {
    const before = bumps;
    const url = `${main.url}/graphql?query=${encodeURIComponent('mutation { bump }')}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${tokenFor(Role.CONFIG_MANAGER)}` } });
    expect(response.status).toBe(400);
    const body = (await response.json()) as GraphQLBody;
    expect(firstError(body).extensions?.code).toBe('BAD_REQUEST');
    expect(firstError(body).message).toMatch(/Cross-Site Request Forgery/);
    expect(bumps).toBe(before);

    // Even with the preflight header, GET never runs a mutation.
    const preflighted = await fetch(url, {
      headers: { authorization: `Bearer ${tokenFor(Role.CONFIG_MANAGER)}`, 'apollo-require-preflight': 'true' },
    });
    expect(preflighted.status).toBe(405);
    expect(bumps).toBe(before);
  });

  it('blocks a text/plain POST without a preflight header', async () => {
    const before = bumps;
    const response = await fetch(`${main.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${tokenFor(Role.CONFIG_MANAGER)}` },
      body: JSON.stringify({ query: 'mutation { bump }' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as GraphQLBody;
    expect(firstError(body).message).toMatch(/Cross-Site Request Forgery/);
    expect(bumps).toBe(before);
  });

  it('answers 413 with a JSON error for a 3 MB body', async () => {
    const response = await fetch(`${main.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ whoami }', variables: { pad: 'x'.repeat(3 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as GraphQLBody;
    expect(firstError(body).extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 400 with a JSON error for malformed JSON', async () => {
    const response = await fetch(`${main.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    expect(firstError((await response.json()) as GraphQLBody).extensions?.code).toBe('BAD_REQUEST');
  });
});

describe('operations endpoints', () => {
  it('reports liveness on /healthz', async () => {
    const response = await fetch(`${main.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('reports readiness on /readyz: 503 with a reason and no stack, then 200', async () => {
    readiness = async () => {
      throw new Error('Neo4j is not reachable at bolt://db:7687\n    at Executor.ping (executor.ts:42:7)');
    };
    const down = await fetch(`${main.url}/readyz`);
    expect(down.status).toBe(503);
    const text = await down.text();
    expect(JSON.parse(text)).toEqual({ status: 'unavailable', reason: 'Neo4j is not reachable at bolt://db:7687' });
    expect(text).not.toContain('executor.ts');

    readiness = async () => undefined;
    const up = await fetch(`${main.url}/readyz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ready' });
  });

  it('exposes Prometheus metrics on /metrics', async () => {
    await gql('query Named { whoami }', { token: tokenFor(Role.AUDITOR) });
    const response = await fetch(`${main.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toContain(HTTP_DURATION_METRIC);
    expect(text).toMatch(new RegExp(`${GRAPHQL_OPERATIONS_METRIC}\\{operation="Named",type="query",outcome="ok"\\} 1`));
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await fetch(`${main.url}/nope`);
    expect(response.status).toBe(404);
    expect(firstError((await response.json()) as GraphQLBody).extensions?.code).toBe('NOT_FOUND');
  });
});
