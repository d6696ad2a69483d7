// PostgreSQL for the change-impact comparison: a private cluster of the machine's PostgreSQL (Debian's
// /usr/lib/postgresql/<v>/bin) in a temporary folder on a free port, the estate COPYed into two tables
// (ci, rel) indexed as a DBA would for this query, and the blast radius as a recursive CTE.
//
// The cluster runs as the current user, or as `postgres` through runuser when this process is root
// (initdb refuses root). stop() shuts it down and removes the folder; a process 'exit' hook stops it
// immediately should the benchmark crash.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { Estate } from './estate-generator';
import type { Impact, Propagation } from './impact-cypher';
import { fmt, freePort } from './bench-util';

export interface PgCluster {
  version: string;
  port: number;
  dir: string;
  settings: Record<string, string>;
  client: Client;
  stop(): Promise<void>;
}

function pgBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const v = versions.includes('15') ? '15' : versions[0];
  if (!v) throw new Error(`no PostgreSQL under ${root} (initdb, pg_ctl)`);
  return path.join(root, v, 'bin');
}

/**
 * Settings a DBA would give a read benchmark on this machine: buffers and memory comparable to Neo4j's
 * page cache, SSD costs, no JIT (it adds compile time to short queries); durability off for the load only
 * matters to the load, which is not what is compared.
 */
const SETTINGS: Record<string, string> = {
  shared_buffers: '2GB',
  effective_cache_size: '8GB',
  work_mem: '256MB',
  maintenance_work_mem: '1GB',
  random_page_cost: '1.1',
  jit: 'off',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: '0',
  max_wal_size: '8GB',
};

