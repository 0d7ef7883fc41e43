/**
 * terminateInstance on the time-skipping server with fake activities: a bad teardown request fails
 * with InvalidSpec in the teardown's own words before any activity runs.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TeardownRequest } from '../../src/client';
import type { terminateInstance } from '../../src/workflows';
import { uniqueName } from '../support/env';
import { fakeActivities } from '../support/fake-activities';
import { createTimeSkippingEnv, createWorker } from '../support/workflow-env';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

it('fails a bad request with InvalidSpec naming the field, says it terminated nothing, and calls no activity', async () => {
  const taskQueue = uniqueName('tq');
  const { activities, calls } = fakeActivities();
  const worker = await createWorker(env, taskQueue, activities);
  const error = await worker.runUntil(
    env.client.workflow
      .execute<typeof terminateInstance>('terminateInstance', {
        args: [{ instanceId: 'not-an-instance' } as TeardownRequest],
        taskQueue,
        workflowId: uniqueName('teardown'),
        workflowExecutionTimeout: '1h',
      })
      .then(() => undefined, (e: unknown) => e),
  );

  expect(error).toBeInstanceOf(WorkflowFailedError);
  const failure = (error as WorkflowFailedError).cause;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).type).toBe('InvalidSpec');
  expect((failure as ApplicationFailure).message).toBe(
    'Invalid teardown request (1 problem): instanceId: must be an id like "i-0123456789abcdef0" (got string "not-an-instance"). Fix the request and start the teardown again; nothing was terminated.',
  );
  expect((failure as ApplicationFailure).details).toEqual([
    { problems: [{ field: 'instanceId', message: 'must be an id like "i-0123456789abcdef0" (got string "not-an-instance")' }] },
  ]);
  expect(calls).toEqual({ images: [], launched: [], described: [], terminated: [], swept: [], statusRead: [], probed: [], joinedLine: [] });
});
