// What the benchmark scripts share: flags, the machine they ran on, and where results go.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { format } from 'prettier';

/** `--name value` and `--flag` pairs; every value is read through `number()`/`text()`/`flag()`. */
export class Flags {
  private readonly values = new Map<string, string | true>();

  constructor(argv: string[] = process.argv.slice(2)) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
      const [name, inline] = a.slice(2).split('=', 2);
      if (inline !== undefined) this.values.set(name, inline);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) this.values.set(name, argv[++i]);
      else this.values.set(name, true);
    }
  }

  number(name: string, fallback: number): number {
    const raw = this.values.get(name);
    if (raw === undefined) return fallback;
    const value = Number(String(raw).replace(/_/g, ''));
    if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got ${String(raw)}`);
    return value;
  }

  /** A comma-separated list of numbers: `--batch 2000,5000,10000`. */
  numbers(name: string, fallback: number[]): number[] {
    const raw = this.values.get(name);
    if (raw === undefined || raw === true) return fallback;
    return raw.split(',').map((v) => {
      const n = Number(v.replace(/_/g, ''));
      if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must list positive integers, got ${raw}`);
      return n;
    });
  }

  text(name: string, fallback: string): string {
    const raw = this.values.get(name);
    return raw === undefined || raw === true ? fallback : raw;
  }

  flag(name: string): boolean {
    return this.values.get(name) !== undefined && this.values.get(name) !== 'false';
  }
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  java: string;
  platform: string;
}

export function machine(): Machine {
  let java = 'unknown';
  try {
    java = execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
  } catch (e) {
    // java -version writes to stderr; execFileSync puts it on the error when the exit code is 0 too on some JDKs.
    const err = e as { stderr?: string };
    if (err.stderr) java = err.stderr.split('\n')[0];
  }
  if (java === 'unknown' || java === '') {
    const out = execFileSync('sh', ['-c', 'java -version 2>&1'], { encoding: 'utf8' });
    java = out.split('\n')[0];
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    java: java.trim(),
    platform: `${os.platform()} ${os.release()}`,
  };
}

export const BENCH_DIR = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../bench' : '.',
);

/** Writes a result file under bench/results, formatted as Prettier would (so `npm run lint` stays clean). */
export async function writeResult(name: string, data: unknown): Promise<string> {
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, await format(JSON.stringify(data), { parser: 'json', printWidth: 120 }));
  return file;
}

export function stamp(d = new Date()): string {
  return d.toISOString().replace(/:/g, '').replace(/\..*$/, 'Z');
}

/** A plain-text table, right-aligned numbers. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) < 10 ? 2 : 0 });
}

/** A free TCP port on the loopback interface, for a private Neo4j or PostgreSQL. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('node:net').AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
