/**
 * npm run bench [-- --n 1,100,1000] [--modes batched,per-workflow] [--ip-delay 5-40] [--out DIR]
 *                [--worker-env NAME=VALUE ...]
 *
 * Starts the Temporal dev server, moto behind an EC2-realism layer (AWS-like API token buckets, public
 * IPs that appear 5-40 s after launch) and a production-built worker; then, for each N and each mode,
 * starts N provisions at once and prints one table per N, the modes side by side. The same numbers go
 * to bench/results/<time>.json. Modes: "batched" (the design: polls share DescribeInstances calls,
 * new starts wait while polls run late) and "per-workflow" (STAGELY_DESCRIBE_BATCHING=off and
 * STAGELY_START_ADMISSION=off: one call per poll, every start at once).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Client, Connection } from '@temporalio/client';
import { build } from '../scripts/build';
import { productionWorkerCommand, stackEnv, startDevServer, startMoto, startWorker } from '../tools/local-stack';
import { PROJECT_ROOT } from '../tools/project-root';
import { startProvision } from '../src/client';
import { PAYLOAD_KEY_VARIABLES } from '../src/codec';
import { startRealism } from './ec2-realism';

export type Mode = 'batched' | 'per-workflow';

export interface RunResult {
  n: number;
  mode: Mode;
  wallSeconds: number;
  provisionsPerSecond: number;
  /** From the moment EC2 showed the public IP to the run's completion. */
  latencyFromIpMs: { p50: number; p99: number; max: number };
  /**
   * The same for IPs that appeared after the last launch: polling alone, without a burst of launches
   * competing for the machine (on this machine, for moto's single Python process).
   */
  latencyAfterLaunchesMs: { count: number; p50: number; p99: number };
  /** The latency in two parts: IP visible -> a DescribeInstances answer first carried it (the wait for a poll)... */
  ipToSeenMs: { p50: number; p99: number };
  /** ...and that answer -> the run completed (the worker, the workflow task and the server). */
  seenToCompletedMs: { p50: number; p99: number };
  describeCalls: number;
  /** How long the EC2 stand-in (moto) took to answer DescribeInstances: part of every poll's latency. */
  describeAnswerMs: { p50: number; p99: number };
  describeCallsPerInstance: number;
  /** DescribeInstances calls divided by the polls the workflows made (one poll = one tick). */
  describeCallsPerPoll: number;
  ec2Calls: number;
  throttledCalls: number;
  throttledShare: number;
  failedRuns: number;
  historyEventsPerProvision: number;
  activitiesPerPollRound: number;
  timersPerPollRound: number;
  billableActionsPerProvision: number;
  workerPeakRssMb: number;
  workerCpuSecondsPerProvision: number;
  /**
   * The rest of the machine, which shares its two cores with the worker: the Temporal dev server,
   * moto (the EC2 stand-in) and this process (the realism layer and the client waiting on results).
   */
  otherCpuSecondsPerProvision: { server: number; moto: number; harness: number };
}

const LOG_DIR = join(PROJECT_ROOT, '.stagely', 'bench-logs');

export async function runBenchmark(options: { ns: number[]; modes: Mode[]; ipDelayMs: [number, number]; workerEnv?: NodeJS.ProcessEnv }): Promise<RunResult[]> {
  const buildDir = join(PROJECT_ROOT, '.stagely', 'bench', 'build');
  await build(buildDir);
  const server = await startDevServer({ headless: true, logDir: LOG_DIR });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const results: RunResult[] = [];
  try {
    for (const n of options.ns) {
      for (const mode of options.modes) {
        results.push(await runOnce(client, server, buildDir, n, mode, options.ipDelayMs, options.workerEnv ?? {}));
      }
    }
  } finally {
    await connection.close();
    await server.process.stop();
  }
  return results;
}

