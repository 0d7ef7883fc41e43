/**
 * The client library against the dev server with a real worker: starting twice with one workflow ID
 * never launches twice, a second start with a different request is refused with ProvisionConflict
 * (open or succeeded run), and the worker keeps AWS secrets out of its logs.
 */
import { readFileSync } from 'node:fs';
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import { stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import {
  cancelProvision,
  findApplicationFailure,
  getInstanceStatus,
  getProvisionResult,
  getProvisionStatus,
  ProvisionConflictError,
  startProvision,
  terminateInstance,
  validateCredentials,
} from '../../src/client';
import type { ProvisionRequest } from '../../src/common/contract';
import { INSTANCE_ID, INSTANCE_TYPE, STAGELY_ENVIRONMENT } from '../../src/common/visibility';
import { instancesTagged, motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { compileContractSchema } from '../support/contract-schemas';
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

/** A subnet that gives instances no public IP, so a provision stays in its polling loop. */
async function subnetWithoutPublicIps(cidr: string): Promise<string> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16` }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: `${cidr}.1.0/24` }));
  return subnet.Subnet?.SubnetId ?? '';
}

async function motoState(instanceId: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

it('attaches a second start to the open run instead of launching again', async () => {
  const subnet = { Subnet: { SubnetId: await subnetWithoutPublicIps('10.78') } };
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

/** What startProvision rejected with, or undefined when it resolved. */
async function startError(...args: Parameters<typeof startProvision>): Promise<unknown> {
  return startProvision(...args).then(() => undefined, (e: unknown) => e);
}

it('refuses a start whose request differs from the open run, naming the fields, and attaches one that means the same VM', async () => {
  const subnetId = await subnetWithoutPublicIps('10.81');
  const marker = uniqueName('conflict-open');
  const workflowId = uniqueName('pr');
  const request = { size: 'small', architecture: 'arm64', tags: { e2e: marker }, subnetId, ipWaitTimeout: '1h', pollInterval: '1s' } as const;
  const first = await startProvision(client, request, { workflowId, taskQueue });
  const firstRunId = (await first.describe()).runId;
  // Launched: from here a second launch would show in moto.
  while ((await getProvisionStatus(client, workflowId)).phase !== 'waiting-for-ip') await new Promise((r) => setTimeout(r, 200));

  const error = await startError(client, { ...request, architecture: 'amd64', tags: { e2e: marker, other: 'x' } }, { workflowId, taskQueue });
  expect(error).toBeInstanceOf(ProvisionConflictError);
  expect(error).toMatchObject({ type: 'ProvisionConflict', workflowId, runId: firstRunId, runStatus: 'RUNNING', fields: ['architecture', 'tags'] });
  expect((error as Error).message).toContain('differs in architecture, tags');

  // The same VM asked for differently: defaults spelled out, a duration in milliseconds, keys reordered.
  const same: ProvisionRequest = {
    pollInterval: 1000,
    ipWaitTimeout: '60m',
    subnetIds: [subnetId],
    region: 'us-east-1',
    spotInstance: false,
    tags: { e2e: marker },
    architecture: 'arm64',
    size: 'small',
  };
  const attached = await startProvision(client, same, { workflowId, taskQueue });
  expect((await attached.describe()).runId).toBe(firstRunId);

  await cancelProvision(client, workflowId);
  await first.result().catch(() => undefined);
  expect(await instancesTagged(ec2, 'e2e', marker)).toHaveLength(1);
});

it('refuses a start whose request differs from the run that succeeded under the ID, and launches nothing', async () => {
  const marker = uniqueName('conflict-done');
  const workflowId = uniqueName('pr');
  const request = { size: 'small', architecture: 'amd64', tags: { e2e: marker }, pollInterval: '1s' } as const;
  const result = await (await startProvision(client, request, { workflowId, taskQueue })).result();

  const error = await startError(client, { ...request, userData: '#!/bin/bash\necho hi\n' }, { workflowId, taskQueue });
  expect(error).toBeInstanceOf(ProvisionConflictError);
  expect(error).toMatchObject({ type: 'ProvisionConflict', runStatus: 'COMPLETED', fields: ['userData'] });
  expect((await instancesTagged(ec2, 'e2e', marker)).map((i) => i.InstanceId)).toEqual([result.instanceId]);
});

it('compares with the request of a run that another caller started (not through this library)', async () => {
  const workflowId = uniqueName('pr');
  // Nobody polls this queue, so the run stays open without touching EC2.
  const idleQueue = uniqueName('e2e-client-idle');
  const other = await client.workflow.start('provisionInstance', { args: [{ architecture: 'arm64', size: 'small' }], taskQueue: idleQueue, workflowId });
  try {
    const error = await startError(client, { size: 'large', architecture: 'amd64' }, { workflowId, taskQueue });
    expect(error).toMatchObject({ type: 'ProvisionConflict', runId: other.firstExecutionRunId, fields: ['architecture', 'rootVolumeGiB', 'size'] });
    const attached = await startProvision(client, { size: 'small', architecture: 'arm64', region: 'us-east-1' }, { workflowId, taskQueue });
    expect((await attached.describe()).runId).toBe(other.firstExecutionRunId);
  } finally {
    await other.terminate('client test done');
  }
});

it('reports status while polling, and a cancel terminates the instance', async () => {
  const workflowId = uniqueName('pr');
  const subnetId = await subnetWithoutPublicIps('10.79');
  await startProvision(client, { size: 'small', architecture: 'arm64', subnetId, ipWaitTimeout: '1h', pollInterval: '1s' }, { workflowId, taskQueue });

  let status = await getProvisionStatus(client, workflowId);
  while (status.polls < 2) {
    await new Promise((r) => setTimeout(r, 200));
    status = await getProvisionStatus(client, workflowId);
  }
  expect(status).toMatchObject({ phase: 'waiting-for-ip', lastState: 'running' });
  expect(status.instanceId).toMatch(/^i-/);
  expect(Date.parse(status.deadline ?? '') - Date.now()).toBeGreaterThan(50 * 60_000);

  await cancelProvision(client, workflowId);
  const error = await getProvisionResult(client, workflowId).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect(['shutting-down', 'terminated']).toContain(await motoState(status.instanceId ?? ''));
  expect(await getProvisionStatus(client, workflowId)).toMatchObject({ phase: 'cancelled' });
});

it('tears an instance down, and a second teardown finds it already gone', async () => {
  const launched = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0c7217cdde317cfec', InstanceType: 't3.small', MinCount: 1, MaxCount: 1 }));
  const instanceId = launched.Instances?.[0]?.InstanceId ?? '';

  await expect(terminateInstance(client, { instanceId }, { taskQueue })).resolves.toEqual({ instanceId, alreadyGone: false });
  expect(['shutting-down', 'terminated']).toContain(await motoState(instanceId));
  await expect(terminateInstance(client, { instanceId, region: 'us-east-1' }, { taskQueue })).resolves.toEqual({ instanceId, alreadyGone: true });
  await expect(terminateInstance(client, { instanceId: 'i-0123456789abcdef0' }, { taskQueue })).resolves.toEqual({
    instanceId: 'i-0123456789abcdef0',
    alreadyGone: true,
  });
});

it('reads a provisioned instance\'s status as it runs, stops and terminates; InstanceNotFound for an unknown id, InvalidSpec for a malformed one', async () => {
  const workflowId = uniqueName('status');
  await startProvision(client, { size: 'small', architecture: 'amd64', pollInterval: '1s' }, { workflowId, taskQueue });
  const provisioned = await getProvisionResult(client, workflowId);
  const { instanceId } = provisioned;
  const isResult = compileContractSchema('get-instance-status.result.schema.json');

  const running = await getInstanceStatus(client, { instanceId }, { taskQueue });
  expect(isResult(running)).toBe(true);
  expect(running).toEqual({
    instanceId,
    state: 'running',
    ec2State: 'running',
    publicIp: provisioned.publicIp,
    privateIp: provisioned.privateIp,
    instanceType: provisioned.instanceType,
    launchedAt: provisioned.launchedAt,
  });
  // Keyed by region and instance, so concurrent reads of one instance share a run.
  const description = await client.workflow.getHandle(`instance-status-us-east-1-${instanceId}`).describe();
  expect(description.type).toBe('getInstanceStatus');
  expect(await description.staticSummary()).toBe(`Status of ${instanceId} in us-east-1`);

  await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
  const stopped = await getInstanceStatus(client, { instanceId, region: 'us-east-1' }, { taskQueue });
  expect(stopped.state).toBe('stopped');
  expect(['stopping', 'stopped']).toContain(stopped.ec2State);

  await terminateInstance(client, { instanceId }, { taskQueue });
  const terminated = await getInstanceStatus(client, { instanceId }, { taskQueue });
  expect(isResult(terminated)).toBe(true);
  expect(terminated.state).toBe('terminated');
  expect(['shutting-down', 'terminated']).toContain(terminated.ec2State);

  const typeOf = (error: unknown): string | null | undefined => (error instanceof WorkflowFailedError ? findApplicationFailure(error)?.type : null);
  const unknown = await getInstanceStatus(client, { instanceId: 'i-0123456789abcdef0' }, { taskQueue }).catch((e: unknown) => e);
  expect(typeOf(unknown)).toBe('InstanceNotFound');
  const malformed = await getInstanceStatus(client, { instanceId: 'i-NOPE' }, { taskQueue }).catch((e: unknown) => e);
  expect(typeOf(malformed)).toBe('InvalidSpec');
});

it('validates the worker credentials', async () => {
  await expect(validateCredentials(client, { taskQueue })).resolves.toMatchObject({ region: 'us-east-1' });
});

it('shows each run in the Web UI with a summary, activity summaries and searchable attributes', async () => {
  const workflowId = uniqueName('pr');
  const environment = uniqueName('pr-42');
  const handle = await startProvision(client, { size: 'small', architecture: 'arm64', spotInstance: true, pollInterval: '1s' }, { workflowId, taskQueue, environment });
  const result = await handle.result();

  const description = await handle.describe();
  expect(await description.staticSummary()).toBe(`small/arm64 spot in us-east-1 for ${environment}`);
  expect(description.typedSearchAttributes.get(STAGELY_ENVIRONMENT)).toBe(environment);
  expect(description.typedSearchAttributes.get(INSTANCE_ID)).toBe(result.instanceId);
  expect(description.typedSearchAttributes.get(INSTANCE_TYPE)).toBe('t4g.small');

  const history = await handle.fetchHistory();
  // Activities, and the polls, which are local activities (recorded as markers), each with its summary.
  const summaries = (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => (e.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary) : undefined));
  expect(summaries[0]).toBe('Join the start line');
  expect(summaries[1]).toBe('Resolve the Ubuntu 22.04 arm64 image in us-east-1');
  expect(summaries[2]).toBe('Launch t4g.small spot (attempt 1)');
  expect(summaries[3]).toBe(`Poll ${result.instanceId} for a public IP (#1)`);

  // Operators filter by the attribute: the run is found by it (visibility is eventually consistent).
  let found: string[] = [];
  for (let i = 0; i < 50 && found.length === 0; i++) {
    found = [];
    for await (const run of client.workflow.list({ query: `StagelyEnvironment = "${environment}"` })) found.push(run.workflowId);
    if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
  }
  expect(found).toEqual([workflowId]);
});

it('never writes the AWS secret key to its log', () => {
  const log = readFileSync(worker.logFile, 'utf8');
  expect(log).toContain('Worker ready');
  expect(log).not.toContain(secret);
});
