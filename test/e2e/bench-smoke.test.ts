/**
 * The benchmark harness, small (CI smoke test): each scenario runs end to end on one dev server and its
 * results are well formed. It checks the harness, not speed; the numbers come from `npm run bench`.
 */
import { formatTable, openBench, runScenarios, type Bench, type BurstResult, type RestartResult, type RunResult, type SingleResult } from '../../bench/run';

let bench: Bench;
const all: RunResult[] = [];

beforeAll(async () => {
  bench = await openBench();
}, 300_000);

afterAll(async () => {
  await bench?.close();
});

/** Runs one scenario on the shared bench; its results also go into the table checked at the end. */
async function run<R extends RunResult>(options: Parameters<typeof runScenarios>[1]): Promise<R[]> {
  const results = (await runScenarios(bench, options)) as R[];
  all.push(...results);
  return results;
}

describe('burst at N = 20, both modes', () => {
  let results: BurstResult[];
  beforeAll(async () => {
    results = await run<BurstResult>({ ns: [20], modes: ['batched', 'per-workflow'], ipDelayMs: [500, 1_500] });
  }, 300_000);

  it('runs both modes and every provision succeeds', () => {
    expect(results.map((r) => [r.scenario, r.n, r.mode, r.failedRuns])).toEqual([
      ['burst', 20, 'batched', 0],
      ['burst', 20, 'per-workflow', 0],
    ]);
  });

  it('reports every number as a finite, non-negative value', () => {
    for (const result of results) {
      const numbers = [
        result.wallSeconds,
        result.provisionsPerSecond,
        result.latencyFromIpMs.p50,
        result.latencyFromIpMs.p99,
        result.ipToSeenMs.p50,
        result.seenToCompletedMs.p50,
        result.describeCallsPerInstance,
        result.describeCallsPerPoll,
        result.throttledShare,
        result.historyEventsPerProvision,
        result.billableActionsPerProvision,
        result.workerPeakRssMb,
        result.workerCpuSecondsPerProvision,
      ];
      for (const n of numbers) {
        expect(Number.isFinite(n)).toBe(true);
        expect(n).toBeGreaterThanOrEqual(0);
      }
      expect(result.latencyFromIpMs.p99).toBeGreaterThanOrEqual(result.latencyFromIpMs.p50);
      expect(result.describeCalls).toBeGreaterThan(0);
      // The two parts of the latency come from the same runs: the median parts never exceed the worst whole.
      expect(result.ipToSeenMs.p50 + result.seenToCompletedMs.p50).toBeLessThanOrEqual(result.latencyFromIpMs.max);
      expect(result.seenToCompletedMs.p50).toBeGreaterThan(0);
      expect(result.workerPeakRssMb).toBeGreaterThan(0);
      expect(result.activitiesPerPollRound).toBeGreaterThan(0);
      // One worker did all the work.
      expect(result.workers).toHaveLength(1);
      expect(result.workers[0]).toMatchObject({ index: 0, workflowTaskShare: 1, activityTaskShare: 1 });
    }
  });

  it('sees per-workflow polling make one DescribeInstances call per poll', () => {
    const perWorkflow = results.find((r) => r.mode === 'per-workflow');
    // Throttled calls are calls too; without throttling each poll is exactly one call.
    expect(perWorkflow?.describeCallsPerPoll).toBeGreaterThanOrEqual(1);
  });
});

describe('burst at N = 20 on two workers', () => {
  let result: BurstResult | undefined;
  beforeAll(async () => {
    [result] = await run<BurstResult>({ ns: [20], modes: ['batched'], ipDelayMs: [500, 1_500], workers: 2 });
  }, 300_000);

  it('has both workers do part of the work, and every provision succeed', () => {
    expect(result?.failedRuns).toBe(0);
    const workers = result?.workers ?? [];
    expect(workers.map((w) => w.index)).toEqual([0, 1]);
    for (const w of workers) {
      for (const n of [w.pid, w.peakRssMb, w.cpuSeconds, w.workflowTaskShare, w.activityTaskShare]) expect(Number.isFinite(n)).toBe(true);
      expect(w.peakRssMb).toBeGreaterThan(0);
      expect(w.workflowTaskShare).toBeGreaterThan(0);
      expect(w.activityTaskShare).toBeGreaterThan(0);
    }
    expect(workers.reduce((sum, w) => sum + w.workflowTaskShare, 0)).toBeCloseTo(1, 2);
    expect(workers.reduce((sum, w) => sum + w.activityTaskShare, 0)).toBeCloseTo(1, 2);
    // The single-value fields still hold: the largest peak, and the CPU of both.
    expect(result?.workerPeakRssMb).toBe(Math.max(...workers.map((w) => w.peakRssMb)));
  });
});

describe('one at a time, beside the plain script', () => {
  let result: SingleResult | undefined;
  beforeAll(async () => {
    [result] = await run<SingleResult>({ scenario: 'single', ns: [3], modes: ['batched'], ipDelayMs: [1_000, 1_000] });
  }, 300_000);

  it('times both sides and compares them', () => {
    for (const side of [result?.provisioner, result?.plain]) {
      expect(side?.failedRuns).toBe(0);
      expect(side?.startToResultMs.p50).toBeGreaterThan(0);
      expect(side?.startToResultMs.p99).toBeGreaterThanOrEqual(side?.startToResultMs.p50 ?? Infinity);
      expect(side?.startToLaunchedMs.p50).toBeGreaterThan(0);
    }
    expect(Number.isFinite(result?.p50Ratio)).toBe(true);
    expect(result?.p50Ratio).toBeGreaterThan(0);
    expect(result?.provisioner.launchActivityMs.p50).toBeGreaterThan(0);
  });
});

describe('a worker killed while runs wait for IPs', () => {
  let result: RestartResult | undefined;
  beforeAll(async () => {
    [result] = await run<RestartResult>({ scenario: 'restart', ns: [5], modes: ['batched'], ipDelayMs: [10_000, 15_000] });
  }, 300_000);

  it('loses, doubles and leaves behind nothing, and every waiting run polls again', () => {
    expect(result).toMatchObject({ polledAtKill: 5, instancesLaunched: 5, instancesDoubled: 0, instancesLeft: 0, runsLost: 0 });
    // IPs take 10 s or more, the kill comes once each run has polled: runs are still waiting.
    expect(result?.waitingAtKill).toBeGreaterThan(0);
    expect(Number.isFinite(result?.allPolledAgainMs)).toBe(true);
    expect(result?.polledAgainMs.p99).toBeLessThanOrEqual(result?.allPolledAgainMs ?? -1);
    expect(result?.workers.map((w) => w.index)).toEqual([0, 1]);
  });
});

it('prints one table per scenario, modes side by side', () => {
  const table = formatTable(all);
  expect(table).toContain('N = 20');
  expect(table).toMatch(/\| metric +\| batched +\| per-workflow +\|/);
  expect(table).toContain('DescribeInstances calls per poll tick');
  expect(table).toContain('N = 20, 2 workers');
  expect(table).toContain('worker 1: ');
  expect(table).toContain('Restart, N = 5');
  expect(table).toContain('One at a time, N = 3');
  expect(table).toMatch(/provisioner \(batched\) +\| plain SDK script/);
});