async function runOnce(
  client: Client,
  server: { address: string; process: { pid: number } },
  buildDir: string,
  n: number,
  mode: Mode,
  ipDelayMs: [number, number],
  workerEnv: NodeJS.ProcessEnv,
): Promise<RunResult> {
  const moto = await startMoto({ logDir: LOG_DIR });
  const realism = await startRealism(moto.endpoint, { ipDelayMs });
  const taskQueue = `bench-${mode}-${n}-${Date.now()}`;
  const imageParameter = await seedImageParameters(moto.endpoint);
  const env: NodeJS.ProcessEnv = {
    ...stackEnv(server.address, realism.proxy.endpoint, taskQueue),
    AWS_ENDPOINT_URL_SSM: moto.endpoint,
    STAGELY_IMAGE_PARAMETER: imageParameter,
    STAGELY_DESCRIBE_BATCHING: mode === 'batched' ? 'on' : 'off',
    // Plain per-workflow polling is the design without either: no shared calls, no start admission.
    STAGELY_START_ADMISSION: mode === 'batched' ? 'on' : 'off',
    STAGELY_LOG_LEVEL: 'INFO',
    ...workerEnv,
  };
  delete env.STAGELY_WORKFLOW_BUNDLE;
  // The bench reads summaries and results from raw histories with a codec-less client: plain payloads.
  for (const name of PAYLOAD_KEY_VARIABLES) delete env[name];
  const worker = await startWorker(env, { logDir: LOG_DIR, command: productionWorkerCommand(buildDir) });
  try {
    const started = Date.now();
    const serverCpuBefore = processUsage(server.process.pid).cpuSeconds;
    const motoCpuBefore = processUsage(moto.process.pid).cpuSeconds;
    const harnessCpuBefore = process.cpuUsage();
    const handles = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        startProvision(client, { size: 'small', architecture: i % 2 ? 'arm64' : 'amd64' }, { workflowId: `${taskQueue}-${i}`, taskQueue }),
      ),
    );
    const outcomes = await Promise.allSettled(handles.map((h) => h.result()));
    const wallMs = Date.now() - started;
    const usage = processUsage(worker.pid);
    const serverCpu = processUsage(server.process.pid).cpuSeconds - serverCpuBefore;
    const motoCpu = processUsage(moto.process.pid).cpuSeconds - motoCpuBefore;
    const harnessCpu = process.cpuUsage(harnessCpuBefore);

    let events = 0;
    let polls = 0;
    let timers = 0;
    let billable = 0;
    const latencies: number[] = [];
    const afterLaunches: number[] = [];
    const ipToSeen: number[] = [];
    const closes: [string, number | undefined][] = [];
    const seenToCompleted: number[] = [];
    for (const [i, handle] of handles.entries()) {
      const history = await handle.fetchHistory();
      for (const event of history.events ?? []) {
        events += 1;
        const summary = event.userMetadata?.summary?.data ? Buffer.from(event.userMetadata.summary.data).toString('utf8') : '';
        // A poll is an activity task (runs recorded before local polls) or a local activity's marker.
        if ((event.activityTaskScheduledEventAttributes || isLocalActivityMarker(event)) && summary.includes('for a public IP')) polls += 1;
        if (event.timerStartedEventAttributes) timers += 1;
        // What Temporal Cloud bills as actions: starts, activities, timers, search attribute updates.
        if (
          event.workflowExecutionStartedEventAttributes ||
          event.activityTaskScheduledEventAttributes ||
          isLocalActivityMarker(event) ||
          event.timerStartedEventAttributes ||
          event.upsertWorkflowSearchAttributesEventAttributes
        ) {
          billable += 1;
        }
      }
      const outcome = outcomes[i];
      if (outcome?.status === 'fulfilled') {
        const visibleAt = realism.ipVisibleAt.get(outcome.value.instanceId);
        const closed = (await handle.describe()).closeTime?.getTime();
        closes.push([outcome.value.instanceId, closed]);
        if (visibleAt !== undefined && closed !== undefined) {
          latencies.push(closed - visibleAt);
          if (visibleAt > realism.lastLaunchAt()) afterLaunches.push(closed - visibleAt);
          const seenAt = realism.ipFirstShownAt.get(outcome.value.instanceId);
          if (seenAt !== undefined) {
            ipToSeen.push(seenAt - visibleAt);
            seenToCompleted.push(closed - seenAt);
          }
        }
      }
    }
    writeFileSync(
      join(LOG_DIR, `${taskQueue}.samples.json`),
      JSON.stringify({
        lastLaunchAt: realism.lastLaunchAt(),
        instances: [...realism.ipVisibleAt].map(([id, visibleAt]) => ({ id, visibleAt, describedAt: realism.describedAt.get(id) ?? [] })),
        closes,
      }),
    );
    const describes = realism.proxy.requests.filter((r) => r.action === 'DescribeInstances');
    const describeCalls = describes.length;
    const answerMs = describes.map((r) => r.upstreamMs).filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b);
    const ec2Calls = realism.proxy.requests.filter((r) => r.action !== '').length;
    const throttledCalls = [...realism.throttled.values()].reduce((a, b) => a + b, 0);
    latencies.sort((a, b) => a - b);
    afterLaunches.sort((a, b) => a - b);
    ipToSeen.sort((a, b) => a - b);
    seenToCompleted.sort((a, b) => a - b);
    return {
      n,
      mode,
      wallSeconds: round(wallMs / 1000, 1),
      provisionsPerSecond: round(n / (wallMs / 1000), 2),
      latencyFromIpMs: {
        p50: Math.round(percentile(latencies, 0.5)),
        p99: Math.round(percentile(latencies, 0.99)),
        max: Math.round(latencies[latencies.length - 1] ?? 0),
      },
      latencyAfterLaunchesMs: {
        count: afterLaunches.length,
        p50: Math.round(percentile(afterLaunches, 0.5)),
        p99: Math.round(percentile(afterLaunches, 0.99)),
      },
      ipToSeenMs: { p50: Math.round(percentile(ipToSeen, 0.5)), p99: Math.round(percentile(ipToSeen, 0.99)) },
      seenToCompletedMs: { p50: Math.round(percentile(seenToCompleted, 0.5)), p99: Math.round(percentile(seenToCompleted, 0.99)) },
      describeCalls,
      describeAnswerMs: { p50: Math.round(percentile(answerMs, 0.5)), p99: Math.round(percentile(answerMs, 0.99)) },
      describeCallsPerInstance: round(describeCalls / n, 3),
      describeCallsPerPoll: round(describeCalls / Math.max(polls, 1), 3),
      ec2Calls,
      throttledCalls,
      throttledShare: round(throttledCalls / Math.max(ec2Calls, 1), 4),
      failedRuns: outcomes.filter((o) => o.status === 'rejected').length,
      historyEventsPerProvision: round(events / n, 1),
      // A poll round is one describe and the sleep after it (a run's last poll has none), so the
      // rounds are whichever count is larger.
      activitiesPerPollRound: round(polls / Math.max(polls, timers, 1), 2),
      timersPerPollRound: round(timers / Math.max(polls, timers, 1), 2),
      billableActionsPerProvision: round(billable / n, 1),
      workerPeakRssMb: usage.peakRssMb,
      workerCpuSecondsPerProvision: round(usage.cpuSeconds / n, 3),
      otherCpuSecondsPerProvision: {
        server: round(serverCpu / n, 3),
        moto: round(motoCpu / n, 3),
        harness: round((harnessCpu.user + harnessCpu.system) / 1e6 / n, 3),
      },
    };
  } finally {
    await worker.stop();
    await realism.close();
    await moto.process.stop();
  }
}

