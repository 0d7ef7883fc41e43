/**
 * Start admission as the provision workflow does it, on the time-skipping server with fake activities:
 * a new provision's first step joins the worker's start line, and a run told to wait holds nothing,
 * launches nothing, and goes on at the admit signal (or asks again after its recheck time).
 */
import { WorkflowFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AdmissionAnswer } from '../../src/common/admission';
import type { ProvisionRequest, ProvisionStatus } from '../../src/common/contract';
import type { provisionInstance } from '../../src/workflows';
import { fakeActivities, type FakeActivityScript } from '../support/fake-activities';
import { createTimeSkippingEnv, withFakeProvision } from '../support/workflow-env';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

const REQUEST: ProvisionRequest = { size: 'small', architecture: 'amd64' };
const WAIT: AdmissionAnswer = { admitted: false, recheckAfterMs: 60 * 60_000, ahead: 3 };

/** Runs `body` against a provision served by fake activities: a script, or fakes the test already holds. */
function withProvision<T>(
  fakes: FakeActivityScript | ReturnType<typeof fakeActivities>,
  body: (handle: WorkflowHandleWithFirstExecutionRunId<typeof provisionInstance>) => Promise<T>,
) {
  return withFakeProvision(env, REQUEST, 'activities' in fakes ? fakes : fakeActivities(fakes), body);
}

async function statusOf(handle: WorkflowHandleWithFirstExecutionRunId<typeof provisionInstance>, phase: ProvisionStatus['phase']): Promise<ProvisionStatus> {
  for (;;) {
    const status = await handle.query<ProvisionStatus>('status');
    if (status.phase === phase) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The activity types the run used, in the order the history records them (local ones by their marker). */
async function steps(handle: WorkflowHandleWithFirstExecutionRunId<typeof provisionInstance>): Promise<string[]> {
  const names: string[] = [];
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) names.push(scheduled);
    if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      const data = event.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data;
      const type = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type : undefined;
      names.push(type ?? 'local');
    }
  }
  return names;
}

it('joins the start line as its very first step, before the image or the launch', async () => {
  const { outcome, calls } = await withProvision({}, async (handle) => {
    await handle.result();
    return { steps: await steps(handle), workflowId: handle.workflowId };
  });
  expect(outcome.steps.slice(0, 3)).toEqual(['joinStartLine', 'resolveImage', 'runInstances']);
  expect(calls.joinedLine).toEqual([outcome.workflowId]);
});

it('waits for the admit signal when told to, launching nothing meanwhile, then provisions', async () => {
  const script = fakeActivities({ admission: () => WAIT });
  const { outcome } = await withProvision(script, async (handle) => {
    await statusOf(handle, 'waiting-for-admission');
    const launchedWhileWaiting: number = script.calls.launched.length;
    const imagesWhileWaiting: number = script.calls.images.length;
    await handle.signal('admit');
    return { result: await handle.result(), launchedWhileWaiting, imagesWhileWaiting };
  });
  expect([outcome.launchedWhileWaiting, outcome.imagesWhileWaiting]).toEqual([0, 0]);
  expect(outcome.result.instanceId).toBeDefined();
  expect(script.calls.joinedLine).toHaveLength(1);
  expect(script.calls.launched).toHaveLength(1);
});

it('asks again after its recheck time when no signal comes (its worker may be gone), and goes on once admitted', async () => {
  const { outcome, calls } = await withProvision({ admission: (call) => (call < 3 ? { admitted: false, recheckAfterMs: 30_000 } : { admitted: true }) }, async (handle) =>
    handle.result(),
  );
  expect(outcome.instanceId).toBeDefined();
  expect(calls.joinedLine).toHaveLength(3);
});

it('ends cancelled with nothing launched when cancelled while it waits', async () => {
  const { outcome, calls } = await withProvision({ admission: () => WAIT }, async (handle) => {
    await statusOf(handle, 'waiting-for-admission');
    await handle.cancel();
    return handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );
  });
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  expect((outcome as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect([calls.images, calls.launched, calls.terminated, calls.swept]).toEqual([[], [], [], []]);
});

it('goes on without admission when the start line cannot be joined: admission only spaces starts out', async () => {
  const { outcome, calls } = await withProvision(
    {
      admission: () => {
        throw new Error('no start line here');
      },
    },
    async (handle) => handle.result(),
  );
  expect(outcome.instanceId).toBeDefined();
  expect(calls.joinedLine).toHaveLength(3);
  expect(calls.launched).toHaveLength(1);
});
