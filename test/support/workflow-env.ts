/** The time-skipping test environment and workers on it, with the workflow bundle built once per run. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, Worker, DefaultLogger } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { registerSearchAttributes } from '../../src/worker/search-attributes';
import { requireEnv } from './env';

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
