/**
 * provisionInstance on the time-skipping server with fake activities: the polling loop, the deadline,
 * compensation on every unsuccessful exit, and the failure types callers see.
 */
import { WorkflowFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, type Duration } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ProvisionRequest, ProvisionResult, ProvisionStatus } from '../../src/common/contract';
import type { provisionInstance } from '../../src/workflows';
import { toInstanceState } from '../../src/common/instance-state';
import { capacityError, fakeActivities, INSTANCE_ID, LAUNCHED_AT, pending, ready, type FakeActivityScript } from '../support/fake-activities';
import { createTimeSkippingEnv, withFakeProvision } from '../support/workflow-env';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

const SMALL_ARM: ProvisionRequest = { size: 'small', architecture: 'arm64' };

/** Starts a provision with a fake EC2 and runs `body` while a worker serves it. */
function withProvision<T>(
  request: unknown,
  script: FakeActivityScript,
  body: (handle: WorkflowHandleWithFirstExecutionRunId<typeof provisionInstance>) => Promise<T>,
  timeouts: { workflowRunTimeout?: Duration; workflowExecutionTimeout?: Duration } = {},
) {
  return withFakeProvision(env, request, fakeActivities(script), body, timeouts);
}

async function failureOf(promise: Promise<unknown>): Promise<WorkflowFailedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return error as WorkflowFailedError;
}

/** Resolves once a workflow task has completed after the cancel request, or the run has closed. */
async function workflowTaskAfterCancel(handle: WorkflowHandle): Promise<void> {
  for (;;) {
    const events = (await handle.fetchHistory()).events ?? [];
    const cancelAt = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
    const handled = cancelAt >= 0 && events.slice(cancelAt).some((e) => e.workflowTaskCompletedEventAttributes);
    const closed = events.some((e) => e.workflowExecutionCanceledEventAttributes);
    if (handled || closed) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** When each timer fired, on the server's (workflow) clock, in ms since the epoch. */
async function timerFiresMs(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((event) => event.timerFiredEventAttributes)
    .map((event) => Number(event.eventTime?.seconds ?? 0) * 1000 + Math.round((event.eventTime?.nanos ?? 0) / 1e6));
}

/**
 * When the wait for an IP began, on the workflow clock: the start of the first workflow task after the
 * launch activity completed (the workflow's Date.now() there is that task's start time).
 */
async function ipWaitStartMs(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const launch = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'runInstances');
  const launched = events.findIndex((event) => launch?.eventId != null && String(event.activityTaskCompletedEventAttributes?.scheduledEventId) === String(launch.eventId));
  const taskStarted = events.slice(launched).find((event) => event.workflowTaskStartedEventAttributes);
  if (launched < 0 || taskStarted === undefined) throw new Error('history has no completed launch followed by a workflow task');
  return Number(taskStarted.eventTime?.seconds ?? 0) * 1000 + Math.round((taskStarted.eventTime?.nanos ?? 0) / 1e6);
}

/** Differences between consecutive values. */
const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - (times[i] ?? 0));

async function timerDurationsMs(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((event) => event.timerStartedEventAttributes?.startToFireTimeout)
    .filter((timeout): timeout is NonNullable<typeof timeout> => timeout !== undefined && timeout !== null)
    .map((timeout) => Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6));
}

