/**
 * npm run bench [-- --n 1,100,1000] [--modes batched,no-admission,per-workflow] [--ip-delay 5-40]
 *                [--workers K] [--out DIR] [--worker-env NAME=VALUE ...]
 *
 * Starts the Temporal dev server, moto behind an EC2-realism layer (AWS-like API token buckets, public
 * IPs that appear 5-40 s after launch) and K production-built workers on one task queue (--workers,
 * default 1); then, for each N and each mode, starts N provisions at once (bench/scenarios/burst.ts)
 * and prints one table per N, the modes side by side. The same numbers go to bench/results/<time>.json.
 * Modes: "batched" (the design: polls share DescribeInstances calls, new starts wait while polls run
 * late), "no-admission" (batching with STAGELY_START_ADMISSION=off: what admission adds) and
 * "per-workflow" (STAGELY_DESCRIBE_BATCHING=off and STAGELY_START_ADMISSION=off: one call per poll,
 * every start at once).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../tools/project-root';
import type { RunResult, Scenario } from './results';
import { runBurst } from './scenarios/burst';
import { MODES, type Mode } from './modes';
import { openBench, type Bench } from './stack';
import { formatTable } from './table';

export { formatTable } from './table';
export type { BurstResult, RunResult, Scenario, WorkerReport } from './results';
export { MODES, type Mode } from './modes';
export { openBench, type Bench } from './stack';
export { runBurst };

export interface BenchOptions {
  /** @default 'burst' */
  scenario?: Scenario;
  ns: number[];
  modes: Mode[];
  ipDelayMs: [number, number];
  /** Worker processes on the task queue. @default 1 */
  workers?: number;
  workerEnv?: NodeJS.ProcessEnv;
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
      results.push(await runBurst(bench, { ...run, workers: options.workers ?? 1 }));
    }
  }
  return results;
}

/** What each scenario runs when the command line does not say. */
const DEFAULTS: Record<Scenario, { n: string; modes: string; ipDelay: string }> = {
  burst: { n: '1,100,1000', modes: 'batched,per-workflow', ipDelay: '5-40' },
};

const USAGE = `usage: npm run bench -- [--n 1,100,1000] [--modes ${MODES.join(',')}] [--ip-delay 5-40] [--workers K]
                        [--out DIR] [--worker-env NAME=VALUE ...]
  N provisions at once (N 1,100,1000; modes batched,per-workflow; IPs 5-40 s) on K workers (1)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      modes: { type: 'string' },
      'ip-delay': { type: 'string' },
      workers: { type: 'string', default: '1' },
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
  const scenario: Scenario = 'burst';
  const defaults = DEFAULTS[scenario];
  const ns = (values.n ?? defaults.n).split(',').map(Number);
  const modes = (values.modes ?? defaults.modes).split(',') as Mode[];
  const [lo, hi] = (values['ip-delay'] ?? defaults.ipDelay).split('-').map((s) => Number(s) * 1000);
  const workers = Number(values.workers);
  const bad =
    ns.some((n) => !Number.isInteger(n) || n < 1) ||
    modes.some((m) => !MODES.includes(m)) ||
    lo === undefined ||
    hi === undefined ||
    !(hi >= lo) ||
    !Number.isInteger(workers) ||
    workers < 1;
  if (bad) throw new Error(USAGE);
  const workerEnv = Object.fromEntries(values['worker-env'].map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const results = await runBenchmark({ scenario, ns, modes, ipDelayMs: [lo, hi], workers, workerEnv });
  console.log(formatTable(results));
  mkdirSync(values.out, { recursive: true });
  const file = join(values.out, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version }, results }, null, 2)}\n`);
  console.log(`\nWrote ${file}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
