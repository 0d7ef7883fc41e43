/**
 * When AWS is out of capacity: spot falls back to on-demand, equivalent types and other subnets are
 * tried in order, a reclaimed spot instance is replaced once, and running out of options fails with
 * InsufficientCapacity naming every attempt. Time-skipping server, fake activities.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LaunchRequest } from '../../src/activities';
import type { LaunchAttempt, ProvisionRequest } from '../../src/common/contract';
import type { provisionInstance } from '../../src/workflows';
import { uniqueName } from '../support/env';
import { capacityError, fakeEc2, instanceIdOf, pending, ready, type FakeEc2Script } from '../support/fake-ec2';
import { createTimeSkippingEnv, createWorker } from '../support/workflow-env';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

const A = 'subnet-aaaaaaaa';
const B = 'subnet-bbbbbbbb';

async function provision(request: ProvisionRequest, script: FakeEc2Script) {
  const taskQueue = uniqueName('tq');
  const { activities, calls } = fakeEc2(script);
  const worker = await createWorker(env, taskQueue, activities);
  const outcome = await worker.runUntil(
    env.client.workflow
      .execute<typeof provisionInstance>('provisionInstance', { args: [request], taskQueue, workflowId: uniqueName('cap'), workflowExecutionTimeout: '2h' })
      .then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      ),
  );
  return { ...outcome, calls };
}

/** A launch that refuses the listed (type, market, subnet) combinations for capacity and launches the rest. */
function refusing(refuse: (r: LaunchRequest) => string | undefined): FakeEc2Script['launch'] {
  let launched = 0;
  return async (request) => {
    const code = refuse(request);
    if (code !== undefined) throw capacityError(code);
    launched += 1;
    return { instanceId: instanceIdOf(launched) };
  };
}

const shape = (r: LaunchRequest) => `${r.instanceType} ${r.spot ? 'spot' : 'on-demand'} ${r.subnetId ?? '-'}`;

