// Embedded Neo4j: runs Neo4j Community 5.26 in a child JVM (neo4j/src/main/java/cmdb/EmbeddedNeo4j.java)
// with Bolt on 127.0.0.1 only and auth disabled, and hands back its bolt:// URI.
//
// Lifetime: the child reads its stdin until EOF and exits when the pipe closes, so a crash (even SIGKILL)
// of this Node process never leaves a JVM behind. stop() shuts it down cleanly; a process 'exit' handler
// SIGKILLs it as a last resort. No SIGINT/SIGTERM handlers are installed here: the service's main owns
// those and calls stop().

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface EmbeddedNeo4jOptions {
  /** Neo4j home for the embedded DBMS: data/ (stores, transactions) and logs/ are created inside. */
  dataDir: string;
  /** Bolt port on 127.0.0.1. */
  boltPort: number;
  /** Page cache size in Neo4j syntax, e.g. '512m' (default '512m'). */
  pagecache?: string;
  /** JVM max heap, e.g. '1g' (default '1g'). */
  heap?: string;
  /** Folder holding package.json and neo4j/pom.xml; found upward from this file when absent. */
  projectRoot?: string;
  /** Receives progress and the JVM's stderr lines. */
  log?: (msg: string) => void;
  /** How long to wait for the READY line (default 120 000 ms). */
  startTimeoutMs?: number;
  /** Server-side transaction time-out, db.transaction.timeout (default 60 000 ms; 0 disables it). */
  txTimeoutMs?: number;
}

export interface EmbeddedNeo4j {
  /** bolt://127.0.0.1:<port> */
  uri: string;
  /** Clean shutdown (stdin EOF + SIGTERM, SIGKILL after 30 s). Idempotent. */
  stop(): Promise<void>;
  pid: number;
}

const LAUNCHER_JAR = path.join('neo4j', 'target', 'embedded-neo4j.jar');
const LAUNCHER_LIB = path.join('neo4j', 'target', 'lib');
const LAUNCHER_POM = path.join('neo4j', 'pom.xml');
const LAUNCHER_SRC = path.join('neo4j', 'src');
const MAIN_CLASS = 'cmdb.EmbeddedNeo4j';

/** From Neo4j 5.26's conf/neo4j.conf (server.jvm.additional), minus profiling-only flags. */
const JVM_FLAGS: readonly string[] = [
  '-XX:+UseG1GC',
  '-XX:-OmitStackTraceInFastThrow',
  '-XX:+UnlockExperimentalVMOptions',
  '-XX:+TrustFinalNonStaticFields',
  '-XX:+DisableExplicitGC',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djdk.nio.maxCachedBufferSize=1024',
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dio.netty.leakDetection.level=DISABLED',
  '-Dlog4j2.disable.jmx=true',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
  '--enable-native-access=ALL-UNNAMED',
];

const STOP_GRACE_MS = 30_000;
const STDERR_TAIL_LINES = 40;
const BUILD_LOCK_STALE_MS = 15 * 60_000;

const noop = (): void => undefined;

/** The folder containing package.json (and, preferably, neo4j/pom.xml), searched upward from `from`. */
function findProjectRoot(from: string = __dirname): string {
  let firstWithPackageJson: string | undefined;
  let dir = path.resolve(from);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      // dist/ may hold a copied package.json (resolveJsonModule); the real root also has neo4j/pom.xml.
      if (fs.existsSync(path.join(dir, LAUNCHER_POM))) return dir;
      firstWithPackageJson ??= dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (firstWithPackageJson) return firstWithPackageJson;
  throw new Error(`embedded Neo4j: no package.json found in ${from} or any parent folder`);
}

function mtimeMs(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Newest mtime of the pom and every file under neo4j/src. */
function newestSourceMtime(projectRoot: string): number {
  let newest = mtimeMs(path.join(projectRoot, LAUNCHER_POM)) ?? 0;
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, mtimeMs(p) ?? 0);
    }
  };
  walk(path.join(projectRoot, LAUNCHER_SRC));
  return newest;
}

