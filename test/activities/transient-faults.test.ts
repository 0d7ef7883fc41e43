/**
 * Transient trouble stays transient at the activity edge, with the worker's own clients
 * (regionalClients: time-outs, the EC2 budget, the SDK's retries) through the fault proxy to moto:
 * a hung socket is given up on within the configured time-out, a batch is abandoned after it, a
 * waiting poll stops when its activity is cancelled, every SDK attempt spends the budget,
 * compensation retries everything but not-found, and a launch retry heartbeats through its look-up.
 */
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, regionalClients, type AwsClients, type LaunchedInstance } from '../../src/activities';
import { DEFAULT_EC2_BUDGET } from '../../src/activities/ec2-budget';
import { runActivity } from '../support/activity-env';
import { failWhen, isAction, isRunInstances, startEc2FaultProxy, type Ec2FaultProxy } from '../../tools/ec2-fault-proxy';
import { instancesTagged, isRunningOrPending, motoEc2Client, motoEndpoint, uniqueName } from '../support/env';

const moto = motoEc2Client();
let proxy: Ec2FaultProxy;
const opened: (AwsClients & { destroy(): void })[] = [];
const region = 'us-east-1';
const authFailure = { code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
const throttled = { code: 'RequestLimitExceeded', message: 'Request limit exceeded.' };

beforeAll(async () => {
  proxy = await startEc2FaultProxy(motoEndpoint());
});

afterAll(async () => {
  for (const clients of opened) clients.destroy();
  moto.destroy();
  await proxy?.close();
});

beforeEach(() => {
  proxy.rules.length = 0;
  proxy.requests.length = 0;
});

/** The worker's clients, sent through the proxy. */
function workerClients(options: Omit<Parameters<typeof regionalClients>[0] & object, 'config'>, maxAttempts = 3): AwsClients {
  const clients = regionalClients({ ...options, config: { endpoint: proxy.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts } });
  opened.push(clients);
  return clients;
}

async function launchOne(marker: string): Promise<string> {
  const out = await moto.send(
    new RunInstancesCommand({
      ImageId: 'ami-0c7217cdde317cfec',
      InstanceType: 't3.small',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'test', Value: marker }] }],
    }),
  );
  return out.Instances?.[0]?.InstanceId ?? '';
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

const isDescribe = isAction('DescribeInstances');

describe('time-outs: a hung socket holds nothing for long', () => {
  it('an EC2 call on a socket that never answers fails retryably within the configured time-out', async () => {
    const clients = workerClients({ timeoutMs: 500 }, 1);
    proxy.rules.push(failWhen(isAction('TerminateInstances'), 'hang'));
    const startedAt = Date.now();
    const failure = await failureOf(runActivity(createActivities({ clients }).terminateInstance, { region, instanceId: 'i-0123456789abcdef0' }));
    expect(failure.type).toBe('Ec2Unreachable');
    expect(failure.nonRetryable).toBe(false);
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(proxy.requests.map((r) => r.injected)).toEqual(['hang']);
  }, 10_000);

  it("a batch whose call hangs is abandoned after the batch time-out: all its polls fail retryably, not after the SDK's attempts", async () => {
    // Each request would be given 5 s and the SDK three attempts; the batch gives up on all of it after 800 ms.
    const clients = workerClients({ timeoutMs: 5_000 });
    const { describeInstance } = createActivities({ clients, batching: { windowMs: 50, timeoutMs: 800 } });
    proxy.rules.push(failWhen(isDescribe, 'hang'));
    const startedAt = Date.now();
    const ids = ['i-00000000000000001', 'i-00000000000000002', 'i-00000000000000003', 'i-00000000000000004', 'i-00000000000000005'];
    const failures = await Promise.all(ids.map((instanceId) => failureOf(runActivity(describeInstance, { region, instanceId }))));
    expect(Date.now() - startedAt).toBeLessThan(2_500);
    for (const failure of failures) {
      expect(failure.type).toBe('Ec2Unreachable');
      expect(failure.nonRetryable).toBe(false);
    }
    expect(proxy.requests.filter(isDescribe)).toHaveLength(1);
  }, 15_000);

  it('a poll waiting on a hung batch stops waiting as soon as its activity is cancelled (or timed out)', async () => {
    const clients = workerClients({ timeoutMs: 10_000 });
    const { describeInstance } = createActivities({ clients, batching: { windowMs: 50, timeoutMs: 10_000 } });
    proxy.rules.push(failWhen(isDescribe, 'hang'));
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    const poll = env.run(describeInstance, { region, instanceId: 'i-00000000000000006' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 300));
    const cancelledAt = Date.now();
    env.cancel();
    expect(await poll).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - cancelledAt).toBeLessThan(1_000);
  }, 8_000);
});