export async function startPostgres(log: (m: string) => void): Promise<PgCluster> {
  const bin = pgBin();
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : os.userInfo().username;
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { encoding: 'utf8' })
      : execFileSync(path.join(bin, cmd), args, { encoding: 'utf8' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-impact-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { mode: 0o700 });
  if (asRoot) execFileSync('chown', ['postgres:', data]);
  const port = await freePort();
  const ctl = (args: string[]) => run('pg_ctl', ['-D', data, ...args]);
  let started = false;
  const stopNow = () => {
    if (!started) return;
    const args = ['-D', data, 'stop', '-m', 'immediate', '-w'];
    if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
    else spawnSync(path.join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
    started = false;
  };
  process.on('exit', stopNow);
  try {
    run('initdb', ['-D', data, '-U', user, '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const conf = {
      ...SETTINGS,
      port: String(port),
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: "''",
    };
    fs.appendFileSync(
      path.join(data, 'postgresql.conf'),
      `\n# cmdb bench:impact\n${Object.entries(conf)
        .map(([k, v]) => `${k} = ${/^[0-9.]+[A-Za-z]*$|^'/.test(v) ? v : `'${v}'`}`)
        .join('\n')}\n`,
    );
    started = true;
    ctl(['-l', path.join(data, 'postgres.log'), '-w', '-t', '120', 'start']);
    const client = new Client({ host: '127.0.0.1', port, user, database: 'postgres' });
    await client.connect();
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    log(`postgres: ${rows[0].version.split(',')[0]} on 127.0.0.1:${port}, data in ${data}`);
    let stopped = false;
    return {
      version: rows[0].version,
      port,
      dir,
      settings: SETTINGS,
      client,
      async stop() {
        if (stopped) return;
        stopped = true;
        await client.end().catch(() => undefined);
        try {
          ctl(['stop', '-m', 'fast', '-w', '-t', '60']);
        } catch {
          stopNow();
        }
        started = false;
        process.removeListener('exit', stopNow);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    const logFile = path.join(data, 'postgres.log');
    if (fs.existsSync(logFile))
      log(`postgres log:\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')}`);
    stopNow();
    process.removeListener('exit', stopNow);
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function csv(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface PgLoad {
  cis: number;
  relations: number;
  csvSeconds: number;
  copySeconds: number;
  indexSeconds: number;
  analyzeSeconds: number;
  tableMiB: number;
  indexMiB: number;
}

/**
 * ci(id integer PRIMARY KEY, code UNIQUE, class, lifecycle, retired_at) and rel(src, dst, type, until),
 * btree (src, type) and (dst, type) on rel; both COPYed from CSV the generator's walk writes.
 */
export async function loadPostgres(pg: PgCluster, estate: Estate, log: (m: string) => void): Promise<PgLoad> {
  const t0 = performance.now();
  const ids = new Map<string, number>();
  const ciFile = path.join(pg.dir, 'ci.csv');
  const relFile = path.join(pg.dir, 'rel.csv');
  const ciOut = fs.createWriteStream(ciFile);
  let relations = 0;
  const relOut = fs.createWriteStream(relFile);
  const drain = (s: fs.WriteStream, text: string) =>
    s.write(text) ? Promise.resolve() : new Promise<void>((r) => s.once('drain', () => r()));
  for (const batch of estate.batches(10_000)) {
    let text = '';
    for (const c of batch.cis) {
      const id = ids.size + 1;
      ids.set(c.code, id);
      text += `${id},${csv(c.code)},${csv(c.class)},${csv(c.lifecycle ?? 'PLANNED')},\n`;
    }
    await drain(ciOut, text);
    text = '';
    for (const r of batch.relations) text += `${ids.get(r.source)},${ids.get(r.target)},${r.type},\n`;
    relations += batch.relations.length;
    await drain(relOut, text);
  }
  await Promise.all(
    [ciOut, relOut].map(
      (s) => new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve()))),
    ),
  );
  fs.chmodSync(ciFile, 0o644);
  fs.chmodSync(relFile, 0o644);
  const csvSeconds = (performance.now() - t0) / 1000;
  const q = (sql: string) => pg.client.query(sql);
  const t1 = performance.now();
  await q('BEGIN');
  await q(`CREATE TABLE ci (id integer PRIMARY KEY, code text NOT NULL UNIQUE, class text NOT NULL,
             lifecycle text NOT NULL, retired_at bigint)`);
  await q('CREATE TABLE rel (src integer NOT NULL, dst integer NOT NULL, type text NOT NULL, until bigint)');
  await q(`COPY ci FROM '${ciFile}' WITH (FORMAT csv, FREEZE)`);
  await q(`COPY rel FROM '${relFile}' WITH (FORMAT csv, FREEZE)`);
  await q('COMMIT');
  const copySeconds = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  await q('CREATE INDEX rel_src_type ON rel (src, type)');
  await q('CREATE INDEX rel_dst_type ON rel (dst, type)');
  const indexSeconds = (performance.now() - t2) / 1000;
  const t3 = performance.now();
  await q('VACUUM ANALYZE ci');
  await q('VACUUM ANALYZE rel');
  const analyzeSeconds = (performance.now() - t3) / 1000;
  const sizes = await pg.client.query<{ t: string; i: string }>(
    `SELECT pg_table_size('ci') + pg_table_size('rel') AS t, pg_indexes_size('ci') + pg_indexes_size('rel') AS i`,
  );
  fs.rmSync(ciFile);
  fs.rmSync(relFile);
  const load: PgLoad = {
    cis: ids.size,
    relations,
    csvSeconds: Math.round(csvSeconds * 10) / 10,
    copySeconds: Math.round(copySeconds * 10) / 10,
    indexSeconds: Math.round(indexSeconds * 10) / 10,
    analyzeSeconds: Math.round(analyzeSeconds * 10) / 10,
    tableMiB: Math.round(Number(sizes.rows[0].t) / 2 ** 20),
    indexMiB: Math.round(Number(sizes.rows[0].i) / 2 ** 20),
  };
  log(
    `postgres load: ${fmt(load.cis)} CIs + ${fmt(load.relations)} relationships: CSV ${load.csvSeconds} s, COPY ${load.copySeconds} s, ` +
      `indexes ${load.indexSeconds} s, VACUUM ANALYZE ${load.analyzeSeconds} s; tables ${fmt(load.tableMiB)} MiB, indexes ${fmt(load.indexMiB)} MiB`,
  );
  return load;
}

/**
 * The blast radius as one recursive CTE: each step expands the previous step's rows along live edges in
 * the direction of impact (a LATERAL pair of index scans, one per direction) to unretired CIs; UNION
 * drops repeated (CI, distance) rows, and the outer query keeps each CI once at its minimum distance.
 */
export const BLAST_CTE = `
  WITH RECURSIVE walk(id, d) AS (
    SELECT id, 0 FROM ci WHERE code = $1
    UNION
    SELECT n.id, w.d + 1
    FROM walk w
    CROSS JOIN LATERAL (
      SELECT r.src AS id FROM rel r WHERE r.dst = w.id AND r.type = ANY($3::text[]) AND r.until IS NULL
      UNION ALL
      SELECT r.dst AS id FROM rel r WHERE r.src = w.id AND r.type = ANY($4::text[]) AND r.until IS NULL
    ) n
    JOIN ci c ON c.id = n.id AND c.retired_at IS NULL
    WHERE w.d < $2
  ),
  reached AS (SELECT id, min(d) AS d FROM walk GROUP BY id)
  SELECT c.class, reached.d, count(*)::int AS count
  FROM reached JOIN ci c USING (id)
  WHERE reached.d > 0
  GROUP BY c.class, reached.d`;

export async function pgBlast(
  client: Client,
  p: Propagation,
  code: string,
  depth: number,
  timeoutMs: number,
): Promise<Impact | null> {
  await client.query(`SET statement_timeout = ${Math.round(timeoutMs)}`);
  try {
    const { rows } = await client.query<{ class: string; d: number; count: number }>(BLAST_CTE, [
      code,
      depth,
      p.incoming,
      p.outgoing,
    ]);
    const byClass: Record<string, number> = {};
    const byDistance: number[] = Array.from({ length: depth }, () => 0);
    let total = 0;
    for (const r of rows) {
      byClass[r.class] = (byClass[r.class] ?? 0) + r.count;
      byDistance[r.d - 1] += r.count;
      total += r.count;
    }
    while (byDistance.length && byDistance[byDistance.length - 1] === 0) byDistance.pop();
    return { total, byClass, byDistance };
  } catch (e) {
    if ((e as { code?: string }).code === '57014') return null; // statement_timeout
    throw e;
  } finally {
    await client.query('SET statement_timeout = 0');
  }
}

/** The plan of the CTE, for the result file. */
export async function pgExplain(client: Client, p: Propagation, code: string, depth: number): Promise<string> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${BLAST_CTE}`, [
    code,
    depth,
    p.incoming,
    p.outgoing,
  ]);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}