function launcherStaleReason(projectRoot: string): string | undefined {
  const jarMtime = mtimeMs(path.join(projectRoot, LAUNCHER_JAR));
  if (jarMtime === undefined) return `${LAUNCHER_JAR} is missing`;
  const lib = path.join(projectRoot, LAUNCHER_LIB);
  let libJars: string[];
  try {
    libJars = fs.readdirSync(lib).filter((f) => f.endsWith('.jar'));
  } catch {
    return `${LAUNCHER_LIB} is missing`;
  }
  if (libJars.length === 0) return `${LAUNCHER_LIB} is empty`;
  if (newestSourceMtime(projectRoot) > jarMtime) return `${LAUNCHER_POM} or Java sources are newer than the jar`;
  return undefined;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds the Java launcher with Maven (`mvn -q -B -f neo4j/pom.xml package -DskipTests`), synchronously,
 * only when neo4j/target/embedded-neo4j.jar or neo4j/target/lib is missing or the pom/Java sources are
 * newer than the jar. A lock directory keeps concurrent callers (e.g. parallel test workers) from running
 * two builds in the same target folder. Throws with Maven's output when the build fails.
 */
export function ensureLauncherBuilt(projectRoot: string, log: (m: string) => void = noop): void {
  if (launcherStaleReason(projectRoot) === undefined) return;

  const targetDir = path.join(projectRoot, 'neo4j', 'target');
  fs.mkdirSync(targetDir, { recursive: true });
  const lockDir = path.join(targetDir, '.build-lock');
  const waitStart = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const lockAge = Date.now() - (mtimeMs(lockDir) ?? Date.now());
      if (lockAge > BUILD_LOCK_STALE_MS) {
        log(`embedded Neo4j: removing stale build lock ${lockDir}`);
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - waitStart > BUILD_LOCK_STALE_MS) {
        throw new Error(`embedded Neo4j: timed out waiting for another build to release ${lockDir}`, { cause: err });
      }
      sleepSync(500);
    }
  }

  try {
    // Another process may have finished the build while we waited for the lock.
    const reason = launcherStaleReason(projectRoot);
    if (reason === undefined) return;
    log(
      `embedded Neo4j: building the launcher with Maven (${reason})` +
        (reason.startsWith(LAUNCHER_LIB) ? '; the first build downloads ~125 MB from Maven Central' : ''),
    );
    const started = Date.now();
    const res = spawnSync('mvn', ['-q', '-B', '-f', path.join(projectRoot, LAUNCHER_POM), 'package', '-DskipTests'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (res.error) {
      const code = (res.error as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? 'embedded Neo4j: Maven (mvn) is not on PATH; it is needed once to build neo4j/target/embedded-neo4j.jar'
          : `embedded Neo4j: could not run mvn: ${res.error.message}`,
      );
    }
    if (res.status !== 0) {
      const output = `${res.stdout ?? ''}\n${res.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
      throw new Error(
        `embedded Neo4j: 'mvn -f ${LAUNCHER_POM} package' failed (exit ${res.status ?? res.signal}):\n${output}`,
      );
    }
    const after = launcherStaleReason(projectRoot);
    if (after !== undefined) throw new Error(`embedded Neo4j: Maven succeeded but ${after}`);
    log(`embedded Neo4j: launcher built in ${Date.now() - started} ms`);
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Resolves when 127.0.0.1:port can be bound, rejects with a message naming the port otherwise. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `embedded Neo4j: bolt port 127.0.0.1:${port} is already in use (another Neo4j or service is listening)`
            : `embedded Neo4j: cannot bind bolt port 127.0.0.1:${port}: ${err.message}`,
        ),
      );
    });
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** The launcher jar and its dependencies: Neo4j, and neo4j-admin's AdminTool with it. */
function launcherClasspath(projectRoot: string): string {
  return [path.join(projectRoot, LAUNCHER_JAR), path.join(projectRoot, LAUNCHER_LIB, '*')].join(path.delimiter);
}

function javaExecutable(): string {
  const javaHome = process.env.JAVA_HOME;
  if (javaHome) {
    const candidate = path.join(javaHome, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (fs.existsSync(candidate)) return candidate;
  }
  return 'java';
}

/** Calls `onLine` for every complete line of a stream. */
function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  });
  stream.on('end', () => {
    if (buf.length > 0) onLine(buf);
    buf = '';
  });
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Starts Neo4j in a child JVM and resolves once its default database is available over Bolt.
 * Rejects (and kills the child) when the port is taken, the store is locked, the JVM exits early, or
 * startup takes longer than startTimeoutMs.
 */
export async function startEmbeddedNeo4j(opts: EmbeddedNeo4jOptions): Promise<EmbeddedNeo4j> {
  const log = opts.log ?? noop;
  const projectRoot = path.resolve(opts.projectRoot ?? findProjectRoot());
  const dataDir = path.resolve(opts.dataDir);
  const port = opts.boltPort;
  const heap = opts.heap ?? '1g';
  const pagecache = opts.pagecache ?? '512m';
  const startTimeoutMs = opts.startTimeoutMs ?? 120_000;
  const txTimeoutMs = opts.txTimeoutMs ?? 60_000;

  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`embedded Neo4j: invalid bolt port ${String(port)}`);
  }

  ensureLauncherBuilt(projectRoot, log);
  fs.mkdirSync(dataDir, { recursive: true });
  await assertPortFree(port);

  const classpath = launcherClasspath(projectRoot);
  const args = [
    ...JVM_FLAGS,
    `-Xmx${heap}`,
    '-cp',
    classpath,
    MAIN_CLASS,
    '--data-dir',
    dataDir,
    '--bolt-port',
    String(port),
    '--pagecache',
    pagecache,
    '--tx-timeout',
    // 0 (or less) disables the time-out, as db.transaction.timeout=0 does in Neo4j.
    txTimeoutMs > 0 ? `${Math.max(1, Math.round(txTimeoutMs))}ms` : '0s',
    // The JVM's own watchdog is a little longer than ours so that our timeout message wins.
    '--start-timeout',
    `${Math.ceil(startTimeoutMs / 1000) + 5}s`,
  ];

  const started = Date.now();
  log(`embedded Neo4j: starting on 127.0.0.1:${port}, data in ${dataDir}`);
  const child = spawn(javaExecutable(), args, {
    cwd: projectRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: process.env,
  });

  // Last resort for crashes of this process: kill the JVM synchronously on 'exit'. (If Node is
  // SIGKILLed this does not run; the JVM then sees EOF on stdin and exits by itself.)
  const onProcessExit = (): void => {
    if (isRunning(child)) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', onProcessExit);

  const stderrTail: string[] = [];
  let failedMessage: string | undefined;
  let ready = false;

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      process.removeListener('exit', onProcessExit);
      resolve({ code, signal });
    });
  });
  // EPIPE when the JVM is already gone and we end its stdin: not interesting.
  child.stdin?.on('error', noop);

  // Keep draining both streams for the JVM's whole life so it never blocks on a full pipe.
  onLines(child.stderr!, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    log(`[neo4j] ${line}`);
  });

  const readyPromise = new Promise<void>((resolve, reject) => {
    onLines(child.stdout!, (line) => {
      if (line.startsWith('NEO4J_READY')) {
        ready = true;
        resolve();
      } else if (line.startsWith('NEO4J_FAILED')) {
        failedMessage = line.slice('NEO4J_FAILED'.length).trim();
        reject(new Error(`embedded Neo4j failed to start: ${failedMessage}`));
      } else if (line.length > 0) {
        log(`[neo4j:stdout] ${line}`);
      }
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'ENOENT'
            ? `embedded Neo4j: cannot run '${javaExecutable()}' (Java 17+ is required; set JAVA_HOME or PATH)`
            : `embedded Neo4j: cannot start the JVM: ${err.message}`,
        ),
      );
    });
    // 'close' (not 'exit'): all of stdout/stderr has been read, so a FAILED line has been seen by now.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (ready || failedMessage !== undefined) return;
      const tail = stderrTail.slice(-15).join('\n');
      reject(
        new Error(
          `embedded Neo4j exited before it was ready (${signal ? `signal ${signal}` : `exit code ${code}`})` +
            (tail ? `:\n${tail}` : ''),
        ),
      );
    });
  });

  let stopPromise: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopPromise ??= (async () => {
      if (!isRunning(child)) {
        await exited;
        return;
      }
      log(`embedded Neo4j: stopping (pid ${child.pid})`);
      child.stdin?.end();
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), STOP_GRACE_MS);
        }),
      ]);
      if (timer) clearTimeout(timer);
      if (timedOut && isRunning(child)) {
        log(`embedded Neo4j: did not stop within ${STOP_GRACE_MS} ms, sending SIGKILL`);
        child.kill('SIGKILL');
        await exited;
      }
      log('embedded Neo4j: stopped');
    })();
    return stopPromise;
  };

  let startTimer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    startTimer = setTimeout(
      () => reject(new Error(`embedded Neo4j did not become ready on 127.0.0.1:${port} within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
  });

  try {
    await Promise.race([readyPromise, timeout]);
  } catch (err) {
    if (child.pid !== undefined && isRunning(child)) {
      child.kill('SIGKILL');
      await exited;
    }
    process.removeListener('exit', onProcessExit);
    throw err;
  } finally {
    if (startTimer) clearTimeout(startTimer);
  }

  void exited.then(({ code, signal }) => {
    if (stopPromise === undefined) {
      log(`embedded Neo4j: JVM exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`);
    }
  });

  log(`embedded Neo4j: ready at bolt://127.0.0.1:${port} in ${Date.now() - started} ms (pid ${child.pid})`);
  return { uri: `bolt://127.0.0.1:${port}`, stop, pid: child.pid! };
}

export interface Neo4jAdminOptions {
  /** The embedded store's folder (its Neo4j home), as `startEmbeddedNeo4j` takes it. */
  dataDir: string;
  /** Arguments after `neo4j-admin`, e.g. `['database', 'import', 'full', …]`. */
  args: string[];
  /** JVM max heap (default '1g'). */
  heap?: string;
  projectRoot?: string;
  /** Receives the tool's output, line by line. */
  log?: (msg: string) => void;
}

/**
 * Runs `neo4j-admin` (org.neo4j.cli.AdminTool, in the launcher's classpath) against the embedded
 * store, with Neo4j's default settings: the store must not be open in a running Neo4j. Rejects with
 * the end of the tool's output when it fails.
 */
export async function runNeo4jAdmin(opts: Neo4jAdminOptions): Promise<void> {
  const log = opts.log ?? noop;
  const projectRoot = path.resolve(opts.projectRoot ?? findProjectRoot());
  const home = path.resolve(opts.dataDir);
  ensureLauncherBuilt(projectRoot, log);
  fs.mkdirSync(home, { recursive: true });
  // An empty configuration folder: the defaults put databases under <home>/data, where the launcher looks.
  const conf = fs.mkdtempSync(path.join(home, '.admin-conf-'));
  const classpath = launcherClasspath(projectRoot);
  const tail: string[] = [];
  try {
    const child = spawn(
      javaExecutable(),
      [...JVM_FLAGS, `-Xmx${opts.heap ?? '1g'}`, '-cp', classpath, 'org.neo4j.cli.AdminTool', ...opts.args],
      { cwd: home, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NEO4J_HOME: home, NEO4J_CONF: conf } },
    );
    const keep = (line: string) => {
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
      log(`[neo4j-admin] ${line}`);
    };
    onLines(child.stdout!, keep);
    onLines(child.stderr!, keep);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once('error', (err) =>
          reject(new Error(`neo4j-admin: cannot run '${javaExecutable()}': ${err.message}`, { cause: err })),
        );
        child.once('close', (c, s) => resolve({ code: c, signal: s }));
      },
    );
    if (code !== 0) {
      throw new Error(
        `neo4j-admin ${opts.args.slice(0, 3).join(' ')} failed (${signal ? `signal ${signal}` : `exit code ${code}`}):\n${tail.slice(-15).join('\n')}`,
      );
    }
  } finally {
    fs.rmSync(conf, { recursive: true, force: true });
  }
}
