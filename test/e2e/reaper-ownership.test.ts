/**
 * Who owns an instance, on real parts (the dev server, moto, a worker process, real provisions):
 * - a run reset by an operator (`temporal workflow reset`) hands its instance to the new run, and the
 *   reaper keeps it, though the run its tags name is now TERMINATED;
 * - an instance tagged with a completed run that holds another instance is an orphan;
 * - a run stuck open past the open-run limit loses its instance, and the report names the run.
 *
 * The instances live in a region no other suite uses, so the reaper's scan sees only this file's.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { stackEnv, startWorker, toolPath, type ManagedProcess } from '../../tools/local-stack';
import { getProvisionStatus, startProvision } from '../../src/client';
import type { ProvisionRequest } from '../../src/common/contract';
import type { ReapReport, ReapRequest } from '../../src/common/reaping';
import { NAMESPACE_ID_TAG, provenanceTags, WORKFLOW_ID_TAG } from '../../src/common/tags';
import { instancesTagged, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const REGION = 'sa-east-1';
/** An Ubuntu image moto knows (tools/moto/amis.json), so the provisions skip the SSM look-up. */
const IMAGE = 'ami-0c7217cdde317cfec';
const run = promisify(execFile);
const address = requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS');
const taskQueue = uniqueName('e2e-reaper-owner');
/** Nobody polls this queue: a run started on it stays open, as a run whose workflow task always fails. */
const idleQueue = uniqueName('e2e-reaper-owner-idle');
const env = { ...stackEnv(address, motoEndpoint(), taskQueue), STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE') };
const ec2 = new EC2Client({ region: REGION, endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
let worker: ManagedProcess;
let client: Client;
let namespaceId: string;
/** A subnet that assigns no public IP: a provision there waits for one until cancelled. */
let privateSubnet: string;
const open: WorkflowHandle[] = [];

beforeAll(async () => {
  worker = await startWorker(env, { logDir: TEST_LOG_DIR });
  client = new Client({ connection: await Connection.connect({ address }) });
  namespaceId = (await client.workflowService.describeNamespace({ namespace: 'default' })).namespaceInfo?.id ?? '';
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.94.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.94.1.0/24' }));
  privateSubnet = subnet.Subnet?.SubnetId ?? '';
}, 180_000);

afterAll(async () => {
  for (const handle of open) await handle.terminate('reaper ownership test done').catch(() => undefined);
  ec2.destroy();
  await client?.connection.close();
  await worker?.stop();
});

function reap(request: ReapRequest): Promise<ReapReport> {
  return client.workflow.execute<(r: ReapRequest) => Promise<ReapReport>>('reapOrphans', {
    args: [{ regions: [REGION], ...request }],
    taskQueue,
    workflowId: uniqueName('reap'),
    workflowExecutionTimeout: '2m',
  });
}

async function stateOf(instanceId: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

/** Starts a provision in the test's region and waits until it polls its instance for a public IP. */
async function provisionWaitingForIp(workflowId: string): Promise<string> {
  const request: ProvisionRequest = { size: 'small', architecture: 'amd64', region: REGION, imageId: IMAGE, subnetId: privateSubnet, ipWaitTimeout: '1h', pollInterval: '1s' };
  await startProvision(client, request, { workflowId, taskQueue });
  for (;;) {
    const status = await getProvisionStatus(client, workflowId);
    if (status.phase === 'waiting-for-ip' && status.instanceId !== undefined) return status.instanceId;
    await new Promise((r) => setTimeout(r, 200));
  }
}

it('keeps the instance of a reset run for the new run, whose cancellation then terminates exactly that instance', async () => {
  const workflowId = uniqueName('reset');
  const instanceId = await provisionWaitingForIp(workflowId);
  const before = await client.workflow.getHandle(workflowId).describe();

  // The operator's usual fix: the old run ends TERMINATED, a new run replays the launch and polls on.
  await run(toolPath('temporal'), ['workflow', 'reset', '--address', address, '--namespace', 'default', '--workflow-id', workflowId, '--type', 'LastWorkflowTask', '--reason', 'bad deploy'], { env });
  const newest = client.workflow.getHandle(workflowId);
  const after = await newest.describe();
  expect(after.runId).not.toBe(before.runId);
  expect(after.status.name).toBe('RUNNING');
  expect((await client.workflow.getHandle(workflowId, before.runId).describe()).status.name).toBe('TERMINATED');
  // The new run holds the instance the old run launched (still tagged with the old run).
  for (let i = 0; i < 100 && (await getProvisionStatus(client, workflowId)).polls < 2; i++) await new Promise((r) => setTimeout(r, 200));
  expect(await getProvisionStatus(client, workflowId)).toMatchObject({ phase: 'waiting-for-ip', instanceId });

  const report = await reap({ gracePeriod: '0s' });
  expect(report.reaped.map((e) => e.instanceId)).not.toContain(instanceId);
  expect(report.kept['run-open']).toBeGreaterThanOrEqual(1);
  expect(await stateOf(instanceId)).toBe('running');

  await newest.cancel();
  await expect(newest.result()).rejects.toThrow();
  expect((await newest.describe()).status.name).toBe('CANCELLED');
  const launched = await instancesTagged(ec2, WORKFLOW_ID_TAG, workflowId);
  expect(launched.map((i) => [i.InstanceId, i.State?.Name])).toEqual([[instanceId, expect.stringMatching(/^(shutting-down|terminated)$/)]]);
}, 120_000);

it('reaps an instance tagged with a completed run that holds another one, and keeps the one it holds', async () => {
  const workflowId = uniqueName('completed');
  const handle = await startProvision(client, { size: 'small', architecture: 'amd64', region: REGION, imageId: IMAGE, pollInterval: '1s' }, { workflowId, taskQueue });
  const result = await handle.result();
  const { runId } = await handle.describe();
  // What a replaced spot VM whose compensation failed, or a launch adopted nowhere, leaves behind.
  const extra = await seed(provenanceTags({ namespaceId, workflowId, runId, token: `${runId}-9` }));

  const report = await reap({ gracePeriod: '0s' });
  expect(report.reaped).toEqual([
    expect.objectContaining({ instanceId: extra, runStatus: 'COMPLETED', code: 'run-completed-without-it', reason: expect.stringContaining(result.instanceId) }),
  ]);
  expect(await stateOf(extra)).toMatch(/^(shutting-down|terminated)$/);
  expect(await stateOf(result.instanceId)).toBe('running');
}, 120_000);

it('reaps the instance of a run still open past the open-run limit and lists the run as stuck', async () => {
  const stuck = await client.workflow.start('provisionInstance', { args: [{}], taskQueue: idleQueue, workflowId: uniqueName('stuck') });
  open.push(stuck);
  const { workflowId, runId } = await stuck.describe();
  const instanceId = await seed(provenanceTags({ namespaceId, workflowId, runId, token: `${runId}-1` }));
  await new Promise((r) => setTimeout(r, 1_500));

  // Under the default limit (3h) the run is just open.
  const early = await reap({ gracePeriod: '0s', dryRun: true });
  expect(early).toMatchObject({ openRunLimit: '3h', stuckRuns: [] });
  expect(early.reaped.map((e) => e.instanceId)).not.toContain(instanceId);

  const report = await reap({ gracePeriod: '0s', openRunLimit: '1s' });
  expect(report).toMatchObject({ openRunLimit: '1s', stuckRuns: [{ workflowId, runId, runStatus: 'RUNNING', instanceIds: [instanceId] }] });
  expect(report.reaped).toEqual([expect.objectContaining({ instanceId, runStatus: 'RUNNING', code: 'run-open-too-long' })]);
  expect(await stateOf(instanceId)).toMatch(/^(shutting-down|terminated)$/);
}, 120_000);

/** A t3.small in the test's region with these tags, as if a provision had launched it. */
async function seed(tags: Record<string, string>): Promise<string> {
  expect(tags[NAMESPACE_ID_TAG]).toBe(namespaceId);
  const launched = await ec2.send(
    new RunInstancesCommand({
      ImageId: IMAGE,
      InstanceType: 't3.small',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  const id = launched.Instances?.[0]?.InstanceId;
  if (id === undefined) throw new Error('moto launched nothing');
  return id;
}