describe('success', () => {
  it('returns the contract result when the IP is there on the first poll', async () => {
    const { outcome, calls } = await withProvision(SMALL_ARM, {}, async (handle) => ({
      result: await handle.result(),
      runId: handle.firstExecutionRunId,
      timers: await timerDurationsMs(handle),
    }));

    const expected: ProvisionResult = {
      instanceId: INSTANCE_ID,
      publicIp: '203.0.113.10',
      privateIp: '10.0.0.10',
      instanceType: 't4g.small',
      imageId: 'ami-0c7a8e3f05e4e5f0c',
      region: 'us-east-1',
      size: 'small',
      architecture: 'arm64',
      spot: false,
      launchedAt: LAUNCHED_AT,
      imageSource: 'static',
      attempts: [{ instanceType: 't4g.small', spot: false, outcome: 'launched', instanceId: INSTANCE_ID }],
    };
    expect(outcome.result).toEqual(expected);
    expect(outcome.timers).toEqual([]);
    expect(calls.images).toEqual([{ region: 'us-east-1', architecture: 'arm64' }]);
    expect(calls.launched).toEqual([
      {
        region: 'us-east-1',
        instanceType: 't4g.small',
        imageId: 'ami-0c7a8e3f05e4e5f0c',
        rootDeviceName: '/dev/sda1',
        rootVolumeGiB: 20,
        spot: false,
        tags: { Name: 'stagely-vm' },
        clientToken: `${outcome.runId}-1`,
      },
    ]);
    expect(calls.launched[0]?.clientToken.length).toBeLessThanOrEqual(64);
    expect(calls.terminated).toEqual([]);
  });

  it('passes spot, user data, tags, subnet and security groups through to the launch', async () => {
    const request: ProvisionRequest = {
      size: 'large',
      architecture: 'amd64',
      spotInstance: true,
      userData: '#cloud-config\n',
      tags: { env: 'pr-42' },
      subnetId: 'subnet-0123456789abcdef0',
      securityGroupIds: ['sg-0123456789abcdef0'],
      rootVolumeGiB: 120,
      imageId: 'ami-0123456789abcdef0',
    };
    const spotReady = { ...ready(), spot: true };
    const { outcome, calls } = await withProvision(request, { describe: () => spotReady }, (handle) => handle.result());

    expect(calls.images).toEqual([{ region: 'us-east-1', architecture: 'amd64', imageId: 'ami-0123456789abcdef0' }]);
    expect(calls.launched[0]).toMatchObject({
      instanceType: 'c5.2xlarge',
      imageId: 'ami-0c7217cdde317cfec',
      rootVolumeGiB: 120,
      spot: true,
      userData: '#cloud-config\n',
      tags: { Name: 'stagely-vm', env: 'pr-42' },
      subnetId: 'subnet-0123456789abcdef0',
      securityGroupIds: ['sg-0123456789abcdef0'],
    });
    expect(outcome).toMatchObject({ instanceType: 'c5.2xlarge', size: 'large', architecture: 'amd64', spot: true, subnetId: 'subnet-0123456789abcdef0' });
    expect(outcome.fallbackReason).toBeUndefined();
  });

  it('polls with durable sleeps on shared 1 s ticks, exactly 5 s apart, until the IP appears', async () => {
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      { describe: (call) => (call === 1 ? null : call < 4 ? pending() : ready()) },
      async (handle) => ({
        result: await handle.result(),
        timers: await timerDurationsMs(handle),
        fires: await timerFiresMs(handle),
        status: await handle.query<ProvisionStatus>('status'),
      }),
    );

    expect(outcome.result.publicIp).toBe('203.0.113.10');
    // Not visible yet, pending, pending, ready: three durable sleeps. The first lands the run on a
    // whole-second tick within 5 s of its first poll; from then on polls are exactly 5 s apart.
    expect(outcome.timers).toHaveLength(3);
    expect(outcome.timers[0]).toBeGreaterThan(4000);
    expect(outcome.timers[0]).toBeLessThanOrEqual(5000);
    // (Each timer starts when the server records the workflow task, a few ms after the workflow's clock.)
    for (const fire of outcome.fires) expect(fire % 1000).toBeLessThan(100);
    for (const gap of gaps(outcome.fires)) expect(Math.abs(gap - 5000)).toBeLessThan(100);
    expect(calls.described).toEqual([INSTANCE_ID, INSTANCE_ID, INSTANCE_ID, INSTANCE_ID]);
    expect(outcome.status).toMatchObject({ phase: 'succeeded', instanceId: INSTANCE_ID, polls: 4, lastState: 'running' });
  });

  it('honours a custom poll interval given as milliseconds (ticks of a fifth of it)', async () => {
    const { outcome } = await withProvision(
      { ...SMALL_ARM, pollInterval: 2000 },
      { describe: (call) => (call < 4 ? pending() : ready()) },
      async (handle) => timerFiresMs(await handle.result().then(() => handle)),
    );
    expect(outcome).toHaveLength(3);
    for (const fire of outcome) expect(fire % 400).toBeLessThan(100);
    for (const gap of gaps(outcome)) expect(Math.abs(gap - 2000)).toBeLessThan(100);
  });

  it('reports its phase, instance, polls and deadline through the status query while waiting', async () => {
    let release = false;
    const { outcome } = await withProvision(
      SMALL_ARM,
      { describe: () => (release ? ready() : pending()) },
      async (handle) => {
        let status: ProvisionStatus;
        do {
          status = await handle.query<ProvisionStatus>('status');
          // Time stands still while the test only queries, so one poll is all there is to wait for.
        } while (status.polls < 1);
        release = true;
        await handle.result();
        return status;
      },
    );
    expect(outcome).toMatchObject({ phase: 'waiting-for-ip', instanceId: INSTANCE_ID, lastState: 'pending' });
    expect(Date.parse(outcome.deadline ?? '')).not.toBeNaN();
  });

  it('keeps polling when one poll exhausts its retries on a transient error', async () => {
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      {
        describe: (call) => {
          // More failures than one poll's three attempts: the first poll gives up, the next one succeeds.
          if (call <= 4) throw ApplicationFailure.retryable('throttled', 'Ec2Throttled');
          return ready();
        },
      },
      (handle) => handle.result(),
    );
    expect(outcome.publicIp).toBe('203.0.113.10');
    expect(calls.described.length).toBeGreaterThanOrEqual(5);
    expect(calls.terminated).toEqual([]);
  });
});

