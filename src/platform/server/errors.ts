// The one error mapper: domain errors, argument validation and query refusals become GraphQL errors
// with stable codes; anything else is masked to a request id, and the real error is only logged.

import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError, AuthenticationError, AuthorizationError } from 'type-graphql';
import { DomainError, type ErrorCode } from '../errors';
import { currentRequestId, logger as defaultLogger, type Logger } from '../logging';

/**
 * Code for a query refused by graphql-armor (depth, cost, aliases, directives) or by the parser's
 * token limit. Armor's own code is BAD_USER_INPUT, which Apollo then overwrites with
 * GRAPHQL_VALIDATION_FAILED: neither lets a client tell "your query is too big" from "your query
 * is wrong". `extensions.limit` says which limit: depth | cost | aliases | directives | tokens.
 */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';
export type QueryLimit = 'depth' | 'cost' | 'aliases' | 'directives' | 'tokens';

export type ServerErrorCode =
  | ErrorCode
  | typeof QUERY_TOO_COMPLEX
  | 'INTERNAL_SERVER_ERROR'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'BAD_USER_INPUT'
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'PERSISTED_QUERY_NOT_SUPPORTED'
  | 'OPERATION_RESOLUTION_FAILURE';

/**
 * Errors raised by Apollo or graphql-js about the request itself (syntax, unknown fields, variable
 * types, CSRF, GET mutations). Their messages describe the client's document, never server state,
 * so they pass through, but only when raised outside field execution (no `path`).
 */
const REQUEST_ERROR_CODES = new Set<string>([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** Marks a GraphQLError as a query-limit refusal; used by the armor callbacks in app.ts. */
export function queryTooComplexError(message: string, limit: QueryLimit): GraphQLError {
  // Armor prefixes its messages with "Syntax Error: " although nothing is syntactically wrong.
  return new GraphQLError(message.replace(/^Syntax Error: /, ''), {
    extensions: { code: QUERY_TOO_COMPLEX, limit },
  });
}

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export function createErrorFormatter(log: Logger = defaultLogger): ErrorFormatter {
  return (formatted, error) => {
    const chain = causeChain(error);
    const base = {
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
    };

    const domain = chain.find((e): e is DomainError => e instanceof DomainError);
    if (domain) {
      return { message: domain.message, ...base, extensions: { ...domain.details, code: domain.code } };
    }

    const validation = chain.find((e): e is ArgumentValidationError => e instanceof ArgumentValidationError);
    if (validation) return { ...base, ...fromArgumentValidation(validation) };

    // Only reached if a checker returns false instead of throwing; ours throws DomainErrors.
    if (chain.some((e) => e instanceof AuthenticationError)) {
      return { message: 'A valid bearer token is required', ...base, extensions: { code: 'UNAUTHENTICATED' } };
    }
    if (chain.some((e) => e instanceof AuthorizationError)) {
      return { message: 'Access denied', ...base, extensions: { code: 'FORBIDDEN' } };
    }

    const limit = chain.find(
      (e): e is GraphQLError => e instanceof GraphQLError && e.extensions?.code === QUERY_TOO_COMPLEX,
    );
    if (limit) {
      return {
        message: limit.message,
        ...base,
        extensions: { code: QUERY_TOO_COMPLEX, limit: limit.extensions.limit },
      };
    }
    // graphql-js's own token limit (parseOptions.maxTokens) arrives as a parse failure; graphql 16
    // words it "more that N tokens", so both spellings are matched.
    const tokens = /Document contains more th(?:an|at) (\d+) tokens/.exec(formatted.message);
    if (tokens && formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED') {
      return {
        message: `Token limit of ${tokens[1]} exceeded.`,
        ...base,
        extensions: { code: QUERY_TOO_COMPLEX, limit: 'tokens' },
      };
    }

    const code = formatted.extensions?.code;
    if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code) && !formatted.path) {
      return { message: formatted.message, ...base, extensions: { code } };
    }

    // Everything else is a fault on our side: driver errors, Cypher, bugs. The client gets the
    // request id to quote; the log gets the real error under the same id.
    const requestId = currentRequestId() ?? randomUUID();
    const root = chain[chain.length - 1] ?? error;
    log.error({ err: root, requestId, path: formatted.path }, 'internal error while serving a GraphQL request');
    return {
      message: `Internal error (request ${requestId})`,
      ...base,
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
    };
  };
}

/** The formatter with the process-wide logger, for `new ApolloServer({ formatError })`. */
export const formatError: ErrorFormatter = createErrorFormatter();

/** The error and everything it wraps (GraphQL `originalError`, standard `cause`), outermost first. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && !chain.includes(current) && chain.length < 10) {
    chain.push(current);
    if (current instanceof GraphQLError && current.originalError) current = current.originalError;
    else if (current instanceof Error && current.cause !== undefined) current = current.cause;
    else break;
  }
  return chain;
}

interface ClassValidatorError {
  property: string;
  constraints?: Record<string, string>;
  children?: ClassValidatorError[];
}

interface Violation {
  field: string;
  rule: string;
  message: string;
}

function fromArgumentValidation(error: ArgumentValidationError): GraphQLFormattedError {
  const raw = (error.extensions as { validationErrors?: unknown }).validationErrors;
  const violations = Array.isArray(raw) ? flatten(raw as ClassValidatorError[], '') : [];
  const first = violations[0];
  if (!first) {
    return { message: 'Argument validation failed', extensions: { code: 'VALIDATION_FAILED' } };
  }
  // `value` and `target` from class-validator are dropped: they echo the whole input back.
  return {
    message: `Invalid value for "${first.field}": ${first.message} (rule ${first.rule})`,
    extensions: { code: 'VALIDATION_FAILED', field: first.field, rule: first.rule, violations },
  };
}

function flatten(errors: readonly ClassValidatorError[], prefix: string): Violation[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({ field, rule, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}
