/**
 * The burst: N provisions started at once on K workers sharing one task queue, IPs appearing a random
 * delay after launch. What it costs in EC2 calls, Temporal actions, latency and worker resources.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLocalActivityMarker, p50p99, processUsage, resultsOf, round, spread, summaryOf, TaskCounts } from '../measure';
import type { BurstResult } from '../results';
import type { Mode } from '../modes';
import { LOG_DIR, startBurst, startRunStack, workerReports, type Bench } from '../stack';

export async function runBurst(
  bench: Bench,
  options: { n: number; mode: Mode; ipDelayMs: [number, number]; workers: number; workerEnv: NodeJS.ProcessEnv },
): Promise<BurstResult> {
  const { n, mode } = options;
  const { client, server } = bench;
  const stack = await startRunStack(bench, { name: `${mode}-${n}`, mode, ipDelayMs: options.ipDelayMs, workers: options.workers, workerEnv: options.workerEnv });
  const { realism, taskQueue, moto } = stack;
  try {
    const started = Date.now();
    const serverCpuBefore = processUsage(server.process.pid).cpuSeconds;
    const motoCpuBefore = processUsage(moto.process.pid).cpuSeconds;
    const harnessCpuBefore = process.cpuUsage();
    const handles = await startBurst(client, n, taskQueue);
    const outcomes = await resultsOf(handles);
    const wallMs = Date.now() - started;
    stack.readUsage();
    const serverCpu = processUsage(server.process.pid).cpuSeconds - serverCpuBefore;
    const motoCpu = processUsage(moto.process.pid).cpuSeconds - motoCpuBefore;
    const harnessCpu = process.cpuUsage(harnessCpuBefore);

    let events = 0;
    let polls = 0;
    let timers = 0;
    let billable = 0;
    const counts = new TaskCounts();
    const latencies: number[] = [];
    const afterLaunches: number[] = [];
    const ipToSeen: number[] = [];
    const closes: [string, number | undefined][] = [];
    const seenToCompleted: number[] = [];
    for (const [i, handle] of handles.entries()) {
      const history = await handle.fetchHistory();
      counts.add(history.events ?? []);
      for (const event of history.events ?? []) {
        events += 1;
        const summary = summaryOf(event);
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
    const answerMs = describes.map((r) => r.upstreamMs).filter((ms): ms is number => ms !== undefined);
    const ec2Calls = realism.proxy.requests.filter((r) => r.action !== '').length;
    const throttledCalls = [...realism.throttled.values()].reduce((a, b) => a + b, 0);
    const workers = workerReports(stack.workers, counts);
    const afterLaunchesSpread = spread(afterLaunches);
    return {
      scenario: 'burst',
      n,
      mode,
      wallSeconds: round(wallMs / 1000, 1),
      provisionsPerSecond: round(n / (wallMs / 1000), 2),
      latencyFromIpMs: spread(latencies),
      latencyAfterLaunchesMs: { count: afterLaunches.length, p50: afterLaunchesSpread.p50, p99: afterLaunchesSpread.p99 },
      ipToSeenMs: p50p99(ipToSeen),
      seenToCompletedMs: p50p99(seenToCompleted),
      describeCalls,
      describeAnswerMs: p50p99(answerMs),
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
      workerPeakRssMb: Math.max(...workers.map((w) => w.peakRssMb)),
      workerCpuSecondsPerProvision: round(workers.reduce((sum, w) => sum + w.cpuSeconds, 0) / n, 3),
      otherCpuSecondsPerProvision: {
        server: round(serverCpu / n, 3),
        moto: round(motoCpu / n, 3),
        harness: round((harnessCpu.user + harnessCpu.system) / 1e6 / n, 3),
      },
      workers,
    };
  } finally {
    await stack.stop();
  }
}
