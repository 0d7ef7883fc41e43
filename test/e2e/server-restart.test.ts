/**
 * The Temporal server itself dies mid-run: a dev server with a database file is SIGKILLed while a
 * provision is waiting for its IP, the IP appears while the server is down, and a new server process
 * on the same file and port picks the run up. The worker reconnects on its own; the run completes.
 */
import { AllocateAddressCommand, AssociateAddressCommand, CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stackEnv, startDevServer, startWorker, type DevServer, type ManagedProcess } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import { getProvisionStatus, startProvision } from '../../src/client';
import { motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { killHard } from '../support/process-output';
import { TEST_LOG_DIR } from '../support/shared-setup';

const ec2 = motoEc2Client();
const dir = mkdtempSync(join(PROJECT_ROOT, '.stagely', 'restart-'));
const dbFile = join(dir, 'temporal.db');
let server: DevServer | undefined;
let worker: ManagedProcess | undefined;
const clients: Client[] = [];

afterAll(async () => {
  ec2.destroy();
  await Promise.all(clients.map((c) => c.connection.close()));
  await worker?.stop();
  await server?.process.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(address: string): Promise<Client> {
  const client = new Client({ connection: await Connection.connect({ address }) });
  clients.push(client);
  return client;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('completes a provision across a server crash and restart on the same database', async () => {
  server = await startDevServer({ headless: true, dbFile, logDir: TEST_LOG_DIR });
  const port = Number(server.address.split(':')[1]);
  const taskQueue = uniqueName('restart');
  worker = await startWorker(
    { ...stackEnv(server.address, motoEndpoint(), taskQueue), STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE') },
    { logDir: TEST_LOG_DIR },
  );
  // A subnet without public IPs keeps the run waiting until the test gives the instance one.
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.88.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.88.1.0/24' }));
  const before = await connect(server.address);
  const workflowId = uniqueName('restart');
  await startProvision(before, { size: 'small', architecture: 'amd64', subnetIds: [subnet.Subnet?.SubnetId ?? ''], pollInterval: '1s', ipWaitTimeout: '5m' }, { workflowId, taskQueue });
  const waiting = await until('the run to wait for its IP', async () => {
    const status = await getProvisionStatus(before, workflowId);
    return status.phase === 'waiting-for-ip' && status.polls >= 2 && status.instanceId ? status : undefined;
  });

  await killHard(server.process);
  const address = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  await ec2.send(new AssociateAddressCommand({ InstanceId: waiting.instanceId, AllocationId: address.AllocationId }));
  server = await startDevServer({ headless: true, dbFile, port, logDir: TEST_LOG_DIR });

  const after = await connect(server.address);
  const result = await after.workflow.getHandle(workflowId).result();
  expect(result).toMatchObject({ instanceId: waiting.instanceId, publicIp: address.PublicIp });
  expect(worker.child.exitCode).toBeNull();
}, 180_000);
