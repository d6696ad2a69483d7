// Configuration from the environment, validated once at start: a wrong value stops the service
// with a message naming the variable. Every variable is listed in the README.

import path from 'node:path';
import { validate as validateCron } from 'node-cron';

export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  logLevel: string;
  neo4j: {
    /** Absent: boot the embedded Neo4j. */
    uri?: string;
    username?: string;
    password?: string;
    database?: string;
    embedded: { dataDir: string; boltPort: number; heap: string; pagecache: string };
    /** Server-side time-out for one transaction, milliseconds. */
    queryTimeoutMs: number;
  };
  auth: {
    /** HS256 shared secret; or RS256/ES256 public key (PEM) for verification. */
    jwtSecret?: string;
    jwtPublicKey?: string;
    issuer?: string;
    audience?: string;
  };
  graphql: {
    maxDepth: number;
    maxCost: number;
    maxAliases: number;
    maxTokens: number;
    bodyLimit: string;
    introspection: boolean;
  };
  oplog: {
    /** Days the operation log is kept before a purge may delete entries; at least six months. */
    retentionDays: number;
    /** When the retention job runs (cron expression). */
    purgeCron: string;
  };
  discovery: {
    /** Hours without a report after which a CI its source maintained is flagged stale. */
    staleHours: number;
  };
  audit: {
    /** Whether `npm start` schedules the audit jobs (the annual audit, the scenario scan). */
    jobsEnabled: boolean;
    /** When the annual audit runs (cron expression, server time). */
    annualCron: string;
    /** The annual audit's classes, each with its sampling ratio and minimum count. */
    annualClasses: { class: string; ratio: number; minimum: number }[];
    /** How often the operation log is scanned for scenario events (cron expression). */
    scenarioCron: string;
    /** The causes of a difference an auditor may record. */
    causes: string[];
  };
  /** Keep the failure topology in memory for blast radius and root-cause walks (loaded at start). */
  topologyInMemory: boolean;
  /** TOPOLOGY_MAX_LAG_MS: how long a walk may trust the last head check for writes of other processes. */
  topologyMaxLagMs: number;
  /** `auto`: load the demo estate into an empty embedded database. */
  demoEstate: 'auto' | 'always' | 'never';
  projectRoot: string;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 1, max = 2 ** 31): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function cronExpression(env: Env, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  if (!validateCron(raw)) throw new ConfigError(`${name} must be a cron expression such as "30 3 * * *", got "${raw}"`);
  return raw;
}

/** §9.1.5.1 e: operation logs are kept at least six months. */
export const MIN_OPLOG_RETENTION_DAYS = 183;

function retentionDays(env: Env): number {
  const raw = env.OPLOG_RETENTION_DAYS;
  if (raw === undefined || raw === '') return MIN_OPLOG_RETENTION_DAYS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < MIN_OPLOG_RETENTION_DAYS || value > 36_500) {
    throw new ConfigError(
      `OPLOG_RETENTION_DAYS must be a whole number of days from ${MIN_OPLOG_RETENTION_DAYS} (six months, the minimum of JR/T 0079—2025 §9.1.5.1 e) to 36500, got "${raw}"`,
    );
  }
  return value;
}

/** `Class[:ratio[:minimum]]`, comma-separated, e.g. `VirtualMachine:0.1:3,Database`; ratio 0.1 and minimum 3 by default. */
function auditClasses(env: Env): { class: string; ratio: number; minimum: number }[] {
  const raw = env.AUDIT_ANNUAL_CLASSES || 'BusinessSystem,Software,Hardware';
  return raw.split(',').map((part) => {
    const [name, ratio = '0.1', minimum = '3'] = part.trim().split(':');
    const r = Number(ratio);
    const m = Number(minimum);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(name ?? '') || !(r > 0 && r <= 1) || !Number.isInteger(m) || m < 0) {
      throw new ConfigError(
        `AUDIT_ANNUAL_CLASSES must list Class[:ratio[:minimum]] (ratio above 0 up to 1, minimum a whole number), e.g. "VirtualMachine:0.1:3,Database"; got "${raw}"`,
      );
    }
    return { class: name, ratio: r, minimum: m };
  });
}