describe('unsuccessful runs terminate what they launched', () => {
  it('gives up at the 5-minute deadline with PublicIpTimeout, terminating the instance once', async () => {
    const wallStart = Date.now();
    const { outcome, calls } = await withProvision(SMALL_ARM, { describe: () => pending() }, async (handle) => ({
      error: await failureOf(handle.result()),
      timers: await timerDurationsMs(handle),
      fires: await timerFiresMs(handle),
      waitStart: await ipWaitStartMs(handle),
    }));
    const wallMs = Date.now() - wallStart;

    const failure = outcome.error.cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('PublicIpTimeout');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect(failure?.message).toContain(INSTANCE_ID);
    expect(failure?.message).toContain('5m');
    expect(calls.terminated).toEqual([INSTANCE_ID]);
    // Five minutes of workflow time, in durable sleeps 5 s apart: the loop really waited out the deadline.
    // Measured from the wait's start to the last timer on the workflow clock; the sleeps alone add up to
    // less, by the time the polls themselves took (more on a busy machine).
    const lastFire = Math.max(...outcome.fires);
    expect(lastFire - outcome.waitStart).toBeGreaterThanOrEqual(5 * 60_000 - 10);
    const slept = outcome.timers.reduce((sum, ms) => sum + ms, 0);
    expect(slept).toBeLessThanOrEqual(5 * 60_000);
    // A round every 5 s. On the time-skipping server each timer fires late by its round's poll time
    // (the poll's answer time cannot correct the sleep there, unlike on a real server), so single gaps
    // vary with how busy the machine is; their median does not.
    const spacing = gaps(outcome.fires).sort((a, b) => a - b);
    expect(spacing.length).toBeGreaterThanOrEqual(58);
    expect(Math.abs((spacing[Math.floor(spacing.length / 2)] ?? 0) - 5000)).toBeLessThan(100);
    // Time skipping: the five minutes pass in (a few) seconds of wall time.
    expect(wallMs).toBeLessThan(30_000);
  });

  it('fails with InstanceLost when the instance stops before it has an IP, and terminates it', async () => {
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      { describe: (call) => (call === 1 ? pending() : { ...pending(), state: 'stopped' }) },
      (handle) => failureOf(handle.result()),
    );
    expect(outcome.cause).toBeInstanceOf(ApplicationFailure);
    expect((outcome.cause as ApplicationFailure).type).toBe('InstanceLost');
    expect(outcome.cause?.message).toContain('stopped');
    expect(calls.terminated).toEqual([INSTANCE_ID]);
  });

  it.each(['shutting-down', 'stopping', 'stopped', 'terminated'])(
    'fails with InstanceLost when a poll sees "%s", even though EC2 still lists a public IP',
    async (ec2State) => {
      const { outcome, calls } = await withProvision(
        SMALL_ARM,
        { describe: (call) => (call === 1 ? pending() : { ...ready(), state: toInstanceState(ec2State) }) },
        (handle) => failureOf(handle.result()),
      );
      expect((outcome.cause as ApplicationFailure).type).toBe('InstanceLost');
      expect(calls.terminated).toEqual([INSTANCE_ID]);
    },
  );

  it.each<[string, { workflowRunTimeout?: Duration; workflowExecutionTimeout?: Duration }]>([
    ['run', { workflowRunTimeout: '4m' }],
    ['execution', { workflowExecutionTimeout: '4m' }],
  ])('ends the wait early enough under a caller\'s %s time-out that the instance is terminated inside it', async (_kind, timeouts) => {
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      { describe: () => pending() },
      async (handle) => ({ error: await failureOf(handle.result()), history: await handle.fetchHistory() }),
      timeouts,
    );

    // Not TIMED_OUT with the VM left running: the run failed itself, after its compensation.
    const failure = outcome.error.cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('PublicIpTimeout');
    expect(failure?.message).toContain('time-out');
    expect(calls.terminated).toEqual([INSTANCE_ID]);
    // The 4-minute time-out keeps a quarter (1 min) back for the clean-up: the wait ended at ~3 min.
    const events = outcome.history.events ?? [];
    const at = (e: (typeof events)[number] | undefined): number => Number(e?.eventTime?.seconds ?? 0) * 1000 + Math.round((e?.eventTime?.nanos ?? 0) / 1e6);
    const elapsed = at(events[events.length - 1]) - at(events[0]);
    expect(elapsed).toBeGreaterThan(2.5 * 60_000);
    expect(elapsed).toBeLessThan(3.5 * 60_000);
  });

  it('terminates the instance when the run is cancelled, and ends as cancelled', async () => {
    const { outcome, calls } = await withProvision(SMALL_ARM, { describe: () => pending() }, async (handle) => {
      while ((await handle.query<ProvisionStatus>('status')).polls < 1) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await handle.cancel();
      return {
        error: await failureOf(handle.result()),
        status: await handle.query<ProvisionStatus>('status'),
      };
    });
    expect(outcome.error.cause).toBeInstanceOf(CancelledFailure);
    expect(outcome.status.phase).toBe('cancelled');
    expect(calls.terminated).toEqual([INSTANCE_ID]);
  });

  it('lets a launch that is in flight when the run is cancelled finish, then terminates it', async () => {
    let releaseLaunch: () => void = () => undefined;
    const launchGate = new Promise<void>((resolve) => {
      releaseLaunch = resolve;
    });
    let launchStarted: () => void = () => undefined;
    const launchCalled = new Promise<void>((resolve) => {
      launchStarted = resolve;
    });
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      {
        launch: async () => {
          launchStarted();
          await launchGate; // EC2 has accepted the call; the answer is on its way
          return { instanceId: INSTANCE_ID, launchedAt: LAUNCHED_AT };
        },
        describe: () => pending(),
      },
      async (handle) => {
        await launchCalled;
        await handle.cancel();
        // Only answer the launch once the workflow has seen the cancellation, so the cancel cannot
        // race past it: a cancellable launch would end the run here without knowing the instance.
        await workflowTaskAfterCancel(handle);
        releaseLaunch();
        return failureOf(handle.result());
      },
    );
    expect(outcome.cause).toBeInstanceOf(CancelledFailure);
    expect(calls.launched).toHaveLength(1);
    expect(calls.terminated).toEqual([INSTANCE_ID]);
  });

  it('terminates after a non-retryable poll failure and surfaces its type', async () => {
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      {
        describe: () => {
          throw ApplicationFailure.nonRetryable('AuthFailure: credentials revoked', 'InvalidCredentials');
        },
      },
      (handle) => failureOf(handle.result()),
    );
    // Polls are local activities: their failure is the workflow's own cause, not wrapped in an ActivityFailure.
    expect(outcome.cause).toBeInstanceOf(ApplicationFailure);
    expect((outcome.cause as ApplicationFailure).type).toBe('InvalidCredentials');
    expect(calls.terminated).toEqual([INSTANCE_ID]);
  });

  it('reports the original failure even when compensation itself fails', async () => {
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      {
        describe: () => ({ ...pending(), state: 'terminated' }),
        terminate: async () => {
          throw ApplicationFailure.nonRetryable('UnauthorizedOperation', 'InvalidCredentials');
        },
      },
      (handle) => failureOf(handle.result()),
    );
    expect((outcome.cause as ApplicationFailure).type).toBe('InstanceLost');
    expect(calls.terminated).toEqual([INSTANCE_ID]);
  });
});

