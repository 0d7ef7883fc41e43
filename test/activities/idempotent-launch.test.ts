/**
 * One launch attempt never makes two instances: provenance tags on every launch, a retried attempt
 * adopts what the first one started, RunInstances is never resent by the SDK behind the look-up, and
 * a launch whose outcome is unknown is swept by its token. Against moto (which ignores ClientToken,
 * so the tag is all that stands between a retry and a second VM), through the fault proxy.
 */
import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type LaunchRequest } from '../../src/activities';
import { runActivity, runActivityAs } from '../support/activity-env';
import { failWhen, isRunInstances, startEc2FaultProxy, type Ec2FaultProxy } from '../../tools/ec2-fault-proxy';
import { endpointClients, instancesTagged, isRunningOrPending, motoEc2Client, motoEndpoint, uniqueName } from '../support/env';

const ec2 = motoEc2Client();
let proxy: Ec2FaultProxy;
let clients: ReturnType<typeof endpointClients>;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  proxy = await startEc2FaultProxy(motoEndpoint());
  // The SDK's own retries on, as in the worker: the tests show they never resend RunInstances.
  clients = endpointClients(proxy.endpoint, { sdkRetries: true });
  activities = createActivities({ clients });
});

afterAll(async () => {
  ec2.destroy();
  clients?.destroy();
  await proxy?.close();
});

beforeEach(() => {
  proxy.rules.length = 0;
  proxy.requests.length = 0;
});

function launchRequest(marker: string, clientToken = uniqueName('token')): LaunchRequest {
  return {
    region: 'us-east-1',
    instanceType: 't3.small',
    imageId: 'ami-0c7217cdde317cfec',
    rootDeviceName: '/dev/sda1',
    rootVolumeGiB: 20,
    spot: false,
    tags: { Name: 'stagely-vm', test: marker },
    clientToken,
  };
}

const tagsOf = (tags: { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));

it('tags every instance with its token, workflow, run and stagely:managed', async () => {
  const marker = uniqueName('provenance');
  const request = launchRequest(marker);
  const launched = await runActivityAs({ workflowId: 'pr-42-env', runId: 'run-1234' }, activities.runInstances, request);

  const [instance] = await instancesTagged(ec2, 'test', marker);
  expect(instance?.InstanceId).toBe(launched.instanceId);
  expect(tagsOf(instance?.Tags)).toMatchObject({
    'stagely:managed': 'true',
    'stagely:provision-token': request.clientToken,
    'stagely:workflow-id': 'pr-42-env',
    'stagely:run-id': 'run-1234',
  });
});

it('a retried attempt adopts the instance the first attempt launched instead of launching another', async () => {
  const marker = uniqueName('retry');
  const request = launchRequest(marker);
  const first = await runActivityAs({ attempt: 1 }, activities.runInstances, request);

  const retried = await runActivityAs({ attempt: 2 }, activities.runInstances, request);

  expect(retried).toMatchObject({ instanceId: first.instanceId, adopted: true });
  expect(proxy.requests.filter(isRunInstances)).toHaveLength(1);
  expect((await instancesTagged(ec2, 'test', marker)).map((i) => i.InstanceId)).toEqual([first.instanceId]);
});

it('a retried attempt launches when the first never reached EC2, and ignores a terminated namesake', async () => {
  const marker = uniqueName('retry-fresh');
  const request = launchRequest(marker);
  const first = await runActivityAs({ attempt: 1 }, activities.runInstances, request);
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.instanceId] }));

  const retried = await runActivityAs({ attempt: 2 }, activities.runInstances, request);

  expect(retried.adopted).toBeUndefined();
  expect(retried.instanceId).not.toBe(first.instanceId);
});

