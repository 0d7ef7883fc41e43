/**
 * The client library against the dev server with a real worker: starting twice with one workflow ID
 * never launches twice, and the worker keeps AWS secrets out of its logs.
 */
import { readFileSync } from 'node:fs';
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { stackEnv, startWorker, type ManagedProcess } from '../../scripts/local-stack';
import { findApplicationFailure, startProvision } from '../../src/client';
import { instancesTagged, motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const taskQueue = uniqueName('e2e-client');
const secret = uniqueName('do-not-log-this-secret');
const ec2 = motoEc2Client();
let worker: ManagedProcess;
let client: Client;

beforeAll(async () => {
  const env = {
    ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), motoEndpoint(), taskQueue),
    AWS_SECRET_ACCESS_KEY: secret,
    STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE'),
  };
  worker = await startWorker(env, { logDir: TEST_LOG_DIR });
  client = new Client({ connection: await Connection.connect({ address: requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS') }) });
});

afterAll(async () => {
  ec2.destroy();
  await client?.connection.close();
  await worker?.stop();
});

it('attaches a second start to the open run instead of launching again', async () => {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.78.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.78.1.0/24' }));
  const marker = uniqueName('attach');
  const workflowId = uniqueName('pr');
  // No public IPs in this subnet, so the run stays open until its (short) deadline.
  const request = {
    size: 'small',
    architecture: 'arm64',
    tags: { e2e: marker },
    subnetId: subnet.Subnet?.SubnetId ?? '',
    ipWaitTimeout: '10s',
    pollInterval: '1s',
  } as const;

  const first = await startProvision(client, request, { workflowId, taskQueue });
  const firstRunId = (await first.describe()).runId;
  const second = await startProvision(client, request, { workflowId, taskQueue });

  expect((await second.describe()).runId).toBe(firstRunId);
  const error = await second.result().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(findApplicationFailure(error as Error)?.type).toBe('PublicIpTimeout');
  expect(await instancesTagged(ec2, 'e2e', marker)).toHaveLength(1);
});

it('returns the finished run for an ID that already succeeded instead of launching a second VM', async () => {
  const marker = uniqueName('again');
  const workflowId = uniqueName('pr');
  const request = { size: 'small', architecture: 'amd64', tags: { e2e: marker }, pollInterval: '1s' } as const;

  const first = await startProvision(client, request, { workflowId, taskQueue });
  const result = await first.result();
  const again = await startProvision(client, request, { workflowId, taskQueue });

  await expect(again.result()).resolves.toEqual(result);
  expect((await instancesTagged(ec2, 'e2e', marker)).map((i) => i.InstanceId)).toEqual([result.instanceId]);
});

it('never writes the AWS secret key to its log', () => {
  const log = readFileSync(worker.logFile, 'utf8');
  expect(log).toContain('Worker ready');
  expect(log).not.toContain(secret);
});
