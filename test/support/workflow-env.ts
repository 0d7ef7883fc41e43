/** The time-skipping test environment and workers on it, with the workflow bundle built once per run. */
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, Worker, DefaultLogger } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import type { ProvisionRequest } from '../../src/common/contract';
import type { provisionInstance } from '../../src/workflows';
import { registerSearchAttributes } from '../../src/worker/search-attributes';
import { requireEnv, uniqueName } from './env';
import type { fakeActivities } from './fake-activities';

let runtimeInstalled = false;

/** Quiet workers: test output should show failures, not every task. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // Core's own (native) logs too: they go straight to the console, past the TS logger's level.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
}

/**
 * One time-skipping server for the calling test file. The server binary comes from the pinned wheel;
 * start-up is retried because a busy 2-core machine can miss the SDK's start-up window.
 */
export async function createTimeSkippingEnv(attempts = 3): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const path = requireEnv('STAGELY_TEST_SERVER_PATH');
  for (let attempt = 1; ; attempt++) {
    try {
      const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
      await registerSearchAttributes(env.connection, env.namespace ?? 'default');
      return env;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}

export async function createWorker(env: TestWorkflowEnvironment, taskQueue: string, activities: Partial<Activities>): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE') },
    activities,
  });
}

/**
 * Starts a provision on a task queue of its own and runs `body` while a worker with the fake
 * activities serves it; returns what `body` returned and the fakes' record of calls.
 */
export async function withFakeProvision<T>(
  env: TestWorkflowEnvironment,
  request: unknown,
  fakes: ReturnType<typeof fakeActivities>,
  body: (handle: WorkflowHandleWithFirstExecutionRunId<typeof provisionInstance>) => Promise<T>,
  timeouts: { workflowRunTimeout?: Duration; workflowExecutionTimeout?: Duration } = {},
): Promise<{ outcome: T; calls: ReturnType<typeof fakeActivities>['calls'] }> {
  const taskQueue = uniqueName('tq');
  const worker = await createWorker(env, taskQueue, fakes.activities);
  const outcome = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof provisionInstance>('provisionInstance', {
      args: [request as ProvisionRequest],
      taskQueue,
      workflowId: uniqueName('provision'),
      // A hang fails the test instead of timing out jest.
      workflowExecutionTimeout: '2h',
      ...timeouts,
    });
    return body(handle);
  });
  return { outcome, calls: fakes.calls };
}