describe("the EC2 budget paces what EC2 receives, the SDK's retries included", () => {
  it('each SDK attempt of a throttled call waits for its own token', async () => {
    // One call at once, then one per 1.25 s; EC2 throttles the first two attempts, the SDK retries.
    const clients = workerClients({ budget: { ...DEFAULT_EC2_BUDGET, describe: { burst: 1, perSecond: 0.8 } } });
    const { describeInstance } = createActivities({ clients, batching: false });
    const receivedAt: number[] = [];
    proxy.rules.push((r) => (isDescribe(r) ? void receivedAt.push(Date.now()) : undefined), failWhen(isDescribe, throttled, 2));
    const instanceId = await launchOne(uniqueName('budget'));

    const status = await runActivity(describeInstance, { region, instanceId });
    expect(status?.instanceId).toBe(instanceId);
    expect(proxy.requests.filter(isDescribe).map((r) => r.injected ?? 'ok')).toEqual(['RequestLimitExceeded', 'RequestLimitExceeded', 'ok']);
    // The SDK's own backoff before its first retry is at most 1 s; the budget's spacing is 1.25 s.
    const gaps = receivedAt.slice(1).map((t, i) => t - (receivedAt[i] ?? t));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_150);
  }, 15_000);
});

describe('compensation retries everything but not-found', () => {
  it('a termination answered AuthFailure (a bad credential refresh) fails retryably, and the next attempt terminates', async () => {
    const clients = workerClients({}, 1);
    const { terminateInstance } = createActivities({ clients });
    const marker = uniqueName('compensate');
    const instanceId = await launchOne(marker);
    proxy.rules.push(failWhen(isAction('TerminateInstances'), authFailure, 1));

    const failure = await failureOf(runActivity(terminateInstance, { region, instanceId }));
    expect(failure.type).toBe('InvalidCredentials');
    expect(failure.nonRetryable).toBe(false);
    await runActivity(terminateInstance, { region, instanceId });
    expect((await instancesTagged(moto, 'test', marker)).filter(isRunningOrPending)).toEqual([]);
  });

  it("the unknown-launch sweep's look-up answered AuthFailure fails retryably", async () => {
    const clients = workerClients({}, 1);
    proxy.rules.push(failWhen(isDescribe, authFailure, 1));
    const failure = await failureOf(runActivity(createActivities({ clients }).terminateLaunchedBy, { region, clientToken: uniqueName('token') }));
    expect(failure.type).toBe('InvalidCredentials');
    expect(failure.nonRetryable).toBe(false);
  });

  it('not-found long after launch is still "already gone", not retried', async () => {
    const clients = workerClients({}, 1);
    const result = await runActivity(createActivities({ clients }).terminateInstance, { region, instanceId: 'i-0123456789abcdef0' });
    expect(result.alreadyGone).toBe(true);
  });
});

describe('the launch heartbeats for its whole life', () => {
  it("a retried launch heartbeats through its adoption look-up, so a slow look-up cannot outlast the heartbeat time-out", async () => {
    // The look-up's first request hangs until the 3 s time-out; the SDK's retry finds nothing; then RunInstances.
    const clients = workerClients({ timeoutMs: 3_000 });
    const { runInstances } = createActivities({ clients });
    let launchAt = Infinity;
    proxy.rules.push(failWhen(isDescribe, 'hang', 1), (r) => (isRunInstances(r) ? void (launchAt = Math.min(launchAt, Date.now())) : undefined));
    const env = new MockActivityEnvironment({ attempt: 2, workflowExecution: { workflowId: uniqueName('hb'), runId: 'run-1' } }, { logger: new DefaultLogger('ERROR') });
    const heartbeats: number[] = [];
    env.on('heartbeat', () => heartbeats.push(Date.now()));
    const marker = uniqueName('heartbeat');

    const launched: LaunchedInstance = await env.run(runInstances, {
      region,
      instanceType: 't3.small',
      imageId: 'ami-0c7217cdde317cfec',
      rootDeviceName: '/dev/sda1',
      rootVolumeGiB: 20,
      spot: false,
      tags: { Name: 'stagely-vm', test: marker },
      clientToken: uniqueName('token'),
    });
    expect(launched.adopted).toBeUndefined();
    expect(proxy.requests.filter(isDescribe).map((r) => r.injected ?? 'ok')).toEqual(['hang', 'ok']);
    // One at the start of the look-up, then every 2 s while it hangs: all before RunInstances was sent.
    expect(heartbeats.filter((t) => t < launchAt).length).toBeGreaterThanOrEqual(2);
  }, 15_000);
});