it('a connection cut on the answer is not resent by the SDK; the activity retry adopts the instance', async () => {
  const marker = uniqueName('cut');
  const request = launchRequest(marker);
  proxy.rules.push(failWhen(isRunInstances, 'drop-answer', 1));

  const failure = await runActivityAs({ attempt: 1 }, activities.runInstances, request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'Ec2Unreachable', nonRetryable: false });
  // EC2 (moto) acted on the one request; the SDK did not send it again.
  expect(proxy.requests.filter(isRunInstances).map((r) => r.injected)).toEqual(['drop-answer']);
  const [made] = await instancesTagged(ec2, 'test', marker);
  expect(made?.InstanceId).toBeDefined();

  const retried = await runActivityAs({ attempt: 2 }, activities.runInstances, request);

  expect(retried).toMatchObject({ instanceId: made?.InstanceId, adopted: true });
  expect((await instancesTagged(ec2, 'test', marker)).filter(isRunningOrPending)).toHaveLength(1);
});

it('a server error after EC2 acted is not resent by the SDK (moto would launch again); the retry adopts', async () => {
  const marker = uniqueName('acted-then-500');
  const request = launchRequest(marker);
  proxy.rules.push(failWhen(isRunInstances, { code: 'InternalError', afterForwarding: true }, 1));

  await expect(runActivityAs({ attempt: 1 }, activities.runInstances, request)).rejects.toMatchObject({ type: 'Ec2Unavailable', nonRetryable: false });
  expect(proxy.requests.filter(isRunInstances)).toHaveLength(1);

  const retried = await runActivityAs({ attempt: 2 }, activities.runInstances, request);
  expect(retried.adopted).toBe(true);
  expect((await instancesTagged(ec2, 'test', marker)).filter(isRunningOrPending)).toHaveLength(1);
});

describe('terminateLaunchedBy (a launch whose outcome is unknown)', () => {
  it('terminates whatever carries the token and reports it', async () => {
    const marker = uniqueName('sweep');
    const request = launchRequest(marker);
    const launched = await runActivity(activities.runInstances, request);

    await expect(runActivity(activities.terminateLaunchedBy, { region: 'us-east-1', clientToken: request.clientToken })).resolves.toEqual([launched.instanceId]);
    expect((await instancesTagged(ec2, 'test', marker)).filter(isRunningOrPending)).toEqual([]);
    // Idempotent: nothing left to do the second time.
    await expect(runActivity(activities.terminateLaunchedBy, { region: 'us-east-1', clientToken: request.clientToken })).resolves.toEqual([]);
  });

  it('finds nothing for a token no launch used', async () => {
    await expect(runActivity(activities.terminateLaunchedBy, { region: 'us-east-1', clientToken: uniqueName('unused') })).resolves.toEqual([]);
  });
});

describe('terminateInstance right after launch', () => {
  it('reads "not found" within the visibility window as "not visible yet" and retries', async () => {
    const failure = await runActivity(activities.terminateInstance, {
      region: 'us-east-1',
      instanceId: 'i-0123456789abcdef0',
      launchedAt: new Date().toISOString(),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'Ec2Unavailable', nonRetryable: false });
    expect((failure as Error).message).toContain('not visible to EC2 yet');
  });

  it('reads "not found" long after launch as already gone', async () => {
    const launchedAt = new Date(Date.now() - 10 * 60_000).toISOString();
    await expect(runActivity(activities.terminateInstance, { region: 'us-east-1', instanceId: 'i-0123456789abcdef0', launchedAt })).resolves.toEqual({
      instanceId: 'i-0123456789abcdef0',
      alreadyGone: true,
    });
  });

  it('returns only once EC2 reports the instance shutting down', async () => {
    const marker = uniqueName('confirm');
    const launched = await runActivity(activities.runInstances, launchRequest(marker));
    await runActivity(activities.terminateInstance, { region: 'us-east-1', instanceId: launched.instanceId });
    const seen = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [launched.instanceId] }));
    expect(['shutting-down', 'terminated']).toContain(seen.Reservations?.[0]?.Instances?.[0]?.State?.Name);
  });
});
