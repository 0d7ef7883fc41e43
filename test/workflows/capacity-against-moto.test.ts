/**
 * Spot fallback and type/subnet alternates with the real activities against moto, capacity errors
 * injected by a proxy between the AWS SDK and moto: the attempts EC2 saw, in order, the result, and
 * no instance left behind by a failed attempt.
 */
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import type { ProvisionRequest } from '../../src/common/contract';
import type { provisionInstance } from '../../src/workflows';
import { failWhen, isRunInstances, isSpot, startEc2FaultProxy, type Ec2FaultProxy, type Ec2Request } from '../support/ec2-fault-proxy';
import { endpointClients, instancesTagged, isRunningOrPending, motoEc2Client, motoEndpoint, uniqueName } from '../support/env';
import { createTimeSkippingEnv, createWorker } from '../support/workflow-env';

let env: TestWorkflowEnvironment;
let proxy: Ec2FaultProxy;
let clients: ReturnType<typeof endpointClients>;
const moto = motoEc2Client();
let subnets: [string, string];

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  proxy = await startEc2FaultProxy(motoEndpoint());
  clients = endpointClients(proxy.endpoint);
  const found = await moto.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }));
  const ids = (found.Subnets ?? []).map((s) => s.SubnetId ?? '').sort();
  if (ids.length < 2 || !ids[0] || !ids[1]) throw new Error('moto should have a default subnet per availability zone');
  subnets = [ids[0], ids[1]];
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  moto.destroy();
  await proxy?.close();
  await env?.teardown();
});

beforeEach(() => {
  proxy.rules.length = 0;
  proxy.requests.length = 0;
});

const insufficient = { code: 'InsufficientInstanceCapacity', message: 'We currently do not have sufficient capacity in the Availability Zone you requested.' };

async function provision(request: ProvisionRequest) {
  const taskQueue = uniqueName('moto');
  const worker = await createWorker(env, taskQueue, createActivities({ clients }));
  return worker.runUntil(
    env.client.workflow
      .execute<typeof provisionInstance>('provisionInstance', { args: [request], taskQueue, workflowId: uniqueName('cap'), workflowExecutionTimeout: '1h' })
      .then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      ),
  );
}

/** The launches EC2 was asked for, as "type market subnet outcome". */
function launchesSeen(): string[] {
  return proxy.requests
    .filter(isRunInstances)
    .map((r: Ec2Request) => `${r.params.InstanceType} ${isSpot(r) ? 'spot' : 'on-demand'} ${r.params.SubnetId ?? '-'} ${r.injected ?? 'ok'}`);
}

it('falls back from spot to on-demand; only the on-demand instance exists', async () => {
  proxy.rules.push(failWhen((r) => isRunInstances(r) && isSpot(r), insufficient));
  const marker = uniqueName('spot-fallback');

  const { result } = await provision({ size: 'small', architecture: 'amd64', spotInstance: true, tags: { test: marker }, pollInterval: '1s' });

  expect(launchesSeen()).toEqual(['t3.small spot - InsufficientInstanceCapacity', 't3.small on-demand - ok']);
  expect(result).toMatchObject({ instanceType: 't3.small', spot: false });
  expect(result?.fallbackReason).toContain('InsufficientInstanceCapacity');
  const instances = await instancesTagged(moto, 'test', marker);
  expect(instances.map((i) => i.InstanceId)).toEqual([result?.instanceId]);
  expect(instances[0]?.InstanceLifecycle).toBeUndefined();
});

it('moves through alternate types and then subnets; one instance, in the subnet that had room', async () => {
  const [a, b] = subnets;
  proxy.rules.push(
    failWhen((r) => isRunInstances(r) && (r.params.SubnetId === a || r.params.InstanceType === 'c6g.xlarge'), insufficient),
  );
  const marker = uniqueName('alternates');

  const { result } = await provision({ size: 'medium', architecture: 'arm64', subnetIds: [a, b], tags: { test: marker }, pollInterval: '1s' });

  expect(launchesSeen()).toEqual([
    `c6g.xlarge on-demand ${a} InsufficientInstanceCapacity`,
    `c7g.xlarge on-demand ${a} InsufficientInstanceCapacity`,
    `c6gn.xlarge on-demand ${a} InsufficientInstanceCapacity`,
    `c6g.xlarge on-demand ${b} InsufficientInstanceCapacity`,
    `c7g.xlarge on-demand ${b} ok`,
  ]);
  expect(result).toMatchObject({ instanceType: 'c7g.xlarge', subnetId: b, spot: false });
  expect(result?.attempts.map((x) => x.outcome)).toEqual([
    'InsufficientInstanceCapacity',
    'InsufficientInstanceCapacity',
    'InsufficientInstanceCapacity',
    'InsufficientInstanceCapacity',
    'launched',
  ]);
  const instances = await instancesTagged(moto, 'test', marker);
  expect(instances.map((i) => [i.InstanceId, i.InstanceType, i.SubnetId])).toEqual([[result?.instanceId, 'c7g.xlarge', b]]);
});

it('fails with InsufficientCapacity naming every attempt, and leaves nothing running', async () => {
  proxy.rules.push(failWhen(isRunInstances, insufficient));
  const marker = uniqueName('exhausted');

  const { error } = await provision({ size: 'small', architecture: 'amd64', spotInstance: true, subnetIds: subnets, tags: { test: marker } });

  expect(error).toBeInstanceOf(WorkflowFailedError);
  const failure = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(failure.type).toBe('InsufficientCapacity');
  expect(launchesSeen()).toHaveLength(5); // one spot try, then 2 types x 2 subnets on-demand
  for (const line of launchesSeen()) {
    const [type, market, subnet] = line.split(' ');
    expect(failure.message).toContain(`${type} ${market}${subnet === '-' ? '' : ` in ${subnet}`}: InsufficientInstanceCapacity`);
  }
  expect((await instancesTagged(moto, 'test', marker)).filter(isRunningOrPending)).toEqual([]);
});
