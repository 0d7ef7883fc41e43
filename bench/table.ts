/**
 * The results as Markdown tables: one per scenario (the burst's one per N), runs side by side.
 */
import { round } from './measure';
import type { BurstResult, RestartResult, RunResult, SingleResult, SingleSide } from './results';

type Row<R> = [string, (r: R) => string];

const burstRows: Row<BurstResult>[] = [
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

const restartRows: Row<RestartResult>[] = [
  ['runs launched and polled / waiting at the kill', (r) => `${r.polledAtKill} / ${r.waitingAtKill}`],
  ['new worker spawned -> ready (ms)', (r) => String(r.workerReadyMs)],
  ['new worker spawned -> all polled again (ms)', (r) => String(r.allPolledAgainMs)],
  ['  per run p50 / p99 (ms)', (r) => `${r.polledAgainMs.p50} / ${r.polledAgainMs.p99}`],
  ['instances launched', (r) => String(r.instancesLaunched)],
  ['instances doubled', (r) => String(r.instancesDoubled)],
  ['instances left running', (r) => String(r.instancesLeft)],
  ['runs lost', (r) => String(r.runsLost)],
  ['wall time to all done (s)', (r) => String(r.wallSeconds)],
];

const singleSideRows: Row<SingleSide>[] = [
  ['p50 / p99 start -> result (ms)', (s) => `${s.startToResultMs.p50} / ${s.startToResultMs.p99}`],
  ['  start -> RunInstances answered', (s) => `${s.startToLaunchedMs.p50} / ${s.startToLaunchedMs.p99}`],
  ['  RunInstances answered -> first poll', (s) => `${s.launchToFirstPollMs.p50} / ${s.launchToFirstPollMs.p99}`],
  ['  IP visible -> seen by a poll', (s) => `${s.ipToSeenMs.p50} / ${s.ipToSeenMs.p99}`],
  ['  seen by a poll -> caller has the result', (s) => `${s.seenToResultMs.p50} / ${s.seenToResultMs.p99}`],
  ['failed runs', (s) => String(s.failedRuns)],
];

/** Rows for each worker, when a run had more than one. */
function workerRows<R extends RunResult>(results: R[]): Row<R>[] {
  const count = Math.max(...results.map((r) => r.workers.length));
  if (count < 2) return [];
  return Array.from({ length: count }, (_, i): Row<R> => [
    `worker ${i}: RSS MB / CPU s / wf / act share`,
    (r) => {
      const w = r.workers[i];
      return w === undefined ? '-' : `${w.peakRssMb} / ${w.cpuSeconds} / ${w.workflowTaskShare} / ${w.activityTaskShare}`;
    },
  ]);
}

function render<R>(title: string, columns: [string, R][], rows: Row<R>[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  const cells = columns.map(([name, r]) => {
    const values = rows.map(([, get]) => get(r));
    return { name, values, width: Math.max(name.length, ...values.map((v) => v.length)) };
  });
  const out = [`\n${title}`, `| ${'metric'.padEnd(width)} | ${cells.map((c) => c.name.padEnd(c.width)).join(' | ')} |`];
  out.push(`|${'-'.repeat(width + 2)}|${cells.map((c) => '-'.repeat(c.width + 2)).join('|')}|`);
  rows.forEach(([label], i) => out.push(`| ${label.padEnd(width)} | ${cells.map((c) => (c.values[i] ?? '').padEnd(c.width)).join(' | ')} |`));
  return out.join('\n');
}

export function formatTable(results: RunResult[]): string {
  const out: string[] = [];
  const bursts = results.filter((r): r is BurstResult => r.scenario === 'burst');
  for (const n of [...new Set(bursts.map((r) => r.n))]) {
    const cols = bursts.filter((r) => r.n === n);
    const k = Math.max(...cols.map((r) => r.workers.length));
    out.push(render(`N = ${n}${k > 1 ? `, ${k} workers` : ''}`, cols.map((r) => [r.mode, r]), [...burstRows, ...workerRows(cols)]));
  }
  const restarts = results.filter((r): r is RestartResult => r.scenario === 'restart');
  for (const n of [...new Set(restarts.map((r) => r.n))]) {
    const cols = restarts.filter((r) => r.n === n);
    out.push(render(`Restart, N = ${n}`, cols.map((r) => [r.mode, r]), [...restartRows, ...workerRows(cols)]));
  }
  const singles = results.filter((r): r is SingleResult => r.scenario === 'single');
  for (const n of [...new Set(singles.map((r) => r.n))]) {
    const cols = singles.filter((r) => r.n === n);
    const sides: [string, SingleSide][] = cols.flatMap((r): [string, SingleSide][] => [
      [`provisioner (${r.mode})`, r.provisioner],
      ['plain SDK script', r.plain],
    ]);
    const ratios = cols.map((r) => `${r.mode}: ${r.p50Ratio}`).join(', ');
    out.push(`${render(`One at a time, N = ${n}`, sides, singleSideRows)}\np50 start -> result, provisioner / plain: ${ratios}`);
    for (const r of cols) {
      const p = r.provisioner;
      out.push(
        `provisioner (${r.mode}), p50 / p99 ms: workflow start -> launch activity started ${p.startToLaunchActivityMs.p50} / ${p.startToLaunchActivityMs.p99}; ` +
          `launch activity ${p.launchActivityMs.p50} / ${p.launchActivityMs.p99}; workflow closed -> result() returned ${p.closeToResultMs.p50} / ${p.closeToResultMs.p99}`,
      );
    }
  }
  return out.join('\n');
}
