/**
 * The restart: N runs wait for IPs that take 60-120 s to appear; once every run has launched and polled
 * once, the worker is killed (SIGKILL: no drain, no goodbye) and a new one started. How long until every
 * waiting run polls again, and whether any instance was lost, launched twice or left running.
 */
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { MANAGED_TAG, WORKFLOW_ID_TAG } from '../../src/common/tags';
import { resultsOf, round, spread, TaskCounts } from '../measure';
import type { RestartResult } from '../results';
import type { Mode } from '../modes';
import { startBurst, startRunStack, workerReports, type Bench } from '../stack';

export async function runRestart(bench: Bench, options: { n: number; mode: Mode; ipDelayMs: [number, number]; workerEnv: NodeJS.ProcessEnv }): Promise<RestartResult> {
  const { n, mode } = options;
  const stack = await startRunStack(bench, { name: `restart-${mode}-${n}`, mode, ipDelayMs: options.ipDelayMs, workers: 1, workerEnv: options.workerEnv });
  const { realism, taskQueue } = stack;
  try {
    const started = Date.now();
    const handles = await startBurst(bench.client, n, taskQueue);
    const outcomes = resultsOf(handles);

    // Runs that have launched and whose instance a DescribeInstances answer has carried since.
    const polled = (): number => [...realism.launchedAt].filter(([id, at]) => (realism.describedAt.get(id) ?? []).some((t) => t >= at)).length;
    // Kill once all have; should some never get there, kill anyway after a while and say how many had,
    // rather than lose a long run's numbers.
    await waitUntil(() => polled() >= n, 300_000 + options.ipDelayMs[0]);
    const polledAtKill = polled();

    const [old] = stack.workers;
    if (old === undefined) throw new Error('the run has no worker');
    stack.readUsage();
    await old.process.stop('SIGKILL');
    // Runs that had not seen their IP yet: each must poll again under the new worker.
    const waiting = [...realism.launchedAt.keys()].filter((id) => !realism.ipFirstShownAt.has(id));
    const spawnedAt = Date.now();
    await stack.addWorker();
    const readyAt = Date.now();

    const settled = await outcomes;
    const wallMs = Date.now() - started;
    stack.readUsage();
    // Answers from after the new worker was ready: it polls nothing before, and an answer moto gives
    // while it starts can only be to a call the killed worker made. Timed from the spawn.
    const polledAgain = waiting.map((id) => (realism.describedAt.get(id) ?? []).find((t) => t > readyAt)).map((t) => (t === undefined ? Infinity : t - spawnedAt));

    const counts = new TaskCounts();
    for (const handle of handles) counts.add((await handle.fetchHistory()).events ?? []);

    const resultIds = settled.flatMap((o) => (o.status === 'fulfilled' ? [o.value.instanceId] : []));
    const instances = await managedInstances(stack.moto.endpoint);
    const perRun = new Map<string, number>();
    for (const instance of instances) {
      const workflowId = instance.Tags?.find((t) => t.Key === WORKFLOW_ID_TAG)?.Value ?? '';
      perRun.set(workflowId, (perRun.get(workflowId) ?? 0) + 1);
    }
    const returned = new Set(resultIds);
    const live = instances.filter((i) => i.State?.Name === 'pending' || i.State?.Name === 'running');
    return {
      scenario: 'restart',
      n,
      mode,
      polledAtKill,
      waitingAtKill: waiting.length,
      workerReadyMs: readyAt - spawnedAt,
      allPolledAgainMs: Math.round(Math.max(0, ...polledAgain)),
      polledAgainMs: spread(polledAgain),
      instancesLaunched: instances.length,
      instancesDoubled: [...perRun.values()].reduce((sum, c) => sum + c - 1, 0) + (resultIds.length - returned.size),
      instancesLeft: live.filter((i) => !returned.has(i.InstanceId ?? '')).length,
      runsLost: n - resultIds.length,
      wallSeconds: round(wallMs / 1000, 1),
      workers: workerReports(stack.workers, counts),
    };
  } finally {
    await stack.stop();
  }
}

/** Every instance in moto with the project's tags, whatever its state, asked of moto itself (not through the realism layer). */
async function managedInstances(motoEndpoint: string): Promise<Instance[]> {
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint: motoEndpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    const instances: Instance[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${MANAGED_TAG}`, Values: ['true'] }], ...(NextToken && { NextToken }) }));
      for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return instances;
  } finally {
    ec2.destroy();
  }
}

/** Waits until done() or the time is up, whichever comes first. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
}
