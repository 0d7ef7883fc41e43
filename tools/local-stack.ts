/**
 * Starts and stops the local stand-ins for the cloud — moto (EC2 API), the Temporal dev server, the
 * time-skipping test server's path, and worker processes — for the demo, the benchmark and the tests.
 *
 * Every process gets free ports picked at start (unless told otherwise), writes its output to a log
 * file, and is stopped by its PID: SIGTERM, then SIGKILL if it has not exited after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { devServerSearchAttributeFlags } from '../src/worker/search-attributes';
import { PROJECT_ROOT } from './project-root';

const VENV_BIN = join(PROJECT_ROOT, '.venv', 'bin');

/** Path of a tool installed by scripts/setup.sh into .venv, or given by an environment variable. */
export function toolPath(name: 'temporal' | 'temporal-test-server' | 'moto_server'): string {
  const override = {
    temporal: process.env.TEMPORAL_CLI_PATH,
    'temporal-test-server': process.env.TEMPORAL_TEST_SERVER_PATH,
    moto_server: process.env.MOTO_SERVER_PATH,
  }[name];
  const path = override ?? join(VENV_BIN, name);
  if (!existsSync(path)) {
    throw new Error(`${name} not found at ${path}; run scripts/setup.sh (or set the override variable)`);
  }
  return path;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Whether the port on 127.0.0.1 is free right now. */
export async function canListen(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Resolves once the process has exited; its exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logDir?: string;
}

export function startProcess(name: string, command: string, args: string[], options: StartOptions = {}): ManagedProcess {
  const logDir = options.logDir ?? join(PROJECT_ROOT, '.stagely', 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-${Date.now()}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(command, args, {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      log.end();
      resolveExit(code);
    });
  });
  const pid = child.pid;
  return {
    name,
    pid,
    logFile,
    child,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalPid(pid, signal);
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
      if ((await Promise.race([exited, timer])) === 'timeout') {
        signalPid(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

/** Sends a signal; a process that exited a moment ago (ESRCH) is already what we wanted. */
function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Waits until something accepts TCP connections on the port, or the process dies, or time runs out. */
export async function waitForPort(port: number, proc: ManagedProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited early; see ${proc.logFile}`);
    if (await canConnect(port)) return;
    if (Date.now() > until) throw new Error(`${proc.name} did not open port ${port} in ${timeoutMs} ms; see ${proc.logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
    socket.connect(port, '127.0.0.1');
  });
}

export interface Moto {
  process: ManagedProcess;
  endpoint: string;
  port: number;
}

/**
 * The images moto knows, in place of its own catalogue: Canonical's Ubuntu 22.04 images from the
 * static table (so DescribeImages answers as it does on AWS) and a golden test image.
 */
export const MOTO_AMIS = join(PROJECT_ROOT, 'tools', 'moto', 'amis.json');

/**
 * moto's EC2 and SSM APIs over HTTP. `extraEnv` tunes moto, e.g. INITIAL_NO_AUTH_ACTION_COUNT to make
 * it check credentials for real.
 */
export async function startMoto(options: { port?: number; extraEnv?: NodeJS.ProcessEnv; logDir?: string } = {}): Promise<Moto> {
  const port = options.port ?? (await freePort());
  const proc = startProcess('moto', toolPath('moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_AMIS_PATH: MOTO_AMIS, ...options.extraEnv },
    ...(options.logDir !== undefined && { logDir: options.logDir }),
  });
  await waitForPort(port, proc);
  return { process: proc, endpoint: `http://127.0.0.1:${port}`, port };
}

export interface DevServer {
  process: ManagedProcess;
  /** gRPC address for clients and workers. */
  address: string;
  /** Web UI, when started with one. */
  uiUrl?: string;
}

/** The Temporal dev server (the `temporal` CLI) with an in-memory or file database. */
export async function startDevServer(
  options: { port?: number; uiPort?: number; headless?: boolean; dbFile?: string; logDir?: string } = {},
): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  // The HTTP API port too: left to itself the server takes the gRPC port + 1000, which may be in use.
  const httpPort = await freePort();
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--http-port', String(httpPort), '--log-level', 'warn', ...devServerSearchAttributeFlags()];
  let uiUrl: string | undefined;
  if (options.headless) {
    args.push('--headless');
  } else {
    const uiPort = options.uiPort ?? (await freePort());
    // No newsfeed: the Web UI would otherwise reach out to the internet.
    args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
    uiUrl = `http://127.0.0.1:${uiPort}`;
  }
  if (options.dbFile !== undefined) args.push('--db-filename', options.dbFile);
  const proc = startProcess('temporal-dev-server', toolPath('temporal'), args, {
    ...(options.logDir !== undefined && { logDir: options.logDir }),
  });
  await waitForPort(port, proc);
  const server: DevServer = { process: proc, address: `127.0.0.1:${port}` };
  if (uiUrl !== undefined) server.uiUrl = uiUrl;
  return server;
}

/** The environment a worker or the CLI needs to reach the given Temporal server and moto. */
export function stackEnv(temporalAddress: string, motoEndpoint: string, taskQueue?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    ...(taskQueue !== undefined && { STAGELY_TASK_QUEUE: taskQueue }),
    AWS_REGION: 'us-east-1',
    // moto accepts any credentials unless told to check them; these are placeholders, not secrets.
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL_EC2: motoEndpoint,
    AWS_ENDPOINT_URL_SSM: motoEndpoint,
  };
}

/**
 * Starts a worker as a child process and waits for its "Worker ready" line: by default `src/worker.ts`
 * through tsx; `command` runs another build of it (e.g. `node lib/worker.js`).
 */
export async function startWorker(
  env: NodeJS.ProcessEnv,
  options: { logDir?: string; timeoutMs?: number; command?: [string, ...string[]] } = {},
): Promise<ManagedProcess> {
  const [command, ...args] = options.command ?? [join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), join(PROJECT_ROOT, 'src', 'worker.ts')];
  const proc = startProcess('worker', command, args, {
    env,
    ...(options.logDir !== undefined && { logDir: options.logDir }),
  });
  try {
    await new Promise<void>((resolveReady, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`worker not ready in time; see ${proc.logFile}`)), options.timeoutMs ?? 120_000);
      proc.child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('Worker ready')) {
          clearTimeout(timer);
          resolveReady();
        }
      });
      void proc.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited with ${code} before it was ready; see ${proc.logFile}`));
      });
    });
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return proc;
}

/**
 * The command that runs a built worker the way `npm start` does (package.json "start": node, its V8
 * flags, lib/worker.js), with `lib/` replaced by `buildDir`: the benchmark and the production-build
 * test measure what is deployed.
 */
export function productionWorkerCommand(buildDir: string): [string, ...string[]] {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const [node, ...args] = (pkg.scripts?.start ?? 'node lib/worker.js').split(/\s+/);
  if (node !== 'node' || args[args.length - 1] !== 'lib/worker.js') throw new Error('package.json "start" should be "node [flags] lib/worker.js"');
  return [process.execPath, ...args.slice(0, -1), join(buildDir, 'worker.js')];
}
