/**
 * One at a time: N provisions one after another, each followed by the same provision made by a plain
 * AWS SDK script (bench/plain-provision.ts) through the same realism layer, the IP appearing a fixed
 * delay after launch. Is the provisioner as quick as the plain way for a single VM, and what is the
 * difference made of?
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { startProvision } from '../../src/client';
import { instanceTypeFor } from '../../src/common/instance-types';
import { eventTimeMs, p50p99, round, spread, summaryOf, TaskCounts } from '../measure';
import { plainProvision } from '../plain-provision';
import type { Realism } from '../ec2-realism';
import type { SingleResult, SingleSide } from '../results';
import type { Mode } from '../modes';
import { IMAGE_PARAMETER, startRunStack, workerReports, type Bench } from '../stack';

/** One provision, either way: when the caller started it, when it had the result, and the instance. */
interface Sample {
  startedAt: number;
  resultAt: number;
  instanceId: string;
}

export async function runSingle(bench: Bench, options: { n: number; mode: Mode; ipDelayMs: [number, number]; workerEnv: NodeJS.ProcessEnv }): Promise<SingleResult> {
  const { n, mode } = options;
  const stack = await startRunStack(bench, { name: `single-${mode}-${n}`, mode, ipDelayMs: options.ipDelayMs, workers: 1, workerEnv: options.workerEnv });
  const { realism, taskQueue } = stack;
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint: realism.proxy.endpoint, credentials });
  const ssm = new SSMClient({ region: 'us-east-1', endpoint: stack.moto.endpoint, credentials });
  try {
    const provisioner: Sample[] = [];
    const plain: Sample[] = [];
    const startToLaunchActivity: number[] = [];
    const launchActivity: number[] = [];
    const closeToResult: number[] = [];
    const counts = new TaskCounts();
    let provisionerFailed = 0;
    let plainFailed = 0;
    for (let i = 0; i < n; i++) {
      const architecture = i % 2 ? 'arm64' : 'amd64';
      // Turn about, so that whatever drifts over the run (moto's memory, the server's) drifts for both.
      try {
        const startedAt = Date.now();
        const handle = await startProvision(bench.client, { size: 'small', architecture }, { workflowId: `${taskQueue}-${i}`, taskQueue });
        const result = await handle.result();
        const resultAt = Date.now();
        provisioner.push({ startedAt, resultAt, instanceId: result.instanceId });
        const events = (await handle.fetchHistory()).events ?? [];
        counts.add(events);
        // The launch activity: the one whose summary starts "Launch"; its start and its completion.
        const started = eventTimeMs(events[0] ?? {});
        const launchScheduled = events.find((e) => e.activityTaskScheduledEventAttributes && /^"?Launch /.test(summaryOf(e)));
        const launchStarted = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === launchScheduled?.eventId?.toString());
        const launchCompleted = events.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === launchScheduled?.eventId?.toString());
        const launchStartedAt = launchStarted && eventTimeMs(launchStarted);
        const launchCompletedAt = launchCompleted && eventTimeMs(launchCompleted);
        if (started !== undefined && launchStartedAt !== undefined) startToLaunchActivity.push(launchStartedAt - started);
        if (launchStartedAt !== undefined && launchCompletedAt !== undefined) launchActivity.push(launchCompletedAt - launchStartedAt);
        const closedAt = (await handle.describe()).closeTime?.getTime();
        if (closedAt !== undefined) closeToResult.push(resultAt - closedAt);
      } catch (error) {
        provisionerFailed += 1;
        console.error(`provision ${i} failed:`, error);
      }
      try {
        const startedAt = Date.now();
        const result = await plainProvision(ec2, ssm, {
          instanceType: instanceTypeFor('small', architecture),
          imageParameter: IMAGE_PARAMETER.replace('{arch}', architecture),
          tags: { Name: `plain-${taskQueue}-${i}`, 'bench:plain': 'true' },
        });
        plain.push({ startedAt, resultAt: Date.now(), instanceId: result.instanceId });
      } catch (error) {
        plainFailed += 1;
        console.error(`plain provision ${i} failed:`, error);
      }
    }
    stack.readUsage();
    const provisionerSide = side(provisioner, realism, provisionerFailed);
    const plainSide = side(plain, realism, plainFailed);
    return {
      scenario: 'single',
      n,
      mode,
      provisioner: {
        ...provisionerSide,
        startToLaunchActivityMs: p50p99(startToLaunchActivity),
        launchActivityMs: p50p99(launchActivity),
        closeToResultMs: p50p99(closeToResult),
      },
      plain: plainSide,
      p50Ratio: plainSide.startToResultMs.p50 > 0 ? round(provisionerSide.startToResultMs.p50 / plainSide.startToResultMs.p50, 3) : 0,
      workers: workerReports(stack.workers, counts),
    };
  } finally {
    ec2.destroy();
    ssm.destroy();
    await stack.stop();
  }
}

/** Start -> result, cut where the realism layer saw the launch, the first poll and the IP's first showing. */
function side(samples: Sample[], realism: Realism, failedRuns: number): SingleSide {
  const parts = { launched: [] as number[], firstPoll: [] as number[], ipToSeen: [] as number[], seenToResult: [] as number[] };
  for (const { startedAt, resultAt, instanceId } of samples) {
    const launchedAt = realism.launchedAt.get(instanceId);
    const visibleAt = realism.ipVisibleAt.get(instanceId);
    const seenAt = realism.ipFirstShownAt.get(instanceId);
    const firstPollAt = (realism.describedAt.get(instanceId) ?? []).find((t) => launchedAt !== undefined && t >= launchedAt);
    if (launchedAt !== undefined) parts.launched.push(launchedAt - startedAt);
    if (launchedAt !== undefined && firstPollAt !== undefined) parts.firstPoll.push(firstPollAt - launchedAt);
    if (visibleAt !== undefined && seenAt !== undefined) parts.ipToSeen.push(seenAt - visibleAt);
    if (seenAt !== undefined) parts.seenToResult.push(resultAt - seenAt);
  }
  return {
    startToResultMs: spread(samples.map((s) => s.resultAt - s.startedAt)),
    startToLaunchedMs: p50p99(parts.launched),
    launchToFirstPollMs: p50p99(parts.firstPoll),
    ipToSeenMs: p50p99(parts.ipToSeen),
    seenToResultMs: p50p99(parts.seenToResult),
    failedRuns,
  };
}
