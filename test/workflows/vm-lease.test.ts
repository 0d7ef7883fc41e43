/**
 * vmLease on the time-skipping server with fake activities: expiry, extend, destroy, loss (ended or
 * replaced), a failed provision, continue-as-new with its handlers, and cancellation. Every test
 * checks what was terminated: no VM of a lease may outlive it.
 */
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { InstanceStatus } from '../../src/activities';
import { LEASE_ENDED } from '../../src/common/failures';
import type { LeaseRequest, LeaseResult, LeaseStatus } from '../../src/common/lease-contract';
import type { ProvisionResult } from '../../src/common/contract';
import { destroyUpdate, extendUpdate, leaseStatusQuery, waitReadyUpdate, type vmLease } from '../../src/workflows';
import { uniqueName } from '../support/env';
import { capacityError, fakeActivities, instanceIdOf, ready, type FakeActivityScript } from '../support/fake-activities';
import { createTimeSkippingEnv, createWorker } from '../support/workflow-env';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

const HOUR = 3_600_000;
const SMALL: LeaseRequest['instance'] = { size: 'small', architecture: 'arm64' };

type LeaseHandle = WorkflowHandle<typeof vmLease>;

async function withLease<T>(request: unknown, script: FakeActivityScript, body: (handle: LeaseHandle) => Promise<T>) {
  const taskQueue = uniqueName('tq');
  const { activities, calls } = fakeActivities(script);
  const worker = await createWorker(env, taskQueue, activities);
  const outcome = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof vmLease>('vmLease', {
      args: [request as LeaseRequest],
      taskQueue,
      workflowId: uniqueName('lease'),
      workflowExecutionTimeout: '40d',
    });
    return body(handle);
  });
  return { outcome, calls };
}

/** The lease's start on the workflow clock (ms). */
async function startedAtMs(handle: LeaseHandle): Promise<number> {
  return (await handle.describe()).startTime.getTime();
}

/** A describe script where `lostId` is seen terminated from its `fromCall`-th describe on. */
function losing(lostIds: (id: string) => boolean, fromCall = 2): FakeActivityScript['describe'] {
  const seen = new Map<string, number>();
  return (_call, instanceId): InstanceStatus => {
    const n = (seen.get(instanceId) ?? 0) + 1;
    seen.set(instanceId, n);
    return lostIds(instanceId) && n >= fromCall ? { instanceId, state: 'terminated', spot: false } : ready(undefined, instanceId);
  };
}

async function updateFailure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

it('expires after the default 24h TTL and terminates its VM', async () => {
  const { outcome, calls } = await withLease({ instance: SMALL, watchInterval: '1h' }, {}, async (handle) => {
    const ready = await handle.executeUpdate(waitReadyUpdate);
    return { ready, result: await handle.result(), startedAt: await startedAtMs(handle), status: await handle.query(leaseStatusQuery) };
  });
  expect(outcome.ready.instanceId).toBe(instanceIdOf(1));
  expect(outcome.result).toMatchObject({ endedBy: 'expired', instanceIds: [instanceIdOf(1)], instance: { instanceId: instanceIdOf(1) } });
  const lasted = Date.parse(outcome.result.endedAt) - outcome.startedAt;
  expect(lasted).toBeGreaterThanOrEqual(24 * HOUR);
  expect(lasted).toBeLessThan(24 * HOUR + 60_000);
  expect(calls.terminated).toEqual([instanceIdOf(1)]);
  expect(outcome.status).toMatchObject({ phase: 'ended', endedBy: 'expired', replacements: 0 });
});

