// The HTTP face of the service: Express 5 with Apollo Server 5 at /graphql, hardened (token auth,
// CSRF prevention, body, depth, cost and alias limits, masked errors), plus health, readiness and metrics.

import { randomUUID } from 'node:crypto';
import { ApolloServer, HeaderMap } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, type GraphQLSchema, type ValidationContext } from 'graphql';
import { actorFromAuthorizationHeader, verifierFromConfig } from '../auth/jwt';
import type { Config } from '../config';
import { UnauthenticatedError } from '../errors';
import { logger as defaultLogger, requestScope, type Logger } from '../logging';
import type { Actor, RequestContext } from './context';
import { createErrorFormatter, queryTooComplexError, type QueryLimit } from './errors';
import { createMetrics, type Metrics } from './metrics';

export interface HttpAppOptions {
  schema: GraphQLSchema;
  config: Config;
  contextFor: (actor: Actor | null, requestId: string) => RequestContext;
  /** Resolves when the service can serve (Neo4j reachable); throws with the reason otherwise. */
  readiness: () => Promise<void>;
  logger?: Logger;
}

export interface HttpApp {
  app: express.Express;
  apollo: ApolloServer<RequestContext>;
  metrics: Metrics;
  /** Drains Apollo; the caller closes the HTTP server it started with app.listen. */
  stop(): Promise<void>;
}

/** No query legitimately needs more; armor's default (50) is kept as the bound. */
const MAX_DIRECTIVES = 50;
const READINESS_TIMEOUT_MS = 5_000;
// Accept a caller's id for tracing across services, but only a short, log-safe one.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const KNOWN_ROUTES = new Set(['/graphql', '/healthz', '/readyz', '/metrics']);
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export async function createHttpApp(opts: HttpAppOptions): Promise<HttpApp> {
  const { schema, config, contextFor, readiness } = opts;
  const log = opts.logger ?? defaultLogger;
  const verifier = verifierFromConfig(config);
  const metrics = createMetrics();

  const armor = new ApolloArmor({
    maxDepth: { n: config.graphql.maxDepth, ...rejectAs('depth') },
    costLimit: { maxCost: config.graphql.maxCost, ...rejectAs('cost') },
    maxAliases: { n: config.graphql.maxAliases, ...rejectAs('aliases') },
    maxDirectives: { n: MAX_DIRECTIVES, ...rejectAs('directives') },
    // Armor enforces its token limit from a parsingDidStart hook whose throw Apollo turns into an
    // HTTP 500; graphql-js's own parser limit (parseOptions below) fails as a clean 400 instead.
    maxTokens: { enabled: false },
    // Suggestions reveal field names even when introspection is off.
    blockFieldSuggestion: { enabled: config.env === 'production' },
  }).protect();

  const apollo = new ApolloServer<RequestContext>({
    schema,
    logger: log.child({ component: 'apollo' }),
    nodeEnv: config.env,
    introspection: config.graphql.introspection,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // Automatic persisted queries would let any client fill a server-side cache; nobody needs them.
    persistedQueries: false,
    // main.ts owns shutdown (Neo4j must close after Apollo), so Apollo must not trap signals.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: config.graphql.maxTokens },
    validationRules: armor.validationRules,
    formatError: createErrorFormatter(log),
    plugins: [
      ...armor.plugins,
      metrics.apolloPlugin<RequestContext>(),
      // No cache hints are used, and the plugin would wrap every field's resolver to collect them: with
      // it a 50-edge page paid for it per field. Responses say `no-store` themselves (below).
      ApolloServerPluginCacheControlDisabled(),
      // The Sandbox landing page is useless without introspection and loads code from a CDN.
      ...(config.graphql.introspection ? [] : [ApolloServerPluginLandingPageDisabled()]),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.use(requestIdAndLog(log, metrics));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    try {
      await withTimeout(readiness(), READINESS_TIMEOUT_MS);
      res.json({ status: 'ready' });
    } catch (error) {
      log.warn({ err: error }, 'readiness check failed');
      res.status(503).json({ status: 'unavailable', reason: reasonOf(error) });
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.use(
    '/graphql',
    (_req, res, next) => {
      // Configuration data: no browser or proxy keeps a copy.
      res.setHeader('Cache-Control', 'no-store');
      next();
    },
    express.json({ limit: config.graphql.bodyLimit }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = String(res.locals.requestId);
        let actor: Actor | null;
        try {
          actor = actorFromAuthorizationHeader(req.headers.authorization, verifier);
        } catch (error) {
          if (error instanceof UnauthenticatedError) throw unauthenticated(error);
          throw error;
        }
        res.locals.actorId = actor?.id;
        return contextFor(actor, requestId);
      },
    }),
  );

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
  });
  app.use(httpErrorHandler(log, config.graphql.bodyLimit));

  return {
    app,
    apollo,
    metrics,
    stop: () => apollo.stop(),
  };
}

