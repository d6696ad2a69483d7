// Ordered `.cypher` files from migrations/, each applied once and recorded with its checksum.
// An applied file that was edited afterwards stops the start: history must not be rewritten.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Executor } from './executor';

export interface Migration {
  name: string;
  checksum: string;
  statements: string[];
}

export class MigrationError extends Error {}

const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.cypher$/;

/** Splits a migration into statements on `;` at line ends; `//` comment lines are dropped. */
export function parseStatements(text: string): string[] {
  const body = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
  return body
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function readMigrations(dir: string): Migration[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cypher'))
    .sort();
  return files.map((name) => {
    if (!FILE_PATTERN.test(name))
      throw new MigrationError(`migration file name ${name} must look like 0001_what.cypher`);
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    return { name, checksum: createHash('sha256').update(text).digest('hex'), statements: parseStatements(text) };
  });
}

export interface MigrateOptions {
  log?: (msg: string) => void;
  /** Label of the nodes that record applied migrations; tests use their own to stay apart. */
  ledger?: string;
}

/** Applies what is pending; returns the names applied now. Safe to run from several replicas at once. */
export async function migrate(executor: Executor, dir: string, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => {});
  const ledger = options.ledger ?? 'Migration';
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(ledger)) throw new MigrationError(`invalid ledger label ${ledger}`);
  await executor.write((tx) =>
    tx.run(`CREATE CONSTRAINT ${ledger.toLowerCase()}_name IF NOT EXISTS FOR (m:${ledger}) REQUIRE m.name IS UNIQUE`),
  );
  const migrations = readMigrations(dir);
  const applied = new Map(
    (await executor.query(`MATCH (m:${ledger}) RETURN m.name AS name, m.checksum AS checksum`)).map((r) => [
      r.name as string,
      r.checksum as string,
    ]),
  );
  for (const [name] of applied) {
    if (!migrations.some((m) => m.name === name)) {
      throw new MigrationError(`migration ${name} is recorded in the database but its file is missing from ${dir}`);
    }
  }
  const done: string[] = [];
  for (const m of migrations) {
    const recorded = applied.get(m.name);
    if (recorded !== undefined) {
      if (recorded !== m.checksum) {
        throw new MigrationError(
          `migration ${m.name} was edited after it was applied (checksum ${recorded.slice(0, 12)} in the database, ${m.checksum.slice(0, 12)} on disk): add a new migration instead`,
        );
      }
      continue;
    }
    // Schema statements cannot share a transaction with data writes: one transaction each.
    for (const statement of m.statements) await executor.write((tx) => tx.run(statement));
    await executor.write((tx) =>
      tx.run(`MERGE (m:${ledger} {name: $name}) ON CREATE SET m.checksum = $checksum, m.appliedAt = $at`, {
        name: m.name,
        checksum: m.checksum,
        at: Date.now(),
      }),
    );
    log(`applied migration ${m.name}`);
    done.push(m.name);
  }
  await executor.query('CALL db.awaitIndexes(300)');
  return done;
}
