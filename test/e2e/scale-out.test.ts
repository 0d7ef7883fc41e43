/**
 * Horizontal scaling: two worker processes on one task queue complete 50 provisions between them,
 * and both do part of the work.
 */
import { Client, Connection } from '@temporalio/client';
import { stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import { startProvision } from '../../src/client';
import { instancesTagged, motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const PROVISIONS = 50;
const taskQueue = uniqueName('scale-out');
const workers: ManagedProcess[] = [];
const ec2 = motoEc2Client();
let client: Client;

beforeAll(async () => {
  const env = {
    ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), motoEndpoint(), taskQueue),
    STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE'),
  };
  workers.push(
    ...(await Promise.all(
      ['worker-a', 'worker-b'].map((identity) => startWorker({ ...env, STAGELY_WORKER_IDENTITY: identity }, { logDir: TEST_LOG_DIR })),
    )),
  );
  client = new Client({ connection: await Connection.connect({ address: requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS') }) });
}, 180_000);

afterAll(async () => {
  ec2.destroy();
  await client?.connection.close();
  await Promise.all(workers.map((w) => w.stop()));
});

it(`completes ${PROVISIONS} provisions across two workers, both doing work`, async () => {
  const marker = uniqueName('fleet');
  const handles = await Promise.all(
    Array.from({ length: PROVISIONS }, (_, i) =>
      startProvision(client, { size: 'small', architecture: i % 2 ? 'arm64' : 'amd64', tags: { fleet: marker }, pollInterval: '1s' }, { workflowId: `${marker}-${i}`, taskQueue }),
    ),
  );
  const results = await Promise.all(handles.map((h) => h.result()));
  expect(new Set(results.map((r) => r.instanceId)).size).toBe(PROVISIONS);

  // Which worker ran each activity is in the history: ActivityTaskStarted names the worker.
  const identities = new Map<string, number>();
  for (const handle of handles) {
    for (const event of (await handle.fetchHistory()).events ?? []) {
      const identity = event.activityTaskStartedEventAttributes?.identity;
      if (identity) identities.set(identity, (identities.get(identity) ?? 0) + 1);
    }
  }
  expect([...identities.keys()].sort()).toEqual(['worker-a', 'worker-b']);
  for (const count of identities.values()) expect(count).toBeGreaterThan(0);

  const launched = await instancesTagged(ec2, 'fleet', marker);
  expect(launched).toHaveLength(PROVISIONS);
});