describe('a launch whose outcome is unknown', () => {
  it('sweeps the launch token when the launch never answered, and reports the launch failure, not the sweep', async () => {
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      {
        launch: async () => {
          throw ApplicationFailure.retryable('RunInstances t4g.small failed: ECONNRESET', 'Ec2Unreachable');
        },
        sweep: async () => ['i-0aaaaaaaaaaaaaaaa'],
      },
      (handle) => failureOf(handle.result()),
    );
    expect(calls.launched.length).toBeGreaterThan(1);
    // Every retry of the attempt used one token, and that token was swept once.
    expect(new Set(calls.launched.map((l) => l.clientToken)).size).toBe(1);
    expect(calls.swept).toEqual([calls.launched[0]?.clientToken]);
    expect(outcome.cause).toBeInstanceOf(ActivityFailure);
    // Under the activity failure (and its time-out, if the retries ran out of time): the launch's own error.
    const chain: unknown[] = [];
    for (let e: unknown = outcome.cause; e instanceof Error; e = e.cause) chain.push(e);
    expect(chain.some((e) => e instanceof ApplicationFailure && e.type === 'Ec2Unreachable')).toBe(true);
    expect(calls.terminated).toEqual([]);
  });

  it('reports the launch failure even when the sweep fails', async () => {
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      {
        launch: async () => {
          throw ApplicationFailure.nonRetryable('RunInstances failed: InvalidParameterValue', 'InvalidConfiguration');
        },
        sweep: async () => {
          throw ApplicationFailure.nonRetryable('UnauthorizedOperation', 'InvalidCredentials');
        },
      },
      (handle) => failureOf(handle.result()),
    );
    expect(calls.swept).toHaveLength(1);
    expect((outcome.cause?.cause as ApplicationFailure).type).toBe('InvalidConfiguration');
  });

  it('does not sweep after a capacity refusal (EC2 launched nothing), only moves on', async () => {
    const { calls } = await withProvision(
      { ...SMALL_ARM, spotInstance: true },
      {
        launch: async (_request, call) => {
          if (call === 1) throw capacityError();
          return { instanceId: INSTANCE_ID, launchedAt: LAUNCHED_AT };
        },
      },
      (handle) => handle.result(),
    );
    expect(calls.launched).toHaveLength(2);
    expect(calls.swept).toEqual([]);
  });

  it('tells the compensation when the instance was launched, so "not found" right after launch is retried', async () => {
    const refs: unknown[] = [];
    await withProvision(
      SMALL_ARM,
      {
        describe: () => ({ ...pending(), state: 'stopped' }),
        terminate: async (ref) => {
          refs.push(ref);
          return { instanceId: ref.instanceId, alreadyGone: false };
        },
      },
      (handle) => failureOf(handle.result()),
    );
    expect(refs).toEqual([{ region: 'us-east-1', instanceId: INSTANCE_ID, launchedAt: LAUNCHED_AT }]);
  });
});

