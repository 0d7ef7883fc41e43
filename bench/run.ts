/**
 * npm run bench [-- --n 1,100,1000] [--modes batched,no-admission,per-workflow] [--ip-delay 5-40]
 *                [--workers K] [--restart | --single] [--out DIR] [--worker-env NAME=VALUE ...]
 *
 * Starts the Temporal dev server, moto behind an EC2-realism layer (AWS-like API token buckets, public
 * IPs that appear a random delay after launch) and production-built workers, runs one scenario for each
 * N and each mode, prints one table per scenario and N, the modes side by side, and writes the same
 * numbers to bench/results/<time>.json. Scenarios (bench/scenarios/):
 * - burst (default): N provisions at once on K workers (--workers, default 1) sharing one task queue;
 * - restart (--restart): N (default 1000) runs wait for IPs that take 60-120 s; once each has polled,
 *   the worker is killed and a new one started: how soon every run polls again, and no instance lost,
 *   doubled or left running;
 * - single (--single): N (default 20) provisions one after another, IP at a fixed 8 s, each beside a
 *   plain AWS SDK script (bench/plain-provision.ts): start -> result for both, and the parts of it.
 * Modes: "batched" (the design: polls share DescribeInstances calls, new starts wait while polls run
 * late), "no-admission" (batching with STAGELY_START_ADMISSION=off: what admission adds) and
 * "per-workflow" (STAGELY_DESCRIBE_BATCHING=off and STAGELY_START_ADMISSION=off: one call per poll,
 * every start at once). The burst runs batched and per-workflow unless told; the others batched.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../tools/project-root';
import type { RunResult, Scenario } from './results';
import { runBurst } from './scenarios/burst';
import { runRestart } from './scenarios/restart';
import { runSingle } from './scenarios/single';
import { MODES, type Mode } from './modes';
import { openBench, type Bench } from './stack';
import { formatTable } from './table';

export { formatTable } from './table';
export type { BurstResult, RestartResult, RunResult, Scenario, SingleResult, WorkerReport } from './results';
export { MODES, type Mode } from './modes';
export { openBench, type Bench } from './stack';
export { runBurst, runRestart, runSingle };

export interface BenchOptions {
  /** @default 'burst' */
  scenario?: Scenario;
  ns: number[];
  modes: Mode[];
  ipDelayMs: [number, number];
  /** Worker processes on the task queue (the burst only). @default 1 */
  workers?: number;
  workerEnv?: NodeJS.ProcessEnv;
  /** Told of each result as it comes, so a long benchmark's finished runs are kept if a later one never ends. */
  onResult?: (result: RunResult) => void;
}

/** Runs the scenario for each N and each mode on one dev server. */
export async function runBenchmark(options: BenchOptions): Promise<RunResult[]> {
  const bench = await openBench();
  try {
    return await runScenarios(bench, options);
  } finally {
    await bench.close();
  }
}

/** The same on a bench already open (the smoke test runs several scenarios on one). */
export async function runScenarios(bench: Bench, options: BenchOptions): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const workerEnv = options.workerEnv ?? {};
  for (const n of options.ns) {
    for (const mode of options.modes) {
      const run = { n, mode, ipDelayMs: options.ipDelayMs, workerEnv };
      switch (options.scenario ?? 'burst') {
        case 'burst':
          results.push(await runBurst(bench, { ...run, workers: options.workers ?? 1 }));
          break;
        case 'restart':
          results.push(await runRestart(bench, run));
          break;
        case 'single':
          results.push(await runSingle(bench, run));
          break;
      }
      options.onResult?.(results[results.length - 1] as RunResult);
    }
  }
  return results;
}

/** What each scenario runs when the command line does not say. */
const DEFAULTS: Record<Scenario, { n: string; modes: string; ipDelay: string }> = {
  burst: { n: '1,100,1000', modes: 'batched,per-workflow', ipDelay: '5-40' },
  restart: { n: '1000', modes: 'batched', ipDelay: '60-120' },
  single: { n: '20', modes: 'batched', ipDelay: '8-8' },
};

const USAGE = `usage: npm run bench -- [--n 1,100,1000] [--modes ${MODES.join(',')}] [--ip-delay 5-40] [--workers K]
                        [--restart | --single] [--out DIR] [--worker-env NAME=VALUE ...]
  burst (default): N provisions at once (N 1,100,1000; modes batched,per-workflow; IPs 5-40 s; K workers)
  --restart: N runs (1000) wait for IPs (60-120 s); the worker is killed and replaced mid-wait
  --single: N provisions (20) one after another, IPs at 8 s, each beside a plain AWS SDK script`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      modes: { type: 'string' },
      'ip-delay': { type: 'string' },
      workers: { type: 'string', default: '1' },
      restart: { type: 'boolean', default: false },
      single: { type: 'boolean', default: false },
      // Settings for the worker under test, e.g. --worker-env STAGELY_DESCRIBE_BATCH_WINDOW=500ms (repeatable).
      'worker-env': { type: 'string', multiple: true, default: [] },
      out: { type: 'string', default: join(PROJECT_ROOT, 'bench', 'results') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const scenario: Scenario = values.restart ? 'restart' : values.single ? 'single' : 'burst';
  const defaults = DEFAULTS[scenario];
  const ns = (values.n ?? defaults.n).split(',').map(Number);
  const modes = (values.modes ?? defaults.modes).split(',') as Mode[];
  const [lo, hi] = (values['ip-delay'] ?? defaults.ipDelay).split('-').map((s) => Number(s) * 1000);
  const workers = Number(values.workers);
  const bad =
    (values.restart && values.single) ||
    ns.some((n) => !Number.isInteger(n) || n < 1) ||
    modes.some((m) => !MODES.includes(m)) ||
    lo === undefined ||
    hi === undefined ||
    !(hi >= lo) ||
    !Number.isInteger(workers) ||
    workers < 1 ||
    // The restart kills the one worker, and the single scenario times one provision at a time.
    (scenario !== 'burst' && workers !== 1);
  if (bad) throw new Error(USAGE);
  const workerEnv = Object.fromEntries(values['worker-env'].map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  mkdirSync(values.out, { recursive: true });
  const file = join(values.out, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  const done: RunResult[] = [];
  // Written after every run, not only at the end.
  const save = (): void => writeFileSync(file, `${JSON.stringify({ machine, results: done }, null, 2)}\n`);
  const results = await runBenchmark({
    scenario,
    ns,
    modes,
    ipDelayMs: [lo, hi],
    workers,
    workerEnv,
    onResult: (result) => {
      done.push(result);
      save();
      console.log(formatTable([result]));
    },
  });
  console.log(formatTable(results));
  console.log(`\nWrote ${file}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
