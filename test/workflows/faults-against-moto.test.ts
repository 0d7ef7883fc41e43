/**
 * EC2 faults injected between the AWS SDK and moto, under the real activities and the workflow on the
 * time-skipping server: each case ends as the contract says, and nothing is leaked or doubled.
 * README "Failure and recovery" lists these cases and their outcomes.
 */
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import type { ProvisionRequest } from '../../src/common/contract';
import { WORKFLOW_ID_TAG } from '../../src/common/tags';
import type { provisionInstance } from '../../src/workflows';
import { failWhen, isAction, isRunInstances, startEc2FaultProxy, type Ec2FaultProxy, type FaultRule } from '../support/ec2-fault-proxy';
import { endpointClients, instancesTagged, isRunningOrPending, motoEc2Client, motoEndpoint, uniqueName } from '../support/env';
import { createTimeSkippingEnv, createWorker } from '../support/workflow-env';

let env: TestWorkflowEnvironment;
let proxy: Ec2FaultProxy;
let clients: ReturnType<typeof endpointClients>;
const moto = motoEc2Client();
let privateSubnet: string;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  proxy = await startEc2FaultProxy(motoEndpoint());
  // The SDK's own retries on, as in the worker.
  clients = endpointClients(proxy.endpoint, { sdkRetries: true });
  const vpc = await moto.send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16' }));
  const subnet = await moto.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.99.1.0/24' }));
  privateSubnet = subnet.Subnet?.SubnetId ?? '';
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

const isDescribe = isAction('DescribeInstances');
const isPoll = (r: Parameters<FaultRule>[0]): boolean => isDescribe(r) && r.params['InstanceId.1'] !== undefined;
const throttled = { code: 'RequestLimitExceeded', message: 'Request limit exceeded.' };
const internal = { code: 'InternalError', message: 'An internal error has occurred' };
const authFailure = { code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
const insufficient = { code: 'InsufficientInstanceCapacity', message: 'We currently do not have sufficient capacity.' };

async function provision(request: ProvisionRequest) {
  const taskQueue = uniqueName('faults');
  const workflowId = uniqueName('fault');
  const worker = await createWorker(env, taskQueue, createActivities({ clients, batching: false }));
  const outcome = await worker.runUntil(
    env.client.workflow
      .execute<typeof provisionInstance>('provisionInstance', { args: [request], taskQueue, workflowId, workflowExecutionTimeout: '2h' })
      .then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      ),
  );
  const instances = await instancesTagged(moto, WORKFLOW_ID_TAG, workflowId);
  return { ...outcome, instances, running: instances.filter(isRunningOrPending) };
}

/** The failure type a caller sees: the ApplicationFailure closest to the workflow's failure. */
function failureType(error: unknown): string | undefined {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  for (let e: unknown = (error as WorkflowFailedError).cause; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure) return e.type ?? undefined;
  }
  return undefined;
}

const basic: ProvisionRequest = { size: 'small', architecture: 'amd64', pollInterval: '1s' };

describe('transient faults are absorbed: the run succeeds with exactly one instance', () => {
  it.each<[string, FaultRule[]]>([
    ['a burst of RequestLimitExceeded on RunInstances', [failWhen(isRunInstances, throttled, 4)]],
    ['a burst of RequestLimitExceeded on DescribeInstances', [failWhen(isPoll, throttled, 6)]],
    ['500 InternalError on RunInstances and on polls', [failWhen(isRunInstances, internal, 2), failWhen(isPoll, internal, 3)]],
    ['connection reset before RunInstances reached EC2', [failWhen(isRunInstances, 'reset', 2)]],
    ['connection cut after EC2 launched, before the answer', [failWhen(isRunInstances, 'drop-answer', 1)]],
    ['500 after EC2 launched (the answer lost)', [failWhen(isRunInstances, { ...internal, afterForwarding: true }, 1)]],
    ['connection resets on polls', [failWhen(isPoll, 'reset', 3)]],
  ])('%s', async (_name, rules) => {
    proxy.rules.push(...rules);
    const { result, error, running } = await provision(basic);
    expect(error).toBeUndefined();
    expect(proxy.requests.some((r) => r.injected !== undefined)).toBe(true);
    expect(running.map((i) => i.InstanceId)).toEqual([result?.instanceId]);
  });
});

describe('faults that end the run: the contract failure, and nothing left running', () => {
  it('AuthFailure in the middle of polling ends the run with InvalidCredentials, after terminating', async () => {
    // The private subnet gives no public IP, so the run keeps polling until credentials "expire".
    let polls = 0;
    proxy.rules.push((r) => (isPoll(r) && ++polls > 2 ? authFailure : undefined));
    const { error, instances, running } = await provision({ ...basic, subnetIds: [privateSubnet] });
    expect(failureType(error)).toBe('InvalidCredentials');
    expect(polls).toBeGreaterThan(2);
    expect(instances).toHaveLength(1);
    expect(running).toEqual([]);
  });

  it('polls failing with 5xx for the whole wait do not end the run early; the deadline does (PublicIpTimeout), after terminating', async () => {
    proxy.rules.push(failWhen(isPoll, internal));
    const { error, instances, running } = await provision({ ...basic, ipWaitTimeout: '30s' });
    expect(failureType(error)).toBe('PublicIpTimeout');
    expect(instances).toHaveLength(1);
    expect(running).toEqual([]);
  });

  it('capacity errors on every launch end with InsufficientCapacity and launch nothing', async () => {
    proxy.rules.push(failWhen(isRunInstances, insufficient));
    const { error, instances } = await provision({ ...basic, spotInstance: true });
    expect(failureType(error)).toBe('InsufficientCapacity');
    expect(instances).toEqual([]);
  });

  it('RunInstances throttled until the launch gives up: the failure is the launch\'s, and the token sweep finds nothing to leak', async () => {
    proxy.rules.push(failWhen(isRunInstances, throttled));
    const { error, instances } = await provision(basic);
    // The last attempt's Ec2Throttled, under the launch's schedule-to-close time-out; when the budget
    // runs out in the middle of an attempt, the time-out alone.
    const chain: unknown[] = [];
    for (let e: unknown = (error as WorkflowFailedError).cause; e instanceof Error; e = e.cause) chain.push(e);
    expect(chain[0]).toBeInstanceOf(ActivityFailure);
    expect(chain.some((e) => (e instanceof ApplicationFailure && e.type === 'Ec2Throttled') || (e instanceof TimeoutFailure && e.timeoutType === TimeoutType.SCHEDULE_TO_CLOSE))).toBe(true);
    expect(instances).toEqual([]);
    // The sweep looked for the launch token before the run reported the failure.
    expect(proxy.requests.some((r) => isDescribe(r) && Object.values(r.params).includes('tag:stagely:provision-token'))).toBe(true);
  });
});