describe('failures before anything is launched', () => {
  it('surfaces a non-retryable launch failure with its type, WorkflowFailedError -> ActivityFailure -> ApplicationFailure', async () => {
    const { outcome, calls } = await withProvision(
      SMALL_ARM,
      {
        launch: async () => {
          throw ApplicationFailure.nonRetryable('RunInstances failed: VcpuLimitExceeded', 'QuotaExceeded');
        },
      },
      async (handle) => ({ error: await failureOf(handle.result()), status: await handle.query<ProvisionStatus>('status') }),
    );
    // The status query of a closed run says how it ended, not where it was.
    expect(outcome.status.phase).toBe('failed');
    expect(outcome.error.cause).toBeInstanceOf(ActivityFailure);
    const root = outcome.error.cause?.cause;
    expect(root).toBeInstanceOf(ApplicationFailure);
    expect((root as ApplicationFailure).type).toBe('QuotaExceeded');
    expect((root as ApplicationFailure).nonRetryable).toBe(true);
    expect(calls.launched).toHaveLength(1);
    expect(calls.described).toEqual([]);
    expect(calls.terminated).toEqual([]);
    // Not a capacity answer, so the launch's token is swept for anything it may have started.
    expect(calls.swept).toEqual([calls.launched[0]?.clientToken]);
  });

  it.each([
    [{ size: 'Small', architecture: 'arm64' }, 'size'],
    [{ size: 'small', architecture: 'arm64', region: 'mars-north-1' }, 'region'],
    [{ size: 'small', architecture: 'arm64', spot: true }, 'spot'],
    [null, '(request)'],
  ])('fails %j with InvalidSpec naming %s, and calls no activity', async (request, field) => {
    const { outcome, calls } = await withProvision(request, {}, (handle) => failureOf(handle.result()));
    expect(outcome.cause).toBeInstanceOf(ApplicationFailure);
    const failure = outcome.cause as ApplicationFailure;
    expect(failure.type).toBe('InvalidSpec');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`${field}:`);
    expect(failure.details?.[0]).toEqual({ problems: [expect.objectContaining({ field })] });
    expect(calls).toEqual({ images: [], launched: [], described: [], terminated: [], swept: [], statusRead: [], probed: [], joinedLine: [] });
  });
});
