/**
 * Leases on real parts: the dev server, moto over HTTP and the worker as a child process.
 * - a lease started with the `temporal` CLI (plain JSON) becomes ready, and `destroy` through
 *   `temporal workflow update execute` terminates its VM;
 * - a short TTL expires and terminates the VM (through the client library);
 * - a VM terminated behind the lease's back is noticed within two watch intervals;
 * - `stagely lease start|status|extend|destroy` as a child process, with its exit codes;
 * - the reaper judges a lease's instances by the lease: kept while it is open, reaped once it was
 *   closed with `temporal workflow terminate` (which runs no clean-up at all).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/common';
import { stackEnv, startWorker, toolPath, type ManagedProcess } from '../../tools/local-stack';
import { destroyLease, extendLease, getLeaseStatus, startLease, waitLeaseReady } from '../../src/client';
import type { ProvisionResult } from '../../src/common/contract';
import type { LeaseResult } from '../../src/common/lease-contract';
import type { ReapReport, ReapRequest } from '../../src/common/reaping';
import { instancesTagged, motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';
import { runStagely, type CommandOutcome } from '../support/stagely-command';

const run = promisify(execFile);
const address = requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS');
const taskQueue = uniqueName('e2e-lease');
const env = { ...stackEnv(address, motoEndpoint(), taskQueue), STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE') };
const ec2 = motoEc2Client();
/** The reaper's part runs in a region no other suite uses, so its scan sees only this file's instances. */
const REAP_REGION = 'eu-west-3';
const reapEc2 = new EC2Client({ region: REAP_REGION, endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
let worker: ManagedProcess;
let client: Client;

beforeAll(async () => {
  worker = await startWorker(env, { logDir: TEST_LOG_DIR });
  client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
}, 180_000);

afterAll(async () => {
  ec2.destroy();
  reapEc2.destroy();
  await client?.connection.close();
  await worker?.stop();
});

/** `temporal ARGS --address ... --output json`, parsed. */
async function temporal<T>(args: string[]): Promise<T> {
  const { stdout } = await run(toolPath('temporal'), [...args, '--address', address, '--output', 'json'], { env });
  return JSON.parse(stdout) as T;
}

async function stateOf(ec2Client: EC2Client, key: string, value: string): Promise<string[]> {
  return (await instancesTagged(ec2Client, key, value)).map((i) => i.State?.Name ?? 'unknown');
}

it('a lease started with the temporal CLI becomes ready, and destroy through the CLI terminates its VM', async () => {
  const marker = uniqueName('lease-cli');
  const input = JSON.stringify({ instance: { size: 'small', architecture: 'arm64', tags: { e2e: marker }, pollInterval: '1s' }, watchInterval: '10s' });
  await temporal(['workflow', 'start', '--type', 'vmLease', '--task-queue', taskQueue, '--workflow-id', marker, '--input', input]);

  const ready = await temporal<{ result?: ProvisionResult }>(['workflow', 'update', 'execute', '--workflow-id', marker, '--name', 'waitReady']);
  expect(ready.result).toMatchObject({ instanceType: 't4g.small', size: 'small', architecture: 'arm64' });
  expect(await stateOf(ec2, 'e2e', marker)).toEqual(['running']);
  const status = await getLeaseStatus(client, marker);
  expect(status).toMatchObject({ phase: 'ready', instance: { instanceId: ready.result?.instanceId }, replacements: 0 });
  // The environment defaults to the workflow ID; the current VM is searchable.
  const description = await client.workflow.getHandle(marker).describe();
  expect(description.searchAttributes).toMatchObject({ StagelyEnvironment: [marker], InstanceId: [ready.result?.instanceId] });

  const destroyed = await temporal<{ result?: LeaseResult }>(['workflow', 'update', 'execute', '--workflow-id', marker, '--name', 'destroy', '--input', '{"reason":"PR closed"}']);
  expect(destroyed.result).toMatchObject({ endedBy: 'destroyed', reason: 'PR closed', instanceIds: [ready.result?.instanceId] });
  // Returned once EC2 confirmed: the VM is already shutting down or gone.
  expect(await stateOf(ec2, 'e2e', marker)).toEqual([expect.stringMatching(/^(shutting-down|terminated)$/)]);
  // Safe to repeat: the lease has completed, and destroyLease returns its result.
  expect(await destroyLease(client, marker)).toMatchObject({ endedBy: 'destroyed' });
}, 120_000);

it('a lease with a short TTL expires and terminates its VM', async () => {
  const marker = uniqueName('lease-ttl');
  const workflowId = marker;
  await startLease(client, { instance: { size: 'small', architecture: 'amd64', tags: { e2e: marker }, pollInterval: '1s' }, ttl: '1m', watchInterval: '10s' }, { workflowId, taskQueue, environment: 'pr-ttl' });
  const ready = await waitLeaseReady(client, workflowId);
  const refused = await extendLease(client, workflowId, '721h').then(() => undefined, (e: unknown) => e);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('InvalidSpec');

  const result = await client.workflow.getHandle(workflowId).result() as LeaseResult;
  expect(result).toMatchObject({ endedBy: 'expired', instanceIds: [ready.instanceId] });
  const { startTime } = await client.workflow.getHandle(workflowId).describe();
  expect(Date.parse(result.endedAt) - startTime.getTime()).toBeGreaterThanOrEqual(60_000);
  expect(await stateOf(ec2, 'e2e', marker)).toEqual([expect.stringMatching(/^(shutting-down|terminated)$/)]);
}, 150_000);

it('notices a VM terminated behind its back within two watch intervals', async () => {
  const marker = uniqueName('lease-lost');
  await startLease(client, { instance: { size: 'small', architecture: 'arm64', tags: { e2e: marker }, pollInterval: '1s' }, watchInterval: '10s' }, { workflowId: marker, taskQueue });
  const ready = await waitLeaseReady(client, marker);
  const terminatedAt = Date.now();
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ready.instanceId] }));

  const result = await client.workflow.getHandle(marker).result() as LeaseResult;
  expect(result).toMatchObject({ endedBy: 'lost', instanceIds: [ready.instanceId] });
  expect(Date.parse(result.endedAt) - terminatedAt).toBeLessThan(2 * 10_000);
}, 120_000);

