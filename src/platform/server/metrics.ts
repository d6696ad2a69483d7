// Prometheus metrics for /metrics: process defaults, HTTP request latency, and GraphQL operations
// by name and outcome, recorded by an Apollo plugin. One registry per app so tests can build many.

import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export const HTTP_DURATION_METRIC = 'cmdb_http_request_duration_seconds';
export const GRAPHQL_OPERATIONS_METRIC = 'cmdb_graphql_operations_total';
export const GRAPHQL_DURATION_METRIC = 'cmdb_graphql_operation_duration_seconds';

/** Operation names come from clients: past this many distinct names, the rest share one label. */
const MAX_OPERATION_NAMES = 200;

export interface Metrics {
  registry: Registry;
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  apolloPlugin<T extends BaseContext>(): ApolloServerPlugin<T>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: HTTP_DURATION_METRIC,
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const operations = new Counter({
    name: GRAPHQL_OPERATIONS_METRIC,
    help: 'GraphQL operations by name, type and outcome (ok or the first error code)',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: GRAPHQL_DURATION_METRIC,
    help: 'GraphQL operation duration by name, type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  const seenNames = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return 'invalid';
    if (seenNames.has(name)) return name;
    if (seenNames.size >= MAX_OPERATION_NAMES) return 'other';
    seenNames.add(name);
    return name;
  };

  return {
    registry,
    observeHttp(method, route, status, seconds) {
      httpDuration.observe({ method, route, status: String(status) }, seconds);
    },
    apolloPlugin<T extends BaseContext>(): ApolloServerPlugin<T> {
      return {
        async contextCreationDidFail() {
          // A refused token never reaches requestDidStart; count it so 401 storms are visible.
          operations.inc({ operation: 'unknown', type: 'unknown', outcome: 'UNAUTHENTICATED' });
        },
        async requestDidStart() {
          const started = process.hrtime.bigint();
          return {
            async willSendResponse(requestContext) {
              const body = requestContext.response.body;
              const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
              const code = errors?.[0]?.extensions?.code;
              const outcome = !errors?.length
                ? 'ok'
                : typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code)
                  ? code
                  : 'ERROR';
              const labels = {
                operation: operationLabel(requestContext.operationName),
                type: requestContext.operation?.operation ?? 'unknown',
                outcome,
              };
              operations.inc(labels);
              operationDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
            },
          };
        },
      };
    },
  };
}
