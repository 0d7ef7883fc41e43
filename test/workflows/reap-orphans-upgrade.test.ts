/**
 * A reaper run in flight across the deploy that brought namespace IDs and newest-run look-ups replays
 * activity results recorded by the older worker: a listing without `notJudged`/`otherNamespaces` and
 * a run look-up without `runs`. The new code must finish such a run, judging as the old code did,
 * instead of failing its workflow task until the run times out (and the schedule skips meanwhile).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities, OrphanBatch } from '../../src/activities';
import type { ReapReport, RunRef } from '../../src/common/reaping';
import type { reapOrphans } from '../../src/workflows';
import { uniqueName } from '../support/env';
import { createTimeSkippingEnv, createWorker } from '../support/workflow-env';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

const FAILED_RUN: RunRef = { workflowId: 'provision-old', runId: '0b7e1a52-3c1d-4f7e-9a55-1d2c3b4a5f60' };

test('finishes on the older worker’s activity results, reaping what the older rules reaped', async () => {
  const terminated: OrphanBatch[] = [];
  const activities = {
    // The older listing: regions and instances only.
    listManagedInstances: async () => ({
      regions: ['us-east-1'],
      instances: [{ region: 'us-east-1', instanceId: 'i-0a1b2c3d4e5f60718', state: 'running', launchedAt: '2026-01-01T00:00:00.000Z', ...FAILED_RUN }],
    }),
    // The older look-up: statuses only.
    describeRuns: async (refs: RunRef[]) => ({ statuses: refs.map(() => 'FAILED' as const), retentionMs: 10 * 365 * 24 * 3_600_000 }),
    terminateOrphans: async (batch: OrphanBatch) => {
      terminated.push(batch);
      return batch.instances.map(({ instanceId }) => ({ instanceId, alreadyGone: false }));
    },
  } as unknown as Partial<Activities>;
  const taskQueue = uniqueName('reap-upgrade');
  const worker = await createWorker(env, taskQueue, activities);
  const report: ReapReport = await worker.runUntil(
    env.client.workflow.execute<typeof reapOrphans>('reapOrphans', {
      args: [{ gracePeriod: '0s' }],
      taskQueue,
      workflowId: uniqueName('reap-upgrade'),
      // A workflow task that fails retries for ever; this turns that into a failed test.
      workflowExecutionTimeout: '1m',
    }),
  );
  expect(report.reaped.map((r) => [r.instanceId, r.code])).toEqual([['i-0a1b2c3d4e5f60718', 'run-failed']]);
  expect(report.notJudged).toEqual([]);
  expect(report.otherNamespaces).toBe(0);
  expect(terminated.flatMap((b) => b.instances.map((i) => i.instanceId))).toEqual(['i-0a1b2c3d4e5f60718']);
});
