/**
 * Poll timing on the whole path (dev server, a worker process, moto behind the recording proxy): each
 * sleep between polls is timed from the poll's own answer, so the next poll lands on a shared tick.
 *
 * The workflow clock is the time a workflow task started and stands still while its local activity
 * (the poll) runs; a sleep timed from it fires late by the poll's duration, here at least the batch
 * window. The history shows which: the poll's answer time (its marker's result) plus the timer's
 * duration is a whole tick only when the sleep was timed from the answer.
 */
import { Client, Connection } from '@temporalio/client';
import { stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import { startProvision } from '../../src/client';
import { PAYLOAD_KEY_VARIABLES } from '../../src/codec';
import { TICKS_PER_INTERVAL } from '../../src/common/poll-ticks';
import { startEc2FaultProxy, type Ec2FaultProxy } from '../../tools/ec2-fault-proxy';
import { motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const POLL_INTERVAL_MS = 2_000;
const TICK_MS = POLL_INTERVAL_MS / TICKS_PER_INTERVAL;
const HIDDEN_POLLS = 3;
const taskQueue = uniqueName('poll-timing');
let proxy: Ec2FaultProxy;
let worker: ManagedProcess;
let client: Client;

beforeAll(async () => {
  proxy = await startEc2FaultProxy(motoEndpoint());
  // The public IP shows from the fourth answer on, so the run sleeps between polls three times.
  const answers = new Map<string, number>();
  proxy.rewrite = (request, body) => {
    if (request.action !== 'DescribeInstances') return body;
    return body.replace(/<instanceId>(i-[0-9a-f]+)<\/instanceId>[\s\S]*?(?=<instanceId>|$)/g, (part, id: string) => {
      const seen = (answers.get(id) ?? 0) + 1;
      answers.set(id, seen);
      return seen <= HIDDEN_POLLS ? part.replace(/<(ipAddress|publicIp)>[0-9.]+<\/\1>/g, '') : part;
    });
  };
  const env: NodeJS.ProcessEnv = {
    ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), proxy.endpoint, taskQueue),
    STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE'),
    STAGELY_DESCRIBE_BATCH_WINDOW: '150ms',
  };
  // The test reads poll results from the raw history: plain payloads.
  for (const name of PAYLOAD_KEY_VARIABLES) delete env[name];
  worker = await startWorker(env, { logDir: TEST_LOG_DIR });
  client = new Client({ connection: await Connection.connect({ address: requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS') }) });
}, 180_000);

afterAll(async () => {
  await client?.connection.close();
  await worker?.stop();
  await proxy?.close();
});

it('sleeps from each poll answer to the next tick, so polls stay on the shared ticks', async () => {
  const handle = await startProvision(
    client,
    { size: 'small', architecture: 'amd64', pollInterval: `${POLL_INTERVAL_MS}ms` },
    { workflowId: uniqueName('poll-timing'), taskQueue },
  );
  await expect(handle.result()).resolves.toMatchObject({ publicIp: expect.any(String) });

  // Each poll's marker, then the timer started in the same workflow task.
  const rounds: { checkedAt: number; sleepMs: number }[] = [];
  let checkedAt: number | undefined;
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      const data = marker.details?.result?.payloads?.[0]?.data;
      checkedAt = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { checkedAt?: number }).checkedAt : undefined;
    }
    const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
    if (timeout && checkedAt !== undefined) {
      rounds.push({ checkedAt, sleepMs: Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6) });
      checkedAt = undefined;
    }
  }

  expect(rounds).toHaveLength(HIDDEN_POLLS);
  for (const { checkedAt: answered, sleepMs } of rounds) {
    expect(sleepMs).toBeGreaterThan(0);
    expect(sleepMs).toBeLessThanOrEqual(POLL_INTERVAL_MS);
    expect((answered + sleepMs) % TICK_MS).toBe(0);
  }
});