/** The `stagely` command with this suite's environment. */
const stagely = (args: string[]): Promise<CommandOutcome> => runStagely(args, env);

it('stagely lease start, status, extend and destroy', async () => {
  const marker = uniqueName('lease-stagely');
  const started = await stagely(['lease', 'start', '--size', 'small', '--arch', 'arm64', '--tag', `e2e=${marker}`, '--poll-interval', '1s', '--ttl', '2h', '--id', marker, '--environment', 'pr-9', '--json']);
  expect(started.code).toBe(0);
  const { workflowId, instance } = JSON.parse(started.stdout) as { workflowId: string; instance: ProvisionResult };
  expect(workflowId).toBe(marker);
  expect(await stateOf(ec2, 'e2e', marker)).toEqual(['running']);

  const status = await stagely(['lease', 'status', marker, '--json']);
  expect(JSON.parse(status.stdout)).toMatchObject({ phase: 'ready', instance: { instanceId: instance.instanceId } });
  const described = await client.workflow.getHandle(marker).describe();
  expect(described.searchAttributes).toMatchObject({ StagelyEnvironment: ['pr-9'], InstanceId: [instance.instanceId] });
  expect(await described.staticSummary()).toBe('Lease for pr-9: small/arm64 on-demand in us-east-1, ttl 2h');

  const refused = await stagely(['lease', 'extend', marker, '--ttl', '800h', '--json']);
  expect(refused.code).toBe(2);
  expect(refused.stdout).toBe('');
  expect(JSON.parse(refused.stderr)).toMatchObject({ error: { type: 'InvalidSpec', message: expect.stringContaining('at most 720h') as string } });
  const extended = await stagely(['lease', 'extend', marker, '--ttl', '3h', '--json']);
  expect(extended.code).toBe(0);
  expect(Date.parse((JSON.parse(extended.stdout) as { expiresAt: string }).expiresAt)).toBeGreaterThan(Date.now() + 2 * 3_600_000);

  const destroyed = await stagely(['lease', 'destroy', marker, '--reason', 'merged', '--json']);
  expect(destroyed.code).toBe(0);
  expect(JSON.parse(destroyed.stdout)).toMatchObject({ endedBy: 'destroyed', reason: 'merged', instanceIds: [instance.instanceId] });
  expect(await stateOf(ec2, 'e2e', marker)).toEqual([expect.stringMatching(/^(shutting-down|terminated)$/)]);
  expect((await stagely(['lease', 'status', 'no-such-lease'])).code).toBe(4);
}, 120_000);

it('the reaper keeps the VM of an open lease, and reaps it once the lease was terminated', async () => {
  const marker = uniqueName('lease-reap');
  const instance = { size: 'small', architecture: 'amd64', region: REAP_REGION, imageId: 'ami-0c7217cdde317cfec', tags: { e2e: marker }, pollInterval: '1s' } as const;
  await startLease(client, { instance, watchInterval: '10s' }, { workflowId: marker, taskQueue });
  const { instanceId } = await waitLeaseReady(client, marker);
  const reap = (request: ReapRequest): Promise<ReapReport> =>
    client.workflow.execute<(r: ReapRequest) => Promise<ReapReport>>('reapOrphans', {
      args: [{ regions: [REAP_REGION], gracePeriod: 0, ...request }],
      taskQueue,
      workflowId: uniqueName('reap'),
      workflowExecutionTimeout: '2m',
    });

  // Open: its child provision completed, but the lease holds the VM.
  const whileOpen = await reap({});
  expect(whileOpen.reaped).toEqual([]);
  expect(whileOpen.kept['run-open']).toBe(1);

  // Terminated: no clean-up ran, the VM is still running, and the reaper now takes it.
  await run(toolPath('temporal'), ['workflow', 'terminate', '--workflow-id', marker, '--reason', 'lease test', '--address', address], { env });
  expect(await stateOf(reapEc2, 'e2e', marker)).toEqual(['running']);
  const afterClose = await reap({});
  expect(afterClose.reaped).toEqual([
    expect.objectContaining({ instanceId, code: 'lease-closed', runStatus: 'COMPLETED', reason: expect.stringContaining(`its lease ${marker} has closed (TERMINATED)`) as string }),
  ]);
  expect(await stateOf(reapEc2, 'e2e', marker)).toEqual([expect.stringMatching(/^(shutting-down|terminated)$/)]);
}, 150_000);