/**
 * Armor's default reporter tags refusals BAD_USER_INPUT, which Apollo then overwrites; reporting
 * our own error keeps a marker (QUERY_TOO_COMPLEX, limit) that the error mapper turns into the code.
 */
function rejectAs(limit: QueryLimit) {
  return {
    propagateOnRejection: false,
    onReject: [
      (ctx: ValidationContext | null, error: GraphQLError) => {
        ctx?.reportError(queryTooComplexError(error.message, limit));
      },
    ],
  };
}

/** A bad token: the GraphQL error carries UNAUTHENTICATED and the HTTP status is 401. */
function unauthenticated(error: UnauthenticatedError): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: {
      code: error.code,
      http: { status: 401, headers: new HeaderMap([['www-authenticate', 'Bearer error="invalid_token"']]) },
    },
  });
}

function requestIdAndLog(log: Logger, metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const offered = req.get('x-request-id');
    const requestId = offered && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    res.setHeader('X-Content-Type-Options', 'nosniff');

    const started = process.hrtime.bigint();
    // Only the path: a GET query string carries the GraphQL document and its variables.
    const path = req.path;
    let logged = false;
    const done = (): void => {
      if (logged) return;
      logged = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.writableFinished ? res.statusCode : 499;
      metrics.observeHttp(req.method, KNOWN_ROUTES.has(path) ? path : 'other', status, seconds);
      const entry = {
        method: req.method,
        path,
        status,
        ms: Math.round(seconds * 1000 * 10) / 10,
        requestId,
        actor: typeof res.locals.actorId === 'string' ? res.locals.actorId : undefined,
      };
      if (QUIET_ROUTES.has(path) && status < 400) log.debug(entry, 'http request');
      else log.info(entry, 'http request');
    };
    res.on('finish', done);
    res.on('close', done);
    // Everything downstream (resolvers, services, the error mapper) sees the request id.
    requestScope.run({ requestId }, next);
  };
}

function httpErrorHandler(log: Logger, bodyLimit: string): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const requestId = String(res.locals.requestId);
    const type = (error as { type?: unknown }).type;
    const status = (error as { status?: unknown }).status;
    if (type === 'entity.too.large') {
      res.status(413).json(errorBody(`Request body is larger than ${bodyLimit}`, 'PAYLOAD_TOO_LARGE', requestId));
    } else if (type === 'entity.parse.failed') {
      res.status(400).json(errorBody('Request body is not valid JSON', 'BAD_REQUEST', requestId));
    } else if (typeof status === 'number' && status >= 400 && status < 500) {
      // Other body-parser refusals (charset, encoding, aborted): safe, short messages of its own.
      res.status(status).json(errorBody(`Bad request (${status})`, 'BAD_REQUEST', requestId));
    } else {
      log.error({ err: error, requestId }, 'unhandled HTTP error');
      res.status(500).json(errorBody(`Internal error (request ${requestId})`, 'INTERNAL_SERVER_ERROR', requestId));
    }
  };
}

function errorBody(message: string, code: string, requestId: string) {
  return { errors: [{ message, extensions: { code, requestId } }] };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness check timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One short line: enough for an operator, never a stack. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0].trim();
  return (firstLine || 'not ready').slice(0, 200);
}