it('extend moves the expiry; out of bounds is refused by the validator', async () => {
  const { outcome, calls } = await withLease({ instance: SMALL, ttl: '1h', watchInterval: '1h' }, {}, async (handle) => {
    await handle.executeUpdate(waitReadyUpdate);
    const extended = await handle.executeUpdate(extendUpdate, { args: [{ ttl: '3h' }] });
    const details = (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;
    const refused = await updateFailure(handle.executeUpdate(extendUpdate, { args: [{ ttl: '800h' }] }));
    const malformed = await updateFailure(handle.executeUpdate(extendUpdate, { args: [{ ttl: 'soon' } as never] }));
    const history = await handle.fetchHistory();
    return { extended, details, refused, malformed, history, result: await handle.result(), startedAt: await startedAtMs(handle) };
  });
  // The Web UI's current details name the environment (the workflow ID here), the VM and the new expiry.
  expect(outcome.details).toMatch(new RegExp(`^Lease for lease-\\w+: ${instanceIdOf(1)}, expires ${outcome.extended.expiresAt}$`));
  expect(outcome.refused.type).toBe('InvalidSpec');
  expect(outcome.refused.message).toMatch(/at most 720h from its start/);
  expect(outcome.malformed.message).toMatch(/ttl: must be a duration string/);
  // Refused by the validator: neither refusal is in the history.
  const accepted = (outcome.history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  expect(accepted.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)).toEqual(['waitReady', 'extend']);
  const lasted = Date.parse(outcome.result.endedAt) - outcome.startedAt;
  expect(lasted).toBeGreaterThanOrEqual(3 * HOUR);
  expect(lasted).toBeLessThan(3 * HOUR + 60_000);
  expect(Date.parse(outcome.extended.expiresAt) - outcome.startedAt).toBeGreaterThanOrEqual(3 * HOUR);
  expect(outcome.result.endedBy).toBe('expired');
  expect(calls.terminated).toEqual([instanceIdOf(1)]);
});

it('destroy terminates the VM and returns the lease result', async () => {
  const { outcome, calls } = await withLease({ instance: SMALL }, {}, async (handle) => {
    await handle.executeUpdate(waitReadyUpdate);
    const destroyed = await handle.executeUpdate(destroyUpdate, { args: [{ reason: 'PR closed' }] });
    return { destroyed, result: await handle.result() };
  });
  expect(outcome.destroyed).toMatchObject({ endedBy: 'destroyed', reason: 'PR closed', instanceIds: [instanceIdOf(1)] });
  expect(outcome.result).toEqual(outcome.destroyed);
  expect(calls.terminated).toEqual([instanceIdOf(1)]);
});

it('destroy during the provision cancels the child, which terminates what it launched', async () => {
  // The instance never gets an IP: the child polls until the destroy arrives.
  let launched = false;
  const script: FakeActivityScript = {
    describe: (_call, instanceId) => ({ instanceId, state: 'pending', spot: false }),
    launch: async () => {
      launched = true;
      return { instanceId: instanceIdOf(1) };
    },
  };
  const { outcome, calls } = await withLease({ instance: SMALL }, script, async (handle) => {
    while (!launched) await new Promise((r) => setTimeout(r, 50));
    const waiting = handle.executeUpdate(waitReadyUpdate).then(() => undefined, (e: unknown) => e);
    const destroyed = await handle.executeUpdate(destroyUpdate, { args: [{}] });
    return { destroyed, waitReady: await waiting };
  });
  expect(outcome.destroyed).toMatchObject({ endedBy: 'destroyed', instance: null, instanceIds: [] });
  expect(calls.terminated).toEqual([instanceIdOf(1)]);
  expect(((outcome.waitReady as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(LEASE_ENDED);
});

it('a lost VM ends the lease as lost, and what is left of it is terminated', async () => {
  const { outcome, calls } = await withLease({ instance: SMALL, watchInterval: '10s' }, { describe: losing(() => true) }, async (handle) => ({
    ready: await handle.executeUpdate(waitReadyUpdate),
    result: await handle.result(),
  }));
  expect(outcome.result).toMatchObject({ endedBy: 'lost', instanceIds: [instanceIdOf(1)], replaced: [] });
  expect(calls.terminated).toEqual([instanceIdOf(1)]);
});

it('with onInstanceLost "replace", a lost VM is replaced by a new child provision, at most 3 times', async () => {
  const { outcome, calls } = await withLease({ instance: SMALL, watchInterval: '10s', onInstanceLost: 'replace' }, { describe: losing(() => true) }, async (handle) => ({
    result: await handle.result(),
    status: await handle.query(leaseStatusQuery),
  }));
  const ids = [1, 2, 3, 4].map(instanceIdOf);
  expect(outcome.result).toMatchObject({ endedBy: 'lost', instanceIds: ids, instance: { instanceId: ids[3] } });
  expect(outcome.result.replaced.map((r) => [r.instanceId, r.state])).toEqual(ids.slice(0, 3).map((id) => [id, 'terminated']));
  expect(outcome.status.replacements).toBe(3);
  expect(calls.launched).toHaveLength(4);
  expect(calls.terminated).toEqual(ids);
});

it('a replacement that becomes ready is held, and waitReady answers with it', async () => {
  const { outcome, calls } = await withLease(
    { instance: SMALL, watchInterval: '10s', onInstanceLost: 'replace' },
    { describe: losing((id) => id === instanceIdOf(1)) },
    async (handle) => {
      for (;;) {
        const status = await handle.query(leaseStatusQuery);
        if (status.replacements === 1 && status.phase === 'ready') break;
        await env.sleep('10s');
      }
      const ready = await handle.executeUpdate(waitReadyUpdate);
      const destroyed = await handle.executeUpdate(destroyUpdate, { args: [{}] });
      return { ready, destroyed };
    },
  );
  expect(outcome.ready.instanceId).toBe(instanceIdOf(2));
  expect(outcome.destroyed).toMatchObject({ endedBy: 'destroyed', instanceIds: [instanceIdOf(1), instanceIdOf(2)] });
  expect(calls.terminated).toEqual([instanceIdOf(1), instanceIdOf(2)]);
});

it('a failed provision ends the lease as failed with its type; waitReady fails the same way', async () => {
  const { outcome, calls } = await withLease({ instance: SMALL }, { launch: () => Promise.reject(capacityError()) }, async (handle) => ({
    waitReady: await updateFailure(handle.executeUpdate(waitReadyUpdate)),
    result: await handle.result(),
  }));
  expect(outcome.waitReady.type).toBe('InsufficientCapacity');
  expect(outcome.result).toMatchObject({ endedBy: 'failed', instance: null, failure: { type: 'InsufficientCapacity' } });
  expect(calls.terminated).toEqual([]);
});

it('refuses a bad request as InvalidSpec before any cloud call', async () => {
  const { outcome, calls } = await withLease({ instance: { size: 'huge' }, ttl: '31d', onInstanceLost: 'retry' }, {}, async (handle) =>
    handle.result().then(() => undefined, (e: unknown) => e),
  );
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  const cause = (outcome as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('InvalidSpec');
  expect(cause.message).toMatch(/^Invalid lease request \(4 problems\): instance\.size: .*instance\.architecture: is required.*ttl: .*onInstanceLost: must be one of "end", "replace"/);
  expect(calls.images).toEqual([]);
  expect(calls.launched).toEqual([]);
});

it('continues as new before its history grows large; status, extend, waitReady and destroy work across it', async () => {
  const { outcome, calls } = await withLease({ instance: SMALL, ttl: '48h', watchInterval: '10s' }, {}, async (handle) => {
    const ready = await handle.executeUpdate(waitReadyUpdate);
    const firstRunId = (await handle.describe()).runId;
    const startedAt = await startedAtMs(handle);
    // 40 minutes of 10 s watches, about 6 events each: past the history limit once.
    await env.sleep('40m');
    const described = await handle.describe();
    const status: LeaseStatus = await handle.query(leaseStatusQuery);
    const again: ProvisionResult = await handle.executeUpdate(waitReadyUpdate);
    const extended = await handle.executeUpdate(extendUpdate, { args: [{ ttl: '100h' }] });
    const refused = await updateFailure(handle.executeUpdate(extendUpdate, { args: [{ ttl: '719h50m' }] }));
    const destroyed: LeaseResult = await handle.executeUpdate(destroyUpdate, { args: [{ reason: 'done' }] });
    const history = await env.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    return { ready, firstRunId, startedAt, described, status, again, extended, refused, destroyed, history };
  });
  expect(outcome.described.runId).not.toBe(outcome.firstRunId);
  expect((outcome.history.events ?? []).some((e) => e.workflowExecutionContinuedAsNewEventAttributes)).toBe(true);
  expect(outcome.described.typedSearchAttributes.get({ name: 'InstanceId', type: 'KEYWORD' } as never)).toBe(instanceIdOf(1));
  expect(outcome.status).toMatchObject({ phase: 'ready', instance: { instanceId: instanceIdOf(1) }, instanceIds: [instanceIdOf(1)] });
  // Carried from the first run: 48h from the lease's start (its first workflow task), not the new run's.
  expect(Math.abs(Date.parse(outcome.status.expiresAt) - outcome.startedAt - 48 * HOUR)).toBeLessThan(1_000);
  expect(outcome.again).toEqual(outcome.ready);
  // Bounded from the lease's first start, not the run's: 40 minutes in, 719h50m is past 30 days.
  expect(outcome.refused.message).toMatch(/at most 720h from its start/);
  expect(outcome.destroyed).toMatchObject({ endedBy: 'destroyed', reason: 'done', instanceIds: [instanceIdOf(1)] });
  expect(calls.launched).toHaveLength(1);
  expect(calls.terminated).toEqual([instanceIdOf(1)]);
}, 300_000);

it('a cancelled lease terminates its VM and ends as cancelled', async () => {
  const { outcome, calls } = await withLease({ instance: SMALL }, {}, async (handle) => {
    await handle.executeUpdate(waitReadyUpdate);
    await handle.cancel();
    const error = await handle.result().then(() => undefined, (e: unknown) => e);
    return { error, status: await handle.query(leaseStatusQuery) };
  });
  expect(outcome.error).toBeInstanceOf(WorkflowFailedError);
  expect((outcome.error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect(outcome.status).toMatchObject({ phase: 'ended', endedBy: 'destroyed', reason: 'the lease was cancelled' });
  expect(calls.terminated).toEqual([instanceIdOf(1)]);
});
