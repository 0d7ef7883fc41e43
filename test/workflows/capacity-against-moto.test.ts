/**
 * Spot fallback and type/subnet alternates with the real activities against moto, capacity errors
 * (and types not offered, the spot limit, a lost answer) injected by a proxy between the AWS SDK and
 * moto: the attempts EC2 saw, in order, the result, and no instance left behind by a failed attempt.
 */
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { PROVISION_TOKEN_TAG } from '../../src/common/tags';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import type { ProvisionRequest } from '../../src/common/contract';
import type { provisionInstance } from '../../src/workflows';
import { failWhen, isRunInstances, isSpot, startEc2FaultProxy, type Ec2FaultProxy, type Ec2Request } from '../../tools/ec2-fault-proxy';
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
  delete proxy.rewrite;
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

describe('types EC2 does not offer there', () => {
  const unsupported = (r: Ec2Request) => ({
    code: 'Unsupported',
    message: `Your requested instance type (${r.params.InstanceType}) is not supported in your requested Availability Zone. Please retry your request by not specifying an Availability Zone.`,
  });

  it('moves on from a zone that does not offer the type, and from a type unknown in the region', async () => {
    const [a, b] = subnets;
    proxy.rules.push(
      (r) => (isRunInstances(r) && r.params.SubnetId === a ? unsupported(r) : undefined),
      failWhen((r) => isRunInstances(r) && r.params.InstanceType === 'c6g.xlarge', {
        code: 'InvalidParameterValue',
        message: "Invalid value 'c6g.xlarge' for InstanceType.",
      }),
    );
    const marker = uniqueName('not-offered');

    const { result } = await provision({ size: 'medium', architecture: 'arm64', subnetIds: [a, b], tags: { test: marker }, pollInterval: '1s' });

    expect(launchesSeen()).toEqual([
      `c6g.xlarge on-demand ${a} Unsupported`,
      `c7g.xlarge on-demand ${a} Unsupported`,
      `c6gn.xlarge on-demand ${a} Unsupported`,
      `c6g.xlarge on-demand ${b} InvalidParameterValue`,
      `c7g.xlarge on-demand ${b} ok`,
    ]);
    expect(result).toMatchObject({ instanceType: 'c7g.xlarge', subnetId: b });
    const instances = await instancesTagged(moto, 'test', marker);
    expect(instances.map((i) => i.InstanceId)).toEqual([result?.instanceId]);
  });

  it('fails with InvalidConfiguration naming every attempt when no candidate is offered, and leaves nothing running', async () => {
    proxy.rules.push((r) => (isRunInstances(r) ? unsupported(r) : undefined));
    const marker = uniqueName('none-offered');

    const { error } = await provision({ size: 'small', architecture: 'amd64', subnetIds: subnets, tags: { test: marker } });

    const failure = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe('InvalidConfiguration');
    expect(launchesSeen()).toHaveLength(4);
    for (const subnet of subnets) expect(failure.message).toContain(`t3a.small on-demand in ${subnet}: Unsupported`);
    expect((await instancesTagged(moto, 'test', marker)).filter(isRunningOrPending)).toEqual([]);
  });
});

it('fails with QuotaExceeded at the spot instance limit with spotFallback "none", after one launch', async () => {
  proxy.rules.push(failWhen(isRunInstances, { code: 'MaxSpotInstanceCountExceeded', message: 'Max spot instance count exceeded' }));

  const { error } = await provision({ size: 'small', architecture: 'amd64', spotInstance: true, spotFallback: 'none', subnetIds: subnets });

  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('QuotaExceeded');
  expect(launchesSeen()).toEqual([`t3.small spot ${subnets[0]} MaxSpotInstanceCountExceeded`]);
});

it('terminates what a launch with a lost answer started when its retry is refused, before the next candidate', async () => {
  const [a, b] = subnets;
  // EC2 launches but the answer is lost; the retry's look-up by token does not see the instance yet
  // (EC2 is eventually consistent), so it sends RunInstances again and is refused for capacity.
  proxy.rules.push(failWhen(isRunInstances, 'drop-answer', 1), failWhen((r) => isRunInstances(r) && r.params.SubnetId === a, insufficient));
  let lookUps = 0;
  proxy.rewrite = (request, body) => {
    const byToken = request.action === 'DescribeInstances' && request.params['Filter.1.Name'] === `tag:${PROVISION_TOKEN_TAG}`;
    if (!byToken || ++lookUps > 1) return body;
    return body.replace(/<reservationSet>[\s\S]*<\/reservationSet>/, '<reservationSet/>');
  };
  const marker = uniqueName('lost-answer');

  const { result } = await provision({ size: 'small', architecture: 'amd64', subnetIds: [a, b], tags: { test: marker }, pollInterval: '1s' });

  expect(launchesSeen()).toEqual([
    `t3.small on-demand ${a} drop-answer`,
    `t3.small on-demand ${a} InsufficientInstanceCapacity`,
    `t3a.small on-demand ${a} InsufficientInstanceCapacity`,
    `t3.small on-demand ${b} ok`,
  ]);
  // The sweep (a second look-up by the first token) came before the next candidate's launch.
  const order = proxy.requests.map((r) => (isRunInstances(r) ? `run ${r.params.InstanceType} ${r.params.SubnetId}` : r.action));
  expect(order.indexOf('TerminateInstances')).toBeGreaterThan(order.indexOf(`run t3.small ${a}`));
  expect(order.indexOf('TerminateInstances')).toBeLessThan(order.indexOf(`run t3a.small ${a}`));
  const instances = await instancesTagged(moto, 'test', marker);
  expect(instances.filter(isRunningOrPending).map((i) => i.InstanceId)).toEqual([result?.instanceId]);
  expect(instances).toHaveLength(2);
});
