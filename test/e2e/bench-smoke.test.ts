/**
 * The benchmark harness at N = 20 (CI smoke test): it runs end to end, both modes, and its results are
 * well formed. It checks the harness, not speed; the numbers come from `npm run bench`.
 */
import { formatTable, runBenchmark, type RunResult } from '../../bench/run';

let results: RunResult[];

beforeAll(async () => {
  results = await runBenchmark({ ns: [20], modes: ['batched', 'per-workflow'], ipDelayMs: [500, 1_500] });
}, 600_000);

it('runs both modes at N = 20 and every provision succeeds', () => {
  expect(results.map((r) => [r.n, r.mode, r.failedRuns])).toEqual([
    [20, 'batched', 0],
    [20, 'per-workflow', 0],
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
  }
});

it('sees per-workflow polling make one DescribeInstances call per poll', () => {
  const perWorkflow = results.find((r) => r.mode === 'per-workflow');
  // Throttled calls are calls too; without throttling each poll is exactly one call.
  expect(perWorkflow?.describeCallsPerPoll).toBeGreaterThanOrEqual(1);
});

it('prints one table with both modes side by side', () => {
  const table = formatTable(results);
  expect(table).toContain('N = 20');
  expect(table).toMatch(/\| metric +\| batched \| per-workflow \|/);
  expect(table).toContain('DescribeInstances calls per poll tick');
});