/**
 * Ubuntu image parameters in moto's SSM, as AWS has Canonical's: the worker resolves each image once
 * and caches it, as it does on AWS. (moto has no Canonical parameters and refuses writes under /aws/;
 * without these the worker would fall back to its static table, which it deliberately does not cache.)
 */
async function seedImageParameters(motoEndpoint: string): Promise<string> {
  const template = '/stagely/bench/ubuntu-22.04/{arch}';
  const ssm = new SSMClient({ region: 'us-east-1', endpoint: motoEndpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    for (const [arch, imageId] of [
      ['amd64', 'ami-0c7217cdde317cfec'],
      ['arm64', 'ami-0c7a8e3f05e4e5f0c'],
    ]) {
      await ssm.send(new PutParameterCommand({ Name: template.replace('{arch}', arch ?? ''), Value: imageId, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true }));
    }
  } finally {
    ssm.destroy();
  }
  return template;
}

/** A local activity's result, as the history records it (Temporal Cloud bills each as an action). */
function isLocalActivityMarker(event: { markerRecordedEventAttributes?: { markerName?: string | null } | null }): boolean {
  return event.markerRecordedEventAttributes?.markerName === 'core_local_activity';
}

/** Peak resident memory and CPU time of a process so far, from /proc (Linux). */
function processUsage(pid: number): { peakRssMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime + stime
  return { peakRssMb: round(peakKb / 1024, 1), cpuSeconds: round(ticks / 100, 2) };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatTable(results: RunResult[]): string {
  const rows: [string, (r: RunResult) => string][] = [
    ['wall time to all done (s)', (r) => String(r.wallSeconds)],
    ['provisions per second', (r) => String(r.provisionsPerSecond)],
    ['p50 / p99 IP visible -> completed (ms)', (r) => `${r.latencyFromIpMs.p50} / ${r.latencyFromIpMs.p99}`],
    ['  the same, IPs after the last launch (n)', (r) => `${r.latencyAfterLaunchesMs.p50} / ${r.latencyAfterLaunchesMs.p99} (${r.latencyAfterLaunchesMs.count})`],
    ['  of which IP visible -> seen by a poll', (r) => `${r.ipToSeenMs.p50} / ${r.ipToSeenMs.p99}`],
    ['  and seen by a poll -> completed', (r) => `${r.seenToCompletedMs.p50} / ${r.seenToCompletedMs.p99}`],
    ['DescribeInstances calls per instance', (r) => String(r.describeCallsPerInstance)],
    ['DescribeInstances calls per poll tick', (r) => String(r.describeCallsPerPoll)],
    ['DescribeInstances answer p50 / p99 (ms)', (r) => `${r.describeAnswerMs.p50} / ${r.describeAnswerMs.p99}`],
    ['throttled calls (share of EC2 calls)', (r) => `${r.throttledCalls} (${round(r.throttledShare * 100, 2)}%)`],
    ['failed runs', (r) => String(r.failedRuns)],
    ['history events per provision', (r) => String(r.historyEventsPerProvision)],
    ['activities / timers per poll round', (r) => `${r.activitiesPerPollRound} / ${r.timersPerPollRound}`],
    ['billable actions per provision', (r) => String(r.billableActionsPerProvision)],
    ['worker peak RSS (MB)', (r) => String(r.workerPeakRssMb)],
    ['worker CPU seconds per provision', (r) => String(r.workerCpuSecondsPerProvision)],
    ['  server / moto / harness CPU s per provision', (r) => `${r.otherCpuSecondsPerProvision.server} / ${r.otherCpuSecondsPerProvision.moto} / ${r.otherCpuSecondsPerProvision.harness}`],
  ];
  const out: string[] = [];
  for (const n of [...new Set(results.map((r) => r.n))]) {
    const cols = results.filter((r) => r.n === n);
    const width = Math.max(...rows.map(([label]) => label.length));
    out.push(`\nN = ${n}`);
    out.push(`| ${'metric'.padEnd(width)} | ${cols.map((c) => c.mode).join(' | ')} |`);
    out.push(`|${'-'.repeat(width + 2)}|${cols.map((c) => '-'.repeat(c.mode.length + 2)).join('|')}|`);
    for (const [label, get] of rows) out.push(`| ${label.padEnd(width)} | ${cols.map((c) => get(c).padEnd(c.mode.length)).join(' | ')} |`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '1,100,1000' },
      modes: { type: 'string', default: 'batched,per-workflow' },
      'ip-delay': { type: 'string', default: '5-40' },
      // Settings for the worker under test, e.g. --worker-env STAGELY_DESCRIBE_BATCH_WINDOW=500ms (repeatable).
      'worker-env': { type: 'string', multiple: true, default: [] },
      out: { type: 'string', default: join(PROJECT_ROOT, 'bench', 'results') },
    },
  });
  const ns = values.n.split(',').map(Number);
  const modes = values.modes.split(',') as Mode[];
  const [lo, hi] = values['ip-delay'].split('-').map((s) => Number(s) * 1000);
  if (ns.some((n) => !Number.isInteger(n) || n < 1) || modes.some((m) => m !== 'batched' && m !== 'per-workflow') || lo === undefined || hi === undefined || !(hi >= lo)) {
    throw new Error('usage: npm run bench -- [--n 1,100,1000] [--modes batched,per-workflow] [--ip-delay 5-40] [--out DIR]');
  }
  const workerEnv = Object.fromEntries(values['worker-env'].map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const results = await runBenchmark({ ns, modes, ipDelayMs: [lo, hi], workerEnv });
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
