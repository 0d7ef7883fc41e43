/**
 * A worker SIGKILLed at the worst moments, and a second worker process finishing the run:
 * (a) after EC2 accepted RunInstances but before the activity completed,
 * (b) in the middle of a poll,
 * (c) in the middle of compensation.
 * The first worker is frozen at the exact point by the test seam (STAGELY_TEST_SEAM, wired by
 * test/support/test-worker.ts), then killed; the second is the production entry point, src/worker.ts.
 * Each worker is one node process (node --import tsx), so its PID is the worker's own.
 */
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/common';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import { startProvision } from '../../src/client';
import type { ProvisionRequest } from '../../src/common/contract';
import { WORKFLOW_ID_TAG } from '../../src/common/tags';
import { instancesTagged, isRunningOrPending, motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import type { CrashPoint } from '../support/test-worker';
import { killHard, lineContaining } from '../support/process-output';
import { TEST_LOG_DIR } from '../support/shared-setup';

const ec2 = motoEc2Client();
const started: ManagedProcess[] = [];
let client: Client;

beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS') }) });
});

afterAll(async () => {
  ec2.destroy();
  await client?.connection.close();
  await Promise.all(started.map((w) => w.stop()));
});

function workerEnv(taskQueue: string, identity: string, seam?: CrashPoint): NodeJS.ProcessEnv {
  return {
    ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), motoEndpoint(), taskQueue),
    STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE'),
    STAGELY_WORKER_IDENTITY: identity,
    ...(seam !== undefined && { STAGELY_TEST_SEAM: seam, STAGELY_ALLOW_TEST_SEAM: '1' }),
  };
}

const CRASH_WORKER = join(PROJECT_ROOT, 'test', 'support', 'test-worker.ts');

async function worker(taskQueue: string, identity: string, seam?: CrashPoint): Promise<ManagedProcess> {
  const entry = seam !== undefined ? CRASH_WORKER : join(PROJECT_ROOT, 'src', 'worker.ts');
  const proc = await startWorker(workerEnv(taskQueue, identity, seam), {
    logDir: TEST_LOG_DIR,
    command: [process.execPath, '--import', 'tsx', entry],
  });
  started.push(proc);
  return proc;
}

/**
 * Starts a provision on a worker armed with `seam`, waits for it to freeze there, SIGKILLs it, and
 * starts a clean worker on the same task queue. Returns the run's handle and what the seam reported.
 */
async function crashAt(seam: CrashPoint, request: ProvisionRequest) {
  const taskQueue = uniqueName('crash');
  const doomed = await worker(taskQueue, 'doomed', seam);
  const workflowId = uniqueName(`crash-${seam}`);
  const paused = lineContaining(doomed, `STAGELY_TEST_SEAM paused at ${seam}`, 90_000);
  const handle = await startProvision(client, request, { workflowId, taskQueue });
  const line = await paused;
  const detail = JSON.parse(line.slice(line.indexOf('{'))) as { instanceId: string };
  await killHard(doomed);
  await worker(taskQueue, 'survivor');
  return { handle, workflowId, pausedOn: detail.instanceId };
}

const managedBy = (workflowId: string) => instancesTagged(ec2, WORKFLOW_ID_TAG, workflowId);

it('refuses to arm a crash point without STAGELY_ALLOW_TEST_SEAM=1, before it connects', () => {
  const env = workerEnv(uniqueName('crash'), 'unarmed', 'in-poll');
  delete env.STAGELY_ALLOW_TEST_SEAM;

  const outcome = spawnSync(process.execPath, ['--import', 'tsx', CRASH_WORKER], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });

  expect(outcome.status).toBe(1);
  expect(outcome.stderr).toContain('STAGELY_TEST_SEAM is set: it freezes activities and is for the crash tests only');
  expect(outcome.stdout).not.toContain('Worker ready');
});

it('(a) killed after EC2 accepted the launch: the retry adopts that instance; exactly one exists', async () => {
  const { handle, workflowId, pausedOn } = await crashAt('after-run-instances', { size: 'small', architecture: 'amd64', pollInterval: '1s' });

  const result = await handle.result();

  expect(result.instanceId).toBe(pausedOn);
  const instances = await managedBy(workflowId);
  expect(instances.map((i) => i.InstanceId)).toEqual([pausedOn]);
  expect(instances.filter(isRunningOrPending)).toHaveLength(1);
  // The launch activity ran twice: the second attempt, on the survivor, completed it.
  const events = (await handle.fetchHistory()).events ?? [];
  const launchStarts = events.filter((e) => e.activityTaskStartedEventAttributes && events.some((s) => s.activityTaskScheduledEventAttributes?.activityType?.name === 'runInstances' && Number(s.eventId) === Number(e.activityTaskStartedEventAttributes?.scheduledEventId)));
  expect(launchStarts.map((e) => [e.activityTaskStartedEventAttributes?.attempt, e.activityTaskStartedEventAttributes?.identity])).toEqual([[2, 'survivor']]);
}, 180_000);

it('(b) killed while polling: the survivor polls on and the run succeeds with the one instance', async () => {
  const { handle, workflowId, pausedOn } = await crashAt('in-poll', { size: 'small', architecture: 'arm64', pollInterval: '1s' });

  const result = await handle.result();

  expect(result.instanceId).toBe(pausedOn);
  expect(result.publicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  const instances = await managedBy(workflowId);
  expect(instances.map((i) => i.InstanceId)).toEqual([pausedOn]);
  expect(instances.filter(isRunningOrPending)).toHaveLength(1);
}, 180_000);

it('(c) killed during compensation: the survivor finishes it; the failed run leaves nothing running', async () => {
  // A subnet that hands out no public IPs: the run times out waiting and must clean up.
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.77.1.0/24' }));
  const subnetId = subnet.Subnet?.SubnetId ?? '';
  const { handle, workflowId, pausedOn } = await crashAt('in-terminate', {
    size: 'small',
    architecture: 'amd64',
    subnetIds: [subnetId],
    ipWaitTimeout: '10s',
    pollInterval: '2s',
  });

  const error = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );

  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('PublicIpTimeout');
  const instances = await managedBy(workflowId);
  expect(instances.map((i) => i.InstanceId)).toEqual([pausedOn]);
  expect(instances.filter(isRunningOrPending)).toEqual([]);
}, 180_000);
