// Structured logging: one pino JSON logger for the service, the CLI and the jobs, plus the
// per-request scope that stamps every line written during a request with its request id.

import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

interface RequestScope {
  requestId: string;
}

/**
 * Set by the HTTP layer around each request. Kept here rather than in the server so that a
 * service deep in the call chain logs with the request id without having it passed down.
 */
export const requestScope = new AsyncLocalStorage<RequestScope>();

export function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}

/**
 * Secrets and client data that must never reach a log line even when someone logs a whole
 * request or error object by mistake: tokens, passwords, and GraphQL variables (they carry
 * CI attributes that may be confidential).
 */
const REDACT = [
  'authorization',
  'req.headers.authorization',
  'headers.authorization',
  '*.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'variables',
  '*.variables',
];

export function createLogger(level: string = 'info', destination?: DestinationStream): Logger {
  const options = {
    // An unknown level would make pino throw at import time; config validation reports it properly.
    level: LEVELS.includes(level) ? level : 'info',
    base: { service: 'cmdb' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The process-wide logger; LOG_LEVEL is read directly so it works before config is loaded. */
export const logger: Logger = createLogger(process.env.LOG_LEVEL || 'info');
