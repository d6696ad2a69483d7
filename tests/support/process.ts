// What end-to-end tests share: the compiled service started as a real child process, its log
// captured for failure messages, and a look at the process table for the JVMs it leaves behind.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/config';

/** Settings of the host environment that must not leak into a service started with a chosen configuration. */
const SERVICE_ENV_PREFIXES = ['NEO4J_', 'EMBEDDED_NEO4J_', 'JWT_', 'GRAPHQL_'];
const SERVICE_ENV_NAMES = [
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'DEMO_ESTATE',
  'CMDB_PROJECT_ROOT',
  'NODE_ENV',
  'NODE_OPTIONS',
  'REQUEST_BODY_LIMIT',
];

/** process.env without the service's own settings, plus `env`. */
export function serviceEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (SERVICE_ENV_NAMES.includes(k) || SERVICE_ENV_PREFIXES.some((p) => k.startsWith(p))) continue;
    base[k] = v;
  }
  return { ...base, ...env };
}

/** Builds dist/ with `tsc -p tsconfig.build.json` when the compiled service is missing. */
export function ensureBuilt(entry = path.join(PROJECT_ROOT, 'dist', 'src', 'main.js')): string {
  if (fs.existsSync(entry)) return entry;
  const res = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (res.status !== 0 || !fs.existsSync(entry)) {
    throw new Error(`could not build ${entry} (tsc exit ${res.status ?? res.signal}):\n${res.stdout}\n${res.stderr}`);
  }
  return entry;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every stdout/stderr line so far, in arrival order, stderr lines prefixed with `[stderr] `. */
  lines: string[];
  /** Resolves once the process has exited (never rejects). */
  exited: Promise<Exit>;
  exit: Exit | null;
  startedAt: number;
  /** The last `n` output lines, for failure messages. */
  tail(n?: number): string;
  /** Polls GET /readyz until 200; rejects with the log tail on timeout or early exit. Resolves with the ms it took. */
  waitReady(timeoutMs?: number): Promise<number>;
  /** Resolves with the exit, or null when the process is still running after `timeoutMs`. */
  waitExit(timeoutMs: number): Promise<Exit | null>;
}

const started: ServiceProcess[] = [];

/** Starts `node <entry>` in the project root with exactly `env` on top of the cleaned host environment. */
export function startService(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  const port = env.PORT;
  if (!port) throw new Error('startService: env.PORT is required');
  const child = spawn(process.execPath, [entry], {
    cwd: PROJECT_ROOT,
    env: serviceEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`startService: could not spawn ${process.execPath} ${entry}`);
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream, prefix: string): void => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(prefix + buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      if (buf) lines.push(prefix + buf);
      buf = '';
    });
  };
  collect(child.stdout!, '');
  collect(child.stderr!, '[stderr] ');

  const svc: ServiceProcess = {
    name,
    pid: child.pid,
    child,
    url: `http://127.0.0.1:${port}`,
    lines,
    exit: null,
    startedAt: Date.now(),
    exited: new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        svc.exit = { code, signal };
        resolve(svc.exit);
      });
    }),
    tail(n = 60) {
      return `--- ${name} (pid ${child.pid}${svc.exit ? `, exited ${JSON.stringify(svc.exit)}` : ''}), last ${n} lines ---\n${lines.slice(-n).join('\n')}`;
    },
    async waitReady(timeoutMs = 120_000) {
      const t0 = Date.now();
      let last = 'no answer yet';
      while (Date.now() - t0 < timeoutMs) {
        if (svc.exit) throw new Error(`${name} exited before it was ready: ${JSON.stringify(svc.exit)}\n${svc.tail()}`);
        try {
          const res = await fetch(`${svc.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
          last = `${res.status} ${await res.text()}`;
          if (res.status === 200) return Date.now() - t0;
        } catch (e) {
          last = (e as Error).message;
        }
        await sleep(250);
      }
      throw new Error(`${name} not ready within ${timeoutMs} ms (last /readyz: ${last})\n${svc.tail()}`);
    },
    async waitExit(timeoutMs) {
      if (svc.exit) return svc.exit;
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        svc.exited,
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      return result;
    },
  };
  started.push(svc);
  return svc;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true; resolves with the ms it took, or null after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs: number, intervalMs = 200): Promise<number | null> {
  const t0 = Date.now();
  for (;;) {
    if (check()) return Date.now() - t0;
    if (Date.now() - t0 >= timeoutMs) return null;
    await sleep(intervalMs);
  }
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  args: string;
}

/**
 * Live processes (zombies excluded: once a process has exited it is no longer running, even if its
 * new parent has not reaped it yet) whose command line contains `needle`. Reads /proc on Linux and
 * falls back to `ps -ww` elsewhere.
 */
export function processesWith(needle: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  if (fs.existsSync('/proc/self/cmdline')) {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
        if (!args.includes(needle)) continue;
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        // pid (comm) state ppid …; comm may hold spaces and parentheses, so split after the last ')'.
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (state === 'Z' || state === 'X') continue;
        found.push({ pid: Number(entry), ppid: Number(ppid), args });
      } catch {
        // gone while we looked
      }
    }
    return found;
  }
  const res = spawnSync('ps', ['-ww', '-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' });
  for (const line of (res.stdout ?? '').split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (m && m[4].includes(needle) && !m[3].startsWith('Z'))
      found.push({ pid: Number(m[1]), ppid: Number(m[2]), args: m[4] });
  }
  return found;
}

/** The JVMs (embedded Neo4j launchers) running on `dataDir`. */
export function javaProcessesFor(dataDir: string): ProcessInfo[] {
  return processesWith(dataDir).filter(
    (p) => /(^|\/)java(\s|$)/.test(p.args.split(' ')[0]) || p.args.includes('cmdb.EmbeddedNeo4j'),
  );
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * For afterAll: SIGKILLs every service this file started that still runs, and every JVM on the
 * given data dirs, each by its pid; then waits (bounded) for them to go.
 */
export async function killEverything(dataDirs: string[] = []): Promise<void> {
  for (const svc of started) {
    if (!svc.exit) killPid(svc.pid, 'SIGKILL');
  }
  await Promise.all(started.map((svc) => svc.waitExit(10_000)));
  for (const dir of dataDirs) {
    for (const p of javaProcessesFor(dir)) killPid(p.pid, 'SIGKILL');
  }
  await waitUntil(() => dataDirs.every((dir) => javaProcessesFor(dir).length === 0), 10_000);
}
