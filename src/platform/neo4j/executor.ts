// The only door to Neo4j: one driver, read and write transaction functions, sessions closed in
// `finally`, transaction metadata and time-outs set. Records come back as plain objects.

import neo4j, { type Driver, type ManagedTransaction } from 'neo4j-driver';
import { TimeLimitError } from '../errors';
import { toPlain, type Plain } from './mappers';

export type Row = Record<string, Plain>;

/** What a transaction function gets: run parameterised Cypher, get plain rows. */
export interface Tx {
  run(cypher: string, params?: Record<string, unknown>): Promise<Row[]>;
}

export interface ExecutorOptions {
  database?: string;
  queryTimeoutMs: number;
}

export class Executor {
  /** Called after each write transaction of this executor commits (the in-memory topology listens). */
  readonly afterCommit: (() => void)[] = [];

  constructor(
    readonly driver: Driver,
    private readonly options: ExecutorOptions,
  ) {}

  /** A read transaction function; retried by the driver on transient errors, so it must be idempotent. */
  async read<T>(work: (tx: Tx) => Promise<T>, metadata: Record<string, unknown> = {}): Promise<T> {
    const session = this.driver.session({ database: this.options.database, defaultAccessMode: neo4j.session.READ });
    try {
      return await session.executeRead((tx) => work(wrap(tx)), this.txConfig(metadata));
    } catch (error) {
      throw this.timeLimit(error);
    } finally {
      await session.close();
    }
  }

  /** A write transaction function: all or nothing, retried on transient errors (deadlocks too). */
  async write<T>(work: (tx: Tx) => Promise<T>, metadata: Record<string, unknown> = {}): Promise<T> {
    const session = this.driver.session({ database: this.options.database, defaultAccessMode: neo4j.session.WRITE });
    try {
      const result = await session.executeWrite((tx) => work(wrap(tx)), this.txConfig(metadata));
      for (const listener of this.afterCommit) listener();
      return result;
    } catch (error) {
      throw this.timeLimit(error);
    } finally {
      await session.close();
    }
  }

  /**
   * A read whose rows are handed over one by one as they arrive, never held together: for scans of the
   * whole graph (the in-memory failure topology). Not retried: `onRow` may have seen rows already.
   */
  async stream(
    cypher: string,
    params: Record<string, unknown>,
    onRow: (row: Row) => void,
    timeoutMs = this.options.queryTimeoutMs,
  ): Promise<number> {
    const session = this.driver.session({ database: this.options.database, defaultAccessMode: neo4j.session.READ });
    const tx = await session.beginTransaction({ timeout: timeoutMs, metadata: { app: 'insurance-cmdb' } });
    let rows = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        tx.run(cypher, params).subscribe({
          onNext: (record) => {
            const row: Row = {};
            for (const key of record.keys) row[String(key)] = toPlain(record.get(key));
            rows++;
            onRow(row);
          },
          onCompleted: () => resolve(),
          onError: reject,
        });
      });
      await tx.commit();
      return rows;
    } catch (error) {
      if (tx.isOpen()) await tx.rollback();
      throw this.timeLimit(error);
    } finally {
      await session.close();
    }
  }

  /** Shorthand for a single read query. */
  query(cypher: string, params: Record<string, unknown> = {}): Promise<Row[]> {
    return this.read((tx) => tx.run(cypher, params));
  }

  async ping(): Promise<void> {
    await this.driver.verifyConnectivity({ database: this.options.database });
    await this.query('RETURN 1 AS ok');
  }

  async close(): Promise<void> {
    await this.driver.close();
  }

  /** A transaction stopped by its time-out becomes a refusal that says so, instead of an internal error. */
  private timeLimit(error: unknown): unknown {
    const code = (error as { code?: unknown })?.code;
    if (typeof code !== 'string' || !code.includes('TransactionTimedOut')) return error;
    return new TimeLimitError(
      `the request took longer than the database time-out (NEO4J_QUERY_TIMEOUT_MS, ${this.options.queryTimeoutMs} ms) and was stopped; narrow it (fewer CIs, a smaller maxDepth, relation types to skip, classes to stop at) or ask an operator to raise the limit`,
      { limitMs: this.options.queryTimeoutMs },
    );
  }

  private txConfig(metadata: Record<string, unknown>) {
    return { timeout: this.options.queryTimeoutMs, metadata: { app: 'insurance-cmdb', ...metadata } };
  }
}

function wrap(tx: ManagedTransaction): Tx {
  return {
    async run(cypher, params = {}) {
      const result = await tx.run(cypher, params);
      return result.records.map((record) => {
        const row: Row = {};
        for (const key of record.keys) row[String(key)] = toPlain(record.get(key));
        return row;
      });
    },
  };
}

export function createDriver(uri: string, username?: string, password?: string): Driver {
  const auth = username ? neo4j.auth.basic(username, password ?? '') : undefined;
  return neo4j.driver(uri, auth, {
    disableLosslessIntegers: false,
    maxConnectionPoolSize: 50,
    connectionAcquisitionTimeout: 30_000,
    userAgent: 'insurance-cmdb',
  });
}
