/**
 * Readiness through a real worker process on the dev server and moto: the test worker's TCP target
 * (STAGELY_TEST_TCP_TARGET, test/support/test-worker.ts) points its TCP checks at a listener this test
 * opens, and given that variable without STAGELY_ALLOW_TEST_SEAM=1 it refuses to start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import { startProvision } from '../../src/client';
import { motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';
import { acceptingListener, type Endpoint } from '../support/tcp-listeners';

let client: Client;
let listener: Endpoint & { accepted: () => number };
const started: ManagedProcess[] = [];

beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS') }) });
  listener = await acceptingListener();
});

afterAll(async () => {
  await client?.connection.close();
  await Promise.all(started.map((w) => w.stop()));
  await listener?.close();
});

function worker(taskQueue: string, extra: NodeJS.ProcessEnv): Promise<ManagedProcess> {
  const env = {
    ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), motoEndpoint(), taskQueue),
    STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE'),
    ...extra,
  };
  return startWorker(env, { logDir: TEST_LOG_DIR, command: [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'test', 'support', 'test-worker.ts')] });
}

it('refuses to start with STAGELY_TEST_TCP_TARGET but without STAGELY_ALLOW_TEST_SEAM=1', async () => {
  const refused = worker(uniqueName('ready-refused'), { STAGELY_TEST_TCP_TARGET: `${listener.host}:${listener.port}` });
  const error = await refused.then(
    (proc) => {
      started.push(proc);
      return undefined;
    },
    (e: unknown) => e as Error,
  );

  expect(error?.message).toMatch(/worker exited with \d+ before it was ready; see (.+)$/);
  const logFile = /see (.+)$/.exec(error?.message ?? '')?.[1] ?? '';
  expect(readFileSync(logFile, 'utf8')).toContain('STAGELY_TEST_TCP_TARGET is set');
});

it('becomes ready once the status checks pass and the (mapped) port accepts', async () => {
  const taskQueue = uniqueName('ready');
  started.push(await worker(taskQueue, { STAGELY_TEST_TCP_TARGET: `${listener.host}:${listener.port}`, STAGELY_ALLOW_TEST_SEAM: '1' }));
  const before = listener.accepted();

  const handle = await startProvision(
    client,
    { size: 'small', architecture: 'amd64', pollInterval: '1s', readiness: { statusChecks: true, tcpPort: 22 } },
    { workflowId: uniqueName('ready'), taskQueue },
  );

  const result = await handle.result();
  expect(result.readiness).toEqual({ statusChecks: 'ok', tcpPort: 22, address: 'public' });
  expect(Date.parse(result.readyAt ?? '')).not.toBeNaN();
  expect(listener.accepted()).toBe(before + 1);
}, 120_000);
