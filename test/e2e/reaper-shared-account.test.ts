/**
 * Two Temporal clusters share one AWS account, and both use the namespace `default`: two dev servers,
 * one moto, a worker on each. Each worker tags its launches with its own namespace's ID, and each
 * reaper leaves the other's instances alone (it cannot look their runs up, so it would find them
 * unknown and reap them), and only lists an instance that carries no namespace ID.
 *
 * The instances live in a region no other suite uses, so the reapers' scans see only this file's.
 */
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { stackEnv, startDevServer, startWorker, type DevServer, type ManagedProcess } from '../../tools/local-stack';
import { getProvisionStatus, startProvision } from '../../src/client';
import type { ReapReport, ReapRequest } from '../../src/common/reaping';
import { LEGACY_NAMESPACE_TAG, MANAGED_TAG, NAMESPACE_ID_TAG } from '../../src/common/tags';
import { motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const REGION = 'ca-central-1';
const IMAGE = 'ami-0c7217cdde317cfec';
const ec2 = new EC2Client({ region: REGION, endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });

/** One cluster: its dev server's address, a worker, a client, and the provision it launched. */
interface Cluster {
  address: string;
  taskQueue: string;
  worker?: ManagedProcess;
  client?: Client;
  namespaceId?: string;
  provision?: WorkflowHandle;
  instanceId?: string;
}

let second: DevServer | undefined;
const clusters: { a: Cluster; b: Cluster } = {
  a: { address: requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), taskQueue: uniqueName('e2e-shared-a') },
  b: { address: '', taskQueue: uniqueName('e2e-shared-b') },
};
let legacy: string;

beforeAll(async () => {
  second = await startDevServer({ headless: true, logDir: TEST_LOG_DIR });
  clusters.b.address = second.address;
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.95.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.95.1.0/24' }));
  for (const cluster of Object.values(clusters)) {
    const env = { ...stackEnv(cluster.address, motoEndpoint(), cluster.taskQueue), STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE') };
    cluster.worker = await startWorker(env, { logDir: TEST_LOG_DIR });
    const client = new Client({ connection: await Connection.connect({ address: cluster.address }) });
    cluster.client = client;
    cluster.namespaceId = (await client.workflowService.describeNamespace({ namespace: 'default' })).namespaceInfo?.id ?? undefined;
    // A provision that waits for a public IP its subnet never gives: its run stays open, holding the instance.
    const workflowId = uniqueName('shared');
    cluster.provision = await startProvision(
      client,
      { size: 'small', architecture: 'amd64', region: REGION, imageId: IMAGE, subnetId: subnet.Subnet?.SubnetId ?? '', ipWaitTimeout: '1h', pollInterval: '1s' },
      { workflowId, taskQueue: cluster.taskQueue },
    );
    for (;;) {
      const status = await getProvisionStatus(client, workflowId);
      if (status.phase === 'waiting-for-ip' && status.instanceId !== undefined) {
        cluster.instanceId = status.instanceId;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // Launched before instances carried their namespace's ID: it says only "default".
  const launched = await ec2.send(
    new RunInstancesCommand({
      ImageId: IMAGE,
      InstanceType: 't3.small',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: MANAGED_TAG, Value: 'true' }, { Key: LEGACY_NAMESPACE_TAG, Value: 'default' }] }],
    }),
  );
  legacy = launched.Instances?.[0]?.InstanceId ?? '';
}, 240_000);

afterAll(async () => {
  for (const cluster of Object.values(clusters)) {
    await cluster.provision?.cancel().catch(() => undefined);
    await cluster.provision?.result().catch(() => undefined);
    await cluster.client?.connection.close();
    await cluster.worker?.stop();
  }
  await second?.process.stop();
  ec2.destroy();
});

function reap(cluster: Cluster, request: ReapRequest): Promise<ReapReport> {
  if (cluster.client === undefined) throw new Error('cluster not started');
  return cluster.client.workflow.execute<(r: ReapRequest) => Promise<ReapReport>>('reapOrphans', {
    args: [{ regions: [REGION], ...request }],
    taskQueue: cluster.taskQueue,
    workflowId: uniqueName('reap'),
    workflowExecutionTimeout: '2m',
  });
}

async function describe(instanceId: string | undefined): Promise<{ state?: string; namespaceId?: string }> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId ?? ''] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  return { state: instance?.State?.Name, namespaceId: instance?.Tags?.find((t) => t.Key === NAMESPACE_ID_TAG)?.Value };
}

it("tags each cluster's launches with its own namespace's ID, though both namespaces are called default", async () => {
  const { a, b } = clusters;
  expect(a.namespaceId).toBeDefined();
  expect(b.namespaceId).toBeDefined();
  expect(a.namespaceId).not.toBe(b.namespaceId);
  expect(await describe(a.instanceId)).toEqual({ state: 'running', namespaceId: a.namespaceId });
  expect(await describe(b.instanceId)).toEqual({ state: 'running', namespaceId: b.namespaceId });
});

it("each reaper judges only its own instances: the other cluster's are left alone, one without a namespace ID only listed", async () => {
  for (const [own, other] of [
    [clusters.a, clusters.b],
    [clusters.b, clusters.a],
  ] as const) {
    const report = await reap(own, { gracePeriod: '0s' });
    expect(report).toMatchObject({ namespaceId: own.namespaceId, scanned: 1, reaped: [], otherNamespaces: 1 });
    expect(report.kept['run-open']).toBe(1);
    expect(report.notJudged).toEqual([expect.objectContaining({ instanceId: legacy, namespace: 'default' })]);
    expect(report.reaped.map((e) => e.instanceId)).not.toContain(other.instanceId);
  }
  for (const id of [clusters.a.instanceId, clusters.b.instanceId, legacy]) expect((await describe(id)).state).toBe('running');
}, 120_000);
