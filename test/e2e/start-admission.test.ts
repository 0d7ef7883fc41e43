/**
 * Start admission holds only new provisions, never a run that has launched: not when its tasks come
 * from the task queue rather than the worker's sticky queue, as they all do after a worker restart.
 *
 * Worker 1 (the default rate) launches three runs whose public IPs appear 25 s after launch. It is
 * SIGKILLed while they poll, and worker 2 starts with admission at one start per 50 s, so at most one
 * new provision would get a turn during the test. The three launched runs must all poll again soon
 * after worker 2 is up and complete; of two new provisions started then, the second must wait in the
 * start line with nothing launched, until an operator lets it in with the admit signal.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stackEnv, startWorker, toolPath, type ManagedProcess } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import { getProvisionStatus, startProvision, type ProvisionHandle } from '../../src/client';
import { ADMIT_SIGNAL } from '../../src/common/admission';
import type { ProvisionRequest } from '../../src/common/contract';
import { startRealism, type Realism } from '../../bench/ec2-realism';
import { instancesTagged, motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { killHard } from '../support/process-output';
import { TEST_LOG_DIR } from '../support/shared-setup';

const IP_DELAY_MS = 25_000;
/** What a run's first poll after a restart may take: the server moves a dead worker's sticky tasks after ~10 s. */
const REPOLL_WITHIN_MS = 15_000;

const taskQueue = uniqueName('admission');
const marker = uniqueName('admission-fleet');
const ec2 = motoEc2Client();
const started: ManagedProcess[] = [];
let realism: Realism;
let client: Client;

beforeAll(async () => {
  realism = await startRealism(motoEndpoint(), { ipDelayMs: [IP_DELAY_MS, IP_DELAY_MS] });
  client = new Client({ connection: await Connection.connect({ address: requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS') }) });
});

afterAll(async () => {
  ec2.destroy();
  await client?.connection.close();
  await Promise.all(started.map((w) => w.stop()));
  await realism?.close();
});

/** A worker as its own node process (so its PID is the worker's, for SIGKILL), EC2 behind the realism layer. */
async function worker(identity: string, admissionRate?: string): Promise<ManagedProcess> {
  const proc = await startWorker(
    {
      ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), realism.proxy.endpoint, taskQueue),
      AWS_ENDPOINT_URL_SSM: motoEndpoint(),
      STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE'),
      STAGELY_WORKER_IDENTITY: identity,
      ...(admissionRate !== undefined && { STAGELY_START_ADMISSION_RATE: admissionRate }),
    },
    { logDir: TEST_LOG_DIR, command: [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'src', 'worker.ts')] },
  );
  started.push(proc);
  return proc;
}

const request = (i: number): ProvisionRequest => ({ size: 'small', architecture: i % 2 ? 'arm64' : 'amd64', tags: { fleet: marker }, pollInterval: '1s' });

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

it('never holds a launched run after a restart, holds only new provisions, and an operator can let one in', async () => {
  const first = await worker('admission-first');
  const launched: ProvisionHandle[] = [];
  for (let i = 0; i < 3; i += 1) launched.push(await startProvision(client, request(i), { workflowId: `${marker}-launched-${i}`, taskQueue }));
  await until(async () => (await Promise.all(launched.map((h) => getProvisionStatus(client, h.workflowId)))).every((s) => s.phase === 'waiting-for-ip' && s.polls >= 1), 'the three runs poll');
  const instanceIds = await Promise.all(launched.map(async (h) => (await getProvisionStatus(client, h.workflowId)).instanceId ?? ''));

  await killHard(first);
  const second = await worker('admission-second', '0.02-0.02');
  const secondReady = Date.now();

  // Two new provisions on the restarted worker: the first takes its one turn, the second waits.
  const admittedNew = await startProvision(client, request(3), { workflowId: `${marker}-new-0`, taskQueue });
  await until(async () => (await getProvisionStatus(client, admittedNew.workflowId)).phase === 'waiting-for-ip', 'the first new provision launches');
  const held = await startProvision(client, request(4), { workflowId: `${marker}-new-1`, taskQueue });
  await until(async () => (await getProvisionStatus(client, held.workflowId)).phase === 'waiting-for-admission', 'the second new provision waits for admission');

  // The launched runs' tasks came from the task queue (their sticky worker died) and were not held.
  const results = await Promise.all(launched.map((h) => h.result()));
  expect(results.map((r) => r.instanceId)).toEqual(instanceIds);
  for (const id of instanceIds) {
    const firstAfter = (realism.describedAt.get(id) ?? []).find((at) => at >= secondReady);
    expect(firstAfter).toBeDefined();
    expect((firstAfter ?? Infinity) - secondReady).toBeLessThanOrEqual(REPOLL_WITHIN_MS);
  }

  // Still waiting, 25 s on: nothing launched for it, nothing on the bill.
  const waiting = await getProvisionStatus(client, held.workflowId);
  expect(waiting.phase).toBe('waiting-for-admission');
  expect(waiting.instanceId).toBeUndefined();

  // The operator's way in: the admit signal, from the temporal CLI.
  execFileSync(toolPath('temporal'), ['workflow', 'signal', '--workflow-id', held.workflowId, '--name', ADMIT_SIGNAL, '--address', requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS')]);
  const [fromNew, fromHeld] = await Promise.all([admittedNew.result(), held.result()]);

  const instances = await instancesTagged(ec2, 'fleet', marker);
  expect(new Set([...results, fromNew, fromHeld].map((r) => r.instanceId)).size).toBe(5);
  expect(instances).toHaveLength(5);
  await second.stop();
}, 180_000);
