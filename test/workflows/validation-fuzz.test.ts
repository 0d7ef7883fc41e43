/**
 * The fuzz-generated malformed requests through the real provisionInstance workflow on the
 * time-skipping server: every run fails with an InvalidSpec ApplicationFailure, and no activity
 * (nothing that would reach EC2) is ever called. The unit test (test/unit/validation-fuzz.test.ts)
 * covers the same requests, and more, against the validator alone.
 *
 * Only JSON-representable requests are sent: the workflow receives its argument as a JSON payload
 * (the Go backend and the temporal CLI send JSON), so undefined, NaN, -0, functions, class instances
 * and sparse arrays cannot reach it. Lone surrogates, NUL and other unicode survive JSON and are sent.
 */
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ProvisionRequest } from '../../src/common/contract';
import { FailureType } from '../../src/common/failures';
import type { provisionInstance } from '../../src/workflows';
import { uniqueName } from '../support/env';
import { fakeActivities } from '../support/fake-activities';
import {
  FUZZ_SEED,
  generateMalformedRequests,
  VALID_BASES,
  WORKFLOW_FUZZ_COUNT,
  WORKFLOW_HUGE_LENGTH,
} from '../support/malformed-requests';
import { createTimeSkippingEnv, createWorker } from '../support/workflow-env';

/** Runs in flight at once, on one worker: enough to keep a 2-core machine busy, few enough not to time out. */
const CONCURRENCY = 32;
const MAX_MESSAGE_BYTES = 4 * 1024;

let env: TestWorkflowEnvironment;
/**
 * A plain client on the test server, not env.client: env.client unlocks time skipping while it waits
 * for a result, and with dozens of runs waiting at once the server skipped straight to their execution
 * timeouts before the worker had polled their first task. These runs need no timers, so time stays put.
 */
let client: Client;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

/** Runs `run` over the items with at most `limit` in flight. */
async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** What is wrong with how a run ended, or undefined when it failed with a well-formed InvalidSpec. */
function notInvalidSpec(outcome: { error?: unknown }): string | undefined {
  const { error } = outcome;
  if (!('error' in outcome)) return 'succeeded';
  if (!(error instanceof WorkflowFailedError)) return `ended with ${String(error)}`;
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure)) return `failed with ${cause?.name ?? 'no cause'}: ${cause?.message ?? ''}`;
  if (cause.type !== FailureType.InvalidSpec) return `failed with type ${cause.type ?? '(none)'}: ${cause.message}`;
  if (!cause.nonRetryable) return 'InvalidSpec is retryable';
  const bytes = Buffer.byteLength(cause.message, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) return `InvalidSpec message of ${bytes} bytes`;
  const problems: unknown = (cause.details?.[0] as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems) || problems.length === 0) return 'InvalidSpec without a problem list';
  return undefined;
}

/** The activity calls the fake recorded, by kind, leaving out the kinds never called. */
function activityCalls(calls: object): Record<string, number> {
  return Object.fromEntries(
    Object.entries(calls)
      .filter(([, list]) => Array.isArray(list) && list.length > 0)
      .map(([kind, list]: [string, unknown[]]) => [kind, list.length]),
  );
}

it('launches the valid requests the fuzzing starts from (the harness reaches the fake EC2)', async () => {
  const taskQueue = uniqueName('fuzz-control');
  const { activities, calls } = fakeActivities();
  const worker = await createWorker(env, taskQueue, activities);
  const results = await worker.runUntil(
    Promise.all(
      VALID_BASES.map((base, i) =>
        client.workflow.execute<typeof provisionInstance>('provisionInstance', {
          args: [base as unknown as ProvisionRequest],
          taskQueue,
          workflowId: `${taskQueue}-${i}`,
          workflowExecutionTimeout: '2h',
        }),
      ),
    ),
  );
  expect(results.map((r) => r.instanceId)).toHaveLength(VALID_BASES.length);
  expect(calls.launched).toHaveLength(VALID_BASES.length);
});

it(`fails ${WORKFLOW_FUZZ_COUNT} malformed requests with InvalidSpec before any activity runs`, async () => {
  const requests = generateMalformedRequests({ seed: FUZZ_SEED, count: WORKFLOW_FUZZ_COUNT, jsonOnly: true, hugeLength: WORKFLOW_HUGE_LENGTH });
  const taskQueue = uniqueName('fuzz');
  const { activities, calls } = fakeActivities();
  const worker = await createWorker(env, taskQueue, activities);
  const failures: string[] = [];

  await worker.runUntil(
    forEachLimited(requests, CONCURRENCY, async ({ index, category, label, input }) => {
      const outcome = await client.workflow
        .execute<typeof provisionInstance>('provisionInstance', {
          args: [input as ProvisionRequest],
          taskQueue,
          workflowId: `${taskQueue}-${index}`,
          // A run that hangs fails the test instead of stalling it.
          workflowExecutionTimeout: '10m',
        })
        .then(
          () => ({}),
          (error: unknown) => ({ error }),
        );
      const wrong = notInvalidSpec(outcome);
      if (wrong !== undefined) failures.push(`#${index} [${category}] ${label}: ${wrong.slice(0, 300)}`);
    }),
  );

  expectNone(failures);
  expect(activityCalls(calls)).toEqual({});
}, 600_000);

/** Fails with the count and the first few failures (not thousands of lines). */
function expectNone(failures: readonly string[]): void {
  expect({ failed: failures.length, first: failures.slice(0, 20) }).toEqual({ failed: 0, first: [] });
}