function contractFailure(error: unknown): ApplicationFailure {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

it('falls back to on-demand when the spot market has no capacity, and says so', async () => {
  const { result, calls } = await provision(
    { size: 'small', architecture: 'amd64', spotInstance: true, subnetIds: [A, B] },
    { launch: refusing((r) => (r.spot ? 'InsufficientInstanceCapacity' : undefined)) },
  );

  expect(calls.launched.map(shape)).toEqual([`t3.small spot ${A}`, `t3.small on-demand ${A}`]);
  expect(calls.launched.map((r) => r.clientToken.slice(-2))).toEqual(['-1', '-2']);
  expect(result).toMatchObject({ instanceId: instanceIdOf(1), instanceType: 't3.small', spot: false, subnetId: A });
  expect(result?.fallbackReason).toContain('InsufficientInstanceCapacity');
  expect(result?.attempts).toEqual<LaunchAttempt[]>([
    { instanceType: 't3.small', spot: true, subnetId: A, outcome: 'InsufficientInstanceCapacity' },
    { instanceType: 't3.small', spot: false, subnetId: A, outcome: 'launched', instanceId: instanceIdOf(1) },
  ]);
  expect(calls.terminated).toEqual([]);
});

it.each(['SpotMaxPriceTooLow', 'MaxSpotInstanceCountExceeded'])('also falls back on %s', async (code) => {
  const { result } = await provision(
    { size: 'small', architecture: 'arm64', spotInstance: true },
    { launch: refusing((r) => (r.spot ? code : undefined)) },
  );
  expect(result).toMatchObject({ spot: false, instanceType: 't4g.small' });
  expect(result?.fallbackReason).toContain(code);
});

it('tries the alternate types, then the other subnets, in order', async () => {
  const { result, calls } = await provision(
    { size: 'medium', architecture: 'amd64', subnetIds: [A, B] },
    { launch: refusing((r) => (r.subnetId === A || r.instanceType === 'c5.xlarge' ? 'InsufficientInstanceCapacity' : undefined)) },
  );

  expect(calls.launched.map(shape)).toEqual([
    `c5.xlarge on-demand ${A}`,
    `c6i.xlarge on-demand ${A}`,
    `c5a.xlarge on-demand ${A}`,
    `c6a.xlarge on-demand ${A}`,
    `c5.xlarge on-demand ${B}`,
    `c6i.xlarge on-demand ${B}`,
  ]);
  expect(result).toMatchObject({ instanceType: 'c6i.xlarge', subnetId: B, spot: false });
  expect(result?.attempts).toHaveLength(6);
  expect(result?.attempts[5]).toEqual({ instanceType: 'c6i.xlarge', spot: false, subnetId: B, outcome: 'launched', instanceId: instanceIdOf(1) });
  expect(result?.fallbackReason).toBeUndefined();
});

it('fails with InsufficientCapacity naming every attempt when all are exhausted', async () => {
  const { error, calls } = await provision(
    { size: 'large', architecture: 'arm64', subnetIds: [A, B] },
    { launch: refusing(() => 'InsufficientInstanceCapacity') },
  );

  const failure = contractFailure(error);
  expect(failure.type).toBe('InsufficientCapacity');
  expect(failure.nonRetryable).toBe(true);
  for (const type of ['c6g.2xlarge', 'c7g.2xlarge', 'c6gn.2xlarge']) {
    for (const subnet of [A, B]) expect(failure.message).toContain(`${type} on-demand in ${subnet}: InsufficientInstanceCapacity`);
  }
  expect(failure.message).toContain('Tried 6 launches');
  expect((failure.details?.[0] as { attempts: LaunchAttempt[] }).attempts).toHaveLength(6);
  expect(calls.launched).toHaveLength(6);
  expect(calls.described).toEqual([]);
  expect(calls.terminated).toEqual([]);
});

it('stays on the spot market with spotFallback "none"', async () => {
  const { error, calls } = await provision(
    { size: 'small', architecture: 'amd64', spotInstance: true, spotFallback: 'none' },
    { launch: refusing(() => 'InsufficientInstanceCapacity') },
  );
  expect(contractFailure(error).type).toBe('InsufficientCapacity');
  expect(calls.launched.map(shape)).toEqual(['t3.small spot -', 't3a.small spot -']);
});

it('stops at a failure that is not about capacity', async () => {
  const { error, calls } = await provision(
    { size: 'medium', architecture: 'amd64' },
    {
      launch: async (request) => {
        if (request.instanceType === 'c5.xlarge') throw capacityError();
        throw ApplicationFailure.create({ type: 'InvalidConfiguration', message: 'InvalidParameterValue', nonRetryable: true });
      },
    },
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(((error as WorkflowFailedError).cause?.cause as ApplicationFailure).type).toBe('InvalidConfiguration');
  expect(calls.launched.map((r) => r.instanceType)).toEqual(['c5.xlarge', 'c6i.xlarge']);
});

describe('a spot instance reclaimed before it has a public IP', () => {
  const reclaimedThenReady: FakeEc2Script['describe'] = (_call, instanceId) =>
    instanceId === instanceIdOf(1) ? { ...pending(instanceId), state: 'terminated', spot: true } : ready('198.51.100.7', instanceId);

  it('is terminated and replaced once, on-demand', async () => {
    const { result, calls } = await provision({ size: 'small', architecture: 'arm64', spotInstance: true }, { describe: reclaimedThenReady });

    expect(calls.launched.map(shape)).toEqual(['t4g.small spot -', 't4g.small on-demand -']);
    expect(calls.terminated).toEqual([instanceIdOf(1)]);
    expect(result).toMatchObject({ instanceId: instanceIdOf(2), publicIp: '198.51.100.7', spot: false });
    expect(result?.fallbackReason).toBe(`spot instance ${instanceIdOf(1)} was reclaimed before it had a public IP`);
    expect(result?.attempts.map((a) => [a.spot, a.outcome, a.instanceId])).toEqual([
      [true, 'launched', instanceIdOf(1)],
      [false, 'launched', instanceIdOf(2)],
    ]);
  });

  it('is not replaced a second time: a lost replacement fails with InstanceLost', async () => {
    const { error, calls } = await provision(
      { size: 'small', architecture: 'arm64', spotInstance: true },
      { describe: (_call, instanceId) => ({ ...pending(instanceId), state: 'terminated' }) },
    );
    expect(contractFailure(error).type).toBe('InstanceLost');
    expect(calls.launched).toHaveLength(2);
    expect(calls.terminated).toEqual([instanceIdOf(1), instanceIdOf(2)]);
  });

  it('is not replaced with spotFallback "none"', async () => {
    const { error, calls } = await provision(
      { size: 'small', architecture: 'arm64', spotInstance: true, spotFallback: 'none' },
      { describe: reclaimedThenReady },
    );
    expect(contractFailure(error).type).toBe('InstanceLost');
    expect(calls.launched).toHaveLength(1);
    expect(calls.terminated).toEqual([instanceIdOf(1)]);
  });
});