function auditCauses(env: Env): string[] {
  const raw = env.AUDIT_CAUSES || 'UNRECORDED_CHANGE,DISCOVERY_GAP,MANUAL_ERROR,DECOMMISSION_NOT_RECORDED,OTHER';
  const causes = raw.split(',').map((c) => c.trim());
  if (causes.some((c) => !/^[A-Z][A-Z0-9_]{0,63}$/.test(c))) {
    throw new ConfigError(`AUDIT_CAUSES must list UPPER_CASE names separated by commas, got "${raw}"`);
  }
  return causes;
}

export const PROJECT_ROOT = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..',
);

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const uri = env.NEO4J_URI || undefined;
  if (uri && !/^(neo4j|bolt)(\+s|\+ssc)?:\/\/./.test(uri)) {
    throw new ConfigError(`NEO4J_URI must be a neo4j:// or bolt:// URI, got "${uri}"`);
  }
  if (!uri && (env.NEO4J_USERNAME || env.NEO4J_PASSWORD)) {
    throw new ConfigError('NEO4J_USERNAME/NEO4J_PASSWORD are set but NEO4J_URI is not');
  }
  const jwtSecret = env.JWT_SECRET || undefined;
  const jwtPublicKey = env.JWT_PUBLIC_KEY || undefined;
  if (jwtSecret && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 characters');
  }
  if (nodeEnv === 'production' && !jwtSecret && !jwtPublicKey) {
    throw new ConfigError('JWT_SECRET or JWT_PUBLIC_KEY is required when NODE_ENV=production');
  }
  const root = env.CMDB_PROJECT_ROOT || PROJECT_ROOT;
  return {
    env: nodeEnv,
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 4000, 0, 65535),
    logLevel: oneOf(env, 'LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, 'info'),
    neo4j: {
      uri,
      username: env.NEO4J_USERNAME || undefined,
      password: env.NEO4J_PASSWORD || undefined,
      database: env.NEO4J_DATABASE || undefined,
      embedded: {
        dataDir: path.resolve(root, env.EMBEDDED_NEO4J_DATA_DIR || 'data/neo4j'),
        boltPort: int(env, 'EMBEDDED_NEO4J_BOLT_PORT', 7687, 1, 65535),
        heap: env.EMBEDDED_NEO4J_HEAP || '1g',
        pagecache: env.EMBEDDED_NEO4J_PAGECACHE || '512m',
      },
      queryTimeoutMs: int(env, 'NEO4J_QUERY_TIMEOUT_MS', 30_000),
    },
    auth: {
      jwtSecret,
      jwtPublicKey,
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
    },
    graphql: {
      maxDepth: int(env, 'GRAPHQL_MAX_DEPTH', 10),
      maxCost: int(env, 'GRAPHQL_MAX_COST', 5_000),
      maxAliases: int(env, 'GRAPHQL_MAX_ALIASES', 20),
      maxTokens: int(env, 'GRAPHQL_MAX_TOKENS', 5_000),
      bodyLimit: env.REQUEST_BODY_LIMIT || '2mb',
      introspection: bool(env, 'GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
    },
    oplog: { retentionDays: retentionDays(env), purgeCron: cronExpression(env, 'OPLOG_PURGE_CRON', '30 3 * * *') },
    discovery: { staleHours: int(env, 'DISCOVERY_STALE_HOURS', 72, 1, 24 * 365) },
    audit: {
      jobsEnabled: bool(env, 'AUDIT_JOBS_ENABLED', true),
      annualCron: cronExpression(env, 'AUDIT_ANNUAL_CRON', '0 2 1 1 *'),
      annualClasses: auditClasses(env),
      scenarioCron: cronExpression(env, 'AUDIT_SCENARIO_CRON', '*/5 * * * *'),
      causes: auditCauses(env),
    },
    topologyInMemory: bool(env, 'TOPOLOGY_IN_MEMORY', true),
    topologyMaxLagMs: int(env, 'TOPOLOGY_MAX_LAG_MS', 100, 0, 60_000),
    demoEstate: oneOf(env, 'DEMO_ESTATE', ['auto', 'always', 'never'] as const, 'auto'),
    projectRoot: root,
  };
}
