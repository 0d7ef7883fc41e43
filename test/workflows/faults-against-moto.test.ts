/**
 * EC2 faults injected between the AWS SDK and moto, under the real activities and the workflow on the
 * time-skipping server: each case ends as the contract says, and nothing is leaked or doubled.
 * docs/reliability.md ("Faults tried") lists these cases and their outcomes.
 */
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { CredentialsProviderError } from '@smithy/core/config';
import { WorkflowClient, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, regionalClients } from '../../src/activities';
import type { ProvisionRequest } from '../../src/common/contract';
import { WORKFLOW_ID_TAG } from '../../src/common/tags';
import type { provisionInstance } from '../../src/workflows';
import { failWhen, isAction, isRunInstances, startEc2FaultProxy, type Ec2FaultProxy, type FaultRule } from '../../tools/ec2-fault-proxy';
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

  it("a termination answered AuthFailure once (a bad credential refresh) is retried: the failed run's VM is terminated, not left to the reaper", async () => {
    proxy.rules.push(failWhen(isAction('TerminateInstances'), authFailure, 1));
    const { error, instances, running } = await provision({ ...basic, subnetIds: [privateSubnet], ipWaitTimeout: '10s' });
    expect(failureType(error)).toBe('PublicIpTimeout');
    expect(proxy.requests.filter(isAction('TerminateInstances')).map((r) => r.injected ?? 'ok')).toEqual(['AuthFailure', 'ok']);
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

describe('a credential refresh hiccup under batched polls', () => {
  it('20 concurrent runs: one batch answered ExpiredToken and a credential provider that throws once; all 20 succeed', async () => {
    // The worker's own clients, through the proxy, with credentials that must be fetched for every
    // call (they always expire within the SDK's refresh window) and whose fetch fails once when armed.
    let armed = false;
    let thrown = 0;
    const credentials = async () => {
      if (armed) {
        armed = false;
        thrown += 1;
        throw new CredentialsProviderError('Could not load credentials: the instance metadata service timed out', { tryNextLink: false });
      }
      return { accessKeyId: 'testing', secretAccessKey: 'testing', expiration: new Date(Date.now() + 60_000) };
    };
    const flaky = regionalClients({ config: { endpoint: proxy.endpoint, credentials, maxAttempts: 3 } });
    const isBatch = (r: Parameters<FaultRule>[0]): boolean => isDescribe(r) && r.params['Filter.1.Name'] === 'instance-id';
    let batchIds = 0;
    proxy.rules.push((r) => {
      if (!isBatch(r) || batchIds > 0) return undefined;
      batchIds = Object.keys(r.params).filter((k) => k.startsWith('Filter.1.Value.')).length;
      armed = true;
      return { code: 'ExpiredToken', message: 'The security token included in the request is expired' };
    });
    const taskQueue = uniqueName('refresh');
    const workflowIds = Array.from({ length: 20 }, () => uniqueName('refresh'));
    const worker = await createWorker(env, taskQueue, createActivities({ clients: flaky, batching: { windowMs: 200 } }));
    // A plain client: waiting on it does not unlock time skipping, so the server's clock cannot run
    // ahead of the local-activity polls' retries, which happen in real time inside the worker.
    const client = new WorkflowClient({ connection: env.connection, namespace: env.namespace ?? 'default' });
    try {
      const outcomes = await worker.runUntil(
        Promise.allSettled(
          workflowIds.map((workflowId) =>
            client.execute<typeof provisionInstance>('provisionInstance', { args: [basic], taskQueue, workflowId, workflowExecutionTimeout: '1h' }),
          ),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(batchIds).toBeGreaterThan(1);
      expect(thrown).toBe(1);
      for (const [index, workflowId] of workflowIds.entries()) {
        const outcome = outcomes[index];
        const running = (await instancesTagged(moto, WORKFLOW_ID_TAG, workflowId)).filter(isRunningOrPending);
        expect(running.map((i) => i.InstanceId)).toEqual([outcome?.status === 'fulfilled' ? outcome.value.instanceId : 'none']);
      }
    } finally {
      flaky.destroy();
    }
  }, 120_000);
});
