/**
 * What every benchmark run stands on. Once per benchmark: the production build of the worker and a
 * headless Temporal dev server. Once per run: a fresh moto behind the EC2-realism layer, with image
 * parameters as AWS has them, and K worker processes on the run's own task queue.
 */
import { join } from 'node:path';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Client, Connection } from '@temporalio/client';
import { build } from '../scripts/build';
import { productionWorkerCommand, stackEnv, startDevServer, startMoto, startWorker, type DevServer, type ManagedProcess, type Moto } from '../tools/local-stack';
import { PROJECT_ROOT } from '../tools/project-root';
import { DEFAULT_EC2_BUDGET } from '../src/activities/ec2-budget';
import { startProvision, type ProvisionHandle } from '../src/client';
import { PAYLOAD_KEY_VARIABLES } from '../src/codec';
import { startRealism, type Realism } from './ec2-realism';
import { processUsage, type TaskCounts } from './measure';
import { modeEnv, type Mode } from './modes';
import type { WorkerReport } from './results';

export const LOG_DIR = join(PROJECT_ROOT, '.stagely', 'bench-logs');

export interface Bench {
  client: Client;
  server: DevServer;
  buildDir: string;
  close(): Promise<void>;
}

/** Builds the worker as `npm run build` does and starts the dev server the runs share. */
export async function openBench(): Promise<Bench> {
  const buildDir = join(PROJECT_ROOT, '.stagely', 'bench', 'build');
  await build(buildDir);
  const server = await startDevServer({ headless: true, logDir: LOG_DIR });
  const connection = await Connection.connect({ address: server.address });
  return {
    client: new Client({ connection }),
    server,
    buildDir,
    async close() {
      await connection.close();
      await server.process.stop();
    },
  };
}

export interface BenchWorker {
  index: number;
  /** What the worker calls itself in histories (STAGELY_WORKER_IDENTITY), to tell the workers' tasks apart. */
  identity: string;
  process: ManagedProcess;
  /** Peak RSS and CPU, read while the process lives (a killed one keeps what was read last). */
  usage: { peakRssMb: number; cpuSeconds: number };
}

export interface RunStack {
  moto: Moto;
  realism: Realism;
  taskQueue: string;
  workers: BenchWorker[];
  /** Starts one more worker on the run's task queue; its index is the next free one. */
  addWorker(): Promise<BenchWorker>;
  /** Reads every live worker's usage now (before stopping them or at the end of the run). */
  readUsage(): void;
  stop(): Promise<void>;
}

export async function startRunStack(
  bench: Bench,
  options: { name: string; mode: Mode; ipDelayMs: [number, number]; workers: number; workerEnv: NodeJS.ProcessEnv },
): Promise<RunStack> {
  const moto = await startMoto({ logDir: LOG_DIR });
  const realism = await startRealism(moto.endpoint, { ipDelayMs: options.ipDelayMs });
  const taskQueue = `bench-${options.name}-${Date.now()}`;
  const imageParameter = await seedImageParameters(moto.endpoint);
  const env: NodeJS.ProcessEnv = {
    ...stackEnv(bench.server.address, realism.proxy.endpoint, taskQueue),
    AWS_ENDPOINT_URL_SSM: moto.endpoint,
    STAGELY_IMAGE_PARAMETER: imageParameter,
    ...modeEnv(options.mode),
    STAGELY_LOG_LEVEL: 'INFO',
    // As the container image runs the worker (Dockerfile); the command is npm start's.
    MALLOC_ARENA_MAX: '2',
    // Workers that share an account share AWS's buckets: each gets its share of the one-worker budget,
    // as docs/operations.md tells operators to do.
    ...(options.workers > 1 && { STAGELY_EC2_BUDGET: sharedBudget(options.workers) }),
    ...options.workerEnv,
  };
  delete env.STAGELY_WORKFLOW_BUNDLE;
  // The bench reads summaries and results from raw histories with a codec-less client: plain payloads.
  for (const name of PAYLOAD_KEY_VARIABLES) delete env[name];
  const workers: BenchWorker[] = [];
  const addWorker = async (): Promise<BenchWorker> => {
    const index = workers.length;
    const identity = `bench-worker-${index}`;
    const proc = await startWorker({ ...env, STAGELY_WORKER_IDENTITY: identity }, { logDir: LOG_DIR, command: productionWorkerCommand(bench.buildDir) });
    const worker = { index, identity, process: proc, usage: { peakRssMb: 0, cpuSeconds: 0 } };
    workers.push(worker);
    return worker;
  };
  const readUsage = (): void => {
    for (const worker of workers) {
      if (worker.process.child.exitCode !== null || worker.process.child.signalCode !== null) continue;
      worker.usage = processUsage(worker.process.pid);
    }
  };
  const stop = async (): Promise<void> => {
    await Promise.all(workers.map((w) => w.process.stop()));
    await realism.close();
    await moto.process.stop();
  };
  try {
    // One after another: each worker compiles and loads the bundle at start, and two at once on two
    // cores would only slow each other down.
    for (let i = 0; i < options.workers; i++) await addWorker();
  } catch (error) {
    await stop();
    throw error;
  }
  return { moto, realism, taskQueue, workers, addWorker, readUsage, stop };
}

/** N provisions started at once on the run's task queue: small VMs, half amd64 and half arm64. */
export function startBurst(client: Client, n: number, taskQueue: string): Promise<ProvisionHandle[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      startProvision(client, { size: 'small', architecture: i % 2 ? 'arm64' : 'amd64' }, { workflowId: `${taskQueue}-${i}`, taskQueue }),
    ),
  );
}

/** The default EC2 budget (activities/ec2-budget.ts) split between `k` workers, as STAGELY_EC2_BUDGET. */
export function sharedBudget(k: number): string {
  return Object.entries(DEFAULT_EC2_BUDGET)
    .map(([cls, { burst, perSecond }]) => `${cls}=${Math.floor(burst / k)}/${perSecond / k}`)
    .join(',');
}

/**
 * Ubuntu image parameters in moto's SSM, as AWS has Canonical's: the worker resolves each image once
 * and caches it, as it does on AWS. (moto has no Canonical parameters and refuses writes under /aws/;
 * without these the worker would fall back to its static table, which it deliberately does not cache.)
 */
export const IMAGE_PARAMETER = '/stagely/bench/ubuntu-22.04/{arch}';

async function seedImageParameters(motoEndpoint: string): Promise<string> {
  const ssm = new SSMClient({ region: 'us-east-1', endpoint: motoEndpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    for (const [arch, imageId] of [
      ['amd64', 'ami-0c7217cdde317cfec'],
      ['arm64', 'ami-0c7a8e3f05e4e5f0c'],
    ]) {
      await ssm.send(new PutParameterCommand({ Name: IMAGE_PARAMETER.replace('{arch}', arch ?? ''), Value: imageId, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true }));
    }
  } finally {
    ssm.destroy();
  }
  return IMAGE_PARAMETER;
}

/** Each worker's usage (read last by readUsage) and its share of the tasks in the run's histories. */
export function workerReports(workers: BenchWorker[], counts: TaskCounts): WorkerReport[] {
  return workers.map((w) => ({ index: w.index, pid: w.process.pid, peakRssMb: w.usage.peakRssMb, cpuSeconds: w.usage.cpuSeconds, ...counts.shareOf(w.identity) }));
}
