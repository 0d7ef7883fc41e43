/**
 * getInstanceStatus on the time-skipping server: a known instance is reported with its folded state
 * and EC2's own, an id EC2 does not know fails with InstanceNotFound, and a malformed request fails
 * with InvalidSpec before any activity runs.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { InstanceRef, InstanceStatus } from '../../src/activities';
import type { InstanceStatusRequest } from '../../src/client';
import type { getInstanceStatus } from '../../src/workflows';
import { uniqueName } from '../support/env';
import { compileContractSchema } from '../support/contract-schemas';
import { createTimeSkippingEnv, createWorker } from '../support/workflow-env';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

/** Runs one status call against a describeInstance that answers `seen`, recording what it was asked. */
async function statusOf(request: unknown, seen: InstanceStatus | null): Promise<{ outcome: unknown; asked: InstanceRef[] }> {
  const taskQueue = uniqueName('tq');
  const asked: InstanceRef[] = [];
  const worker = await createWorker(env, taskQueue, {
    async describeInstance(ref) {
      asked.push({ region: ref.region, instanceId: ref.instanceId });
      return seen;
    },
  });
  const outcome = await worker.runUntil(
    env.client.workflow
      .execute<typeof getInstanceStatus>('getInstanceStatus', {
        args: [request as InstanceStatusRequest],
        taskQueue,
        workflowId: uniqueName('instance-status'),
        workflowExecutionTimeout: '1h',
      })
      .then((result) => result, (e: unknown) => e),
  );
  return { outcome, asked };
}

function applicationFailure(outcome: unknown): ApplicationFailure {
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  const failure = (outcome as WorkflowFailedError).cause;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

it.each<[string, string, string]>([
  ['running', 'running', 'running'],
  ['stopping', 'stopped', 'stopping'],
  ['shutting-down', 'terminated', 'shutting-down'],
])('reports an instance EC2 has as %s with state %s, in the contract\'s shape', async (_label, state, ec2State) => {
  const instanceId = 'i-0123456789abcdef0';
  const seen = {
    instanceId,
    state,
    ec2State,
    instanceType: 't4g.small',
    publicIp: '203.0.113.10',
    privateIp: '10.0.0.10',
    launchedAt: '2026-11-25T12:00:00.000Z',
    spot: true,
    checkedAt: 1,
  } as InstanceStatus;
  const { outcome, asked } = await statusOf({ instanceId, region: 'eu-west-1' }, seen);
  expect(asked).toEqual([{ region: 'eu-west-1', instanceId }]);
  // Only the contract's fields: the activity's spot flag and answer time stay inside the worker.
  expect(outcome).toStrictEqual({
    instanceId,
    state,
    ec2State,
    publicIp: '203.0.113.10',
    privateIp: '10.0.0.10',
    instanceType: 't4g.small',
    launchedAt: '2026-11-25T12:00:00.000Z',
  });
  expect(compileContractSchema('get-instance-status.result.schema.json')(outcome)).toBe(true);
});

it('reports a pending instance without the fields EC2 has not filled in yet, in the default region', async () => {
  const instanceId = 'i-01234567';
  const { outcome, asked } = await statusOf({ instanceId }, { instanceId, state: 'pending', ec2State: 'pending', spot: false });
  expect(asked).toEqual([{ region: 'us-east-1', instanceId }]);
  expect(outcome).toStrictEqual({ instanceId, state: 'pending', ec2State: 'pending' });
});

it('fails with InstanceNotFound when EC2 does not know the id, naming the id and region', async () => {
  const { outcome, asked } = await statusOf({ instanceId: 'i-0123456789abcdef0', region: 'eu-west-1' }, null);
  expect(asked).toHaveLength(1);
  const failure = applicationFailure(outcome);
  expect(failure.type).toBe('InstanceNotFound');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('EC2 in eu-west-1 does not know instance i-0123456789abcdef0');
  expect(failure.message).toContain('not be visible yet');
});

it('fails a malformed id with InvalidSpec naming the field, and asks EC2 nothing', async () => {
  const { outcome, asked } = await statusOf({ instanceId: 'i-nope', region: 'us-east-1' }, null);
  const failure = applicationFailure(outcome);
  expect(failure.type).toBe('InvalidSpec');
  expect(failure.message).toBe(
    'Invalid instance status request (1 problem): instanceId: must be an id like "i-0123456789abcdef0" (got string "i-nope"). Fix the request and ask again; nothing was sent to AWS.',
  );
  expect(failure.details).toEqual([{ problems: [{ field: 'instanceId', message: 'must be an id like "i-0123456789abcdef0" (got string "i-nope")' }] }]);
  expect(asked).toEqual([]);
});
