/**
 * When AWS is out of capacity: spot falls back to on-demand, equivalent types and other subnets are
 * tried in order, a reclaimed spot instance is replaced once, and running out of options fails with
 * InsufficientCapacity naming every attempt. A type EC2 does not offer in a zone or region is refused
 * like capacity; the spot limit ends the spot candidates. Time-skipping server, fake activities.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LaunchRequest } from '../../src/activities';
import type { LaunchAttempt, ProvisionRequest } from '../../src/common/contract';
import type { provisionInstance } from '../../src/workflows';
import { uniqueName } from '../support/env';
import { Context } from '@temporalio/activity';
import { capacityError, fakeActivities, instanceIdOf, notOfferedError, pending, ready, type FakeActivityScript } from '../support/fake-activities';
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

async function provision(request: ProvisionRequest, script: FakeActivityScript) {
  const taskQueue = uniqueName('tq');
  const { activities, calls } = fakeActivities(script);
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

/**
 * A launch that refuses the listed (type, market, subnet) combinations, for capacity (an AWS code) or
 * with the given failure, and launches the rest.
 */
function refusing(refuse: (r: LaunchRequest) => string | ApplicationFailure | undefined): FakeActivityScript['launch'] {
  let launched = 0;
  return async (request) => {
    const refusal = refuse(request);
    if (refusal !== undefined) throw typeof refusal === 'string' ? capacityError(refusal) : refusal;
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
  const reclaimedThenReady: FakeActivityScript['describe'] = (_call, instanceId) =>
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

describe('a type EC2 does not offer there', () => {
  it('moves on from a zone that does not offer the type (Unsupported) to the next subnet', async () => {
    const { result, calls } = await provision(
      { size: 'small', architecture: 'amd64', subnetIds: [A, B] },
      { launch: refusing((r) => (r.subnetId === A ? notOfferedError(r.instanceType) : undefined)) },
    );

    expect(calls.launched.map(shape)).toEqual([`t3.small on-demand ${A}`, `t3a.small on-demand ${A}`, `t3.small on-demand ${B}`]);
    expect(result).toMatchObject({ instanceType: 't3.small', subnetId: B });
    expect(result?.attempts.map((a) => a.outcome)).toEqual(['Unsupported', 'Unsupported', 'launched']);
    // EC2 answered, so it launched nothing: no sweep.
    expect(calls.swept).toEqual([]);
  });

  it('moves on from a type unknown in the region (InvalidParameterValue for InstanceType) to the alternate', async () => {
    const { result } = await provision(
      { size: 'medium', architecture: 'arm64' },
      { launch: refusing((r) => (r.instanceType === 'c6g.xlarge' ? notOfferedError(r.instanceType, 'InvalidParameterValue') : undefined)) },
    );
    expect(result).toMatchObject({ instanceType: 'c7g.xlarge' });
    expect(result?.attempts.map((a) => [a.instanceType, a.outcome])).toEqual([
      ['c6g.xlarge', 'InvalidParameterValue'],
      ['c7g.xlarge', 'launched'],
    ]);
  });

  it('falls back from spot to on-demand when the zone does not offer the type on the spot market', async () => {
    const { result } = await provision(
      { size: 'small', architecture: 'arm64', spotInstance: true },
      { launch: refusing((r) => (r.spot ? notOfferedError(r.instanceType) : undefined)) },
    );
    expect(result).toMatchObject({ spot: false, instanceType: 't4g.small' });
    expect(result?.fallbackReason).toBe('spot refused for t4g.small spot (Unsupported); launched on-demand');
  });

  it('fails with InvalidConfiguration naming every attempt when no candidate is offered', async () => {
    const { error, calls } = await provision(
      { size: 'small', architecture: 'amd64', subnetIds: [A, B] },
      { launch: refusing((r) => notOfferedError(r.instanceType, r.subnetId === A ? 'Unsupported' : 'InvalidParameterValue')) },
    );

    const failure = contractFailure(error);
    expect(failure.type).toBe('InvalidConfiguration');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('Tried 4 launches');
    for (const type of ['t3.small', 't3a.small']) {
      expect(failure.message).toContain(`${type} on-demand in ${A}: Unsupported`);
      expect(failure.message).toContain(`${type} on-demand in ${B}: InvalidParameterValue`);
    }
    expect((failure.details?.[0] as { attempts: LaunchAttempt[] }).attempts.map((a) => a.outcome)).toEqual([
      'Unsupported',
      'Unsupported',
      'InvalidParameterValue',
      'InvalidParameterValue',
    ]);
    expect(calls.launched).toHaveLength(4);
    expect(calls.swept).toEqual([]);
  });

  it('fails with InsufficientCapacity when the other candidates were refused for capacity (a retry later can succeed)', async () => {
    const { error } = await provision(
      { size: 'small', architecture: 'amd64', subnetIds: [A, B] },
      { launch: refusing((r) => (r.subnetId === A ? notOfferedError(r.instanceType) : 'InsufficientInstanceCapacity')) },
    );
    const failure = contractFailure(error);
    expect(failure.type).toBe('InsufficientCapacity');
    expect(failure.message).toContain(`t3.small on-demand in ${A}: Unsupported`);
    expect(failure.message).toContain(`t3.small on-demand in ${B}: InsufficientInstanceCapacity`);
  });
});

describe('the spot instance limit with spotFallback "none"', () => {
  it('fails with QuotaExceeded at the limit, without trying the other spot candidates', async () => {
    const { error, calls } = await provision(
      { size: 'small', architecture: 'amd64', spotInstance: true, spotFallback: 'none', subnetIds: [A, B] },
      { launch: refusing((r) => (r.instanceType === 't3.small' ? 'InsufficientInstanceCapacity' : 'MaxSpotInstanceCountExceeded')) },
    );

    const failure = contractFailure(error);
    expect(failure.type).toBe('QuotaExceeded');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`t3a.small spot in ${A}: MaxSpotInstanceCountExceeded`);
    // The limit is the account's: the candidates in subnet B could not launch either.
    expect(calls.launched.map(shape)).toEqual([`t3.small spot ${A}`, `t3a.small spot ${A}`]);
    expect((failure.details?.[0] as { attempts: LaunchAttempt[] }).attempts.map((a) => a.outcome)).toEqual([
      'InsufficientInstanceCapacity',
      'MaxSpotInstanceCountExceeded',
    ]);
  });
});

describe('a launch refused on an activity retry', () => {
  it('sweeps that attempt\'s token before the next candidate: an earlier try may have launched', async () => {
    const events: string[] = [];
    const { result, calls } = await provision(
      { size: 'small', architecture: 'amd64', subnetIds: [A, B] },
      {
        launch: async (request) => {
          const { attempt } = Context.current().info;
          events.push(`launch ${request.clientToken.slice(-2)} try ${attempt} ${request.subnetId ?? '-'}`);
          if (request.clientToken.endsWith('-1') && attempt === 1) throw ApplicationFailure.retryable('RunInstances failed: ECONNRESET', 'Ec2Unreachable');
          if (request.subnetId === A) throw capacityError('InsufficientInstanceCapacity', attempt);
          return { instanceId: instanceIdOf(1) };
        },
        sweep: async (clientToken) => {
          events.push(`sweep ${clientToken.slice(-2)}`);
          return ['i-0bbbbbbbbbbbbbbbb'];
        },
      },
    );

    expect(result).toMatchObject({ instanceId: instanceIdOf(1), subnetId: B });
    expect(events).toEqual([`launch -1 try 1 ${A}`, `launch -1 try 2 ${A}`, 'sweep -1', `launch -2 try 1 ${A}`, `launch -3 try 1 ${B}`]);
    expect(calls.swept).toEqual([calls.launched[0]?.clientToken]);
  });

  it('sweeps before failing when the last candidate was refused on a retry', async () => {
    const { error, calls } = await provision(
      { size: 'small', architecture: 'amd64', spotInstance: true, spotFallback: 'none' },
      { launch: async (request) => Promise.reject(capacityError('InsufficientInstanceCapacity', request.instanceType === 't3a.small' ? 3 : 1)) },
    );
    expect(contractFailure(error).type).toBe('InsufficientCapacity');
    expect(calls.swept).toEqual([calls.launched[1]?.clientToken]);
  });
});
