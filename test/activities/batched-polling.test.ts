/**
 * describeInstance activities that run at the same time share DescribeInstances calls, as EC2 (moto,
 * behind the recording proxy) sees them; with batching off, each makes its own.
 */
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { createActivities } from '../../src/activities';
import { nextPollAt } from '../../src/common/poll-ticks';
import { runActivity } from '../support/activity-env';
import { startEc2FaultProxy, type Ec2FaultProxy } from '../../tools/ec2-fault-proxy';
import { endpointClients, motoEc2Client, motoEndpoint } from '../support/env';

const moto = motoEc2Client();
let proxy: Ec2FaultProxy;
let clients: ReturnType<typeof endpointClients>;
let ids: string[];

beforeAll(async () => {
  proxy = await startEc2FaultProxy(motoEndpoint());
  clients = endpointClients(proxy.endpoint);
  const launched = await moto.send(new RunInstancesCommand({ ImageId: 'ami-0c7217cdde317cfec', InstanceType: 't3.small', MinCount: 12, MaxCount: 12 }));
  ids = (launched.Instances ?? []).map((i) => i.InstanceId ?? '');
});

afterAll(async () => {
  moto.destroy();
  clients?.destroy();
  await proxy?.close();
});

beforeEach(() => {
  proxy.requests.length = 0;
});

const describeCalls = () => proxy.requests.filter((r) => r.action === 'DescribeInstances');

it('answers 12 concurrent polls with one DescribeInstances call, each with its own instance', async () => {
  const { describeInstance } = createActivities({ clients, batching: { windowMs: 100 } });
  const statuses = await Promise.all(ids.map((instanceId) => runActivity(describeInstance, { region: 'us-east-1', instanceId })));

  expect(statuses.map((s) => s?.instanceId)).toEqual(ids);
  expect(statuses.every((s) => s?.publicIp !== undefined)).toBe(true);
  expect(describeCalls()).toHaveLength(1);
  expect(Object.values(describeCalls()[0]?.params ?? {}).filter((v) => v.startsWith('i-')).sort()).toEqual([...ids].sort());
});

it('still reports an unknown id as not visible yet inside a batch', async () => {
  const { describeInstance } = createActivities({ clients, batching: { windowMs: 100 } });
  const [known, unknown] = await Promise.all([
    runActivity(describeInstance, { region: 'us-east-1', instanceId: ids[0] ?? '' }),
    runActivity(describeInstance, { region: 'us-east-1', instanceId: 'i-0123456789abcdef0' }),
  ]);
  expect(known?.instanceId).toBe(ids[0]);
  expect(unknown).toBeNull();
  expect(describeCalls()).toHaveLength(1);
});

it('makes one call per poll with batching off', async () => {
  const { describeInstance } = createActivities({ clients, batching: false });
  await Promise.all(ids.map((instanceId) => runActivity(describeInstance, { region: 'us-east-1', instanceId })));
  expect(describeCalls()).toHaveLength(ids.length);
});

it('stamps each answer with when it arrived, after the batch window, for the workflow to time its next poll', async () => {
  const { describeInstance } = createActivities({ clients, batching: { windowMs: 300 } });
  const before = Date.now();
  const statuses = await Promise.all(ids.slice(0, 3).map((instanceId) => runActivity(describeInstance, { region: 'us-east-1', instanceId })));
  const after = Date.now();
  for (const status of statuses) {
    expect(status?.checkedAt).toBeGreaterThanOrEqual(before + 300);
    expect(status?.checkedAt).toBeLessThanOrEqual(after);
  }
});

it("foresees a run's next poll: at its tick the worker asks EC2 about it, and the poll takes that answer", async () => {
  const { describeInstance } = createActivities({ clients, batching: { windowMs: 50 } });
  const intervalMs = 1000;
  const dueAt = Date.now();
  const polls = ids.slice(0, 3).map((instanceId) => ({ region: 'us-east-1', instanceId, intervalMs }));
  // moto shows public IPs at once; hidden for the first poll, the runs are still waiting and will poll again.
  proxy.rewrite = (_request, body) => body.replace(/<ipAddress>[0-9.]+<\/ipAddress>/g, '');
  const first = await Promise.all(polls.map((poll) => runActivity(describeInstance, { ...poll, dueAt })));
  delete proxy.rewrite;
  expect(first.map((s) => s?.publicIp)).toEqual([undefined, undefined, undefined]);
  const next = nextPollAt(dueAt, Math.max(...first.map((s) => s?.checkedAt ?? 0)), intervalMs);

  // At the tick, before any poll for it has arrived, one call asks about all three.
  await new Promise((resolve) => setTimeout(resolve, next - Date.now() + 300));
  const idsPerCall = () => describeCalls().map((r) => Object.keys(r.params).filter((k) => k.startsWith('Filter.1.Value.')).length);
  expect(idsPerCall()).toEqual([3, 3]);

  // The polls for that tick come in late and take the tick's answer (the IPs now showing): no call of their own.
  const second = await Promise.all(polls.map((poll) => runActivity(describeInstance, { ...poll, dueAt: next })));
  expect(second.map((s) => s?.instanceId)).toEqual(ids.slice(0, 3));
  expect(second.every((s) => s?.publicIp !== undefined)).toBe(true);
  expect(idsPerCall()).toEqual([3, 3]);
});

it("foresees a lease's next watch though the instance has its IP, until the instance is gone", async () => {
  const { describeInstance } = createActivities({ clients, batching: { windowMs: 50 } });
  const intervalMs = 1000;
  const dueAt = Date.now();
  const watches = ids.slice(3, 6).map((instanceId) => ({ region: 'us-east-1', instanceId, intervalMs, watch: true }));
  const first = await Promise.all(watches.map((watch) => runActivity(describeInstance, { ...watch, dueAt })));
  expect(first.every((s) => s?.publicIp !== undefined)).toBe(true);
  const next = nextPollAt(dueAt, Math.max(...first.map((s) => s?.checkedAt ?? 0)), intervalMs);

  // At the tick, before any watch for it has arrived, one call asks about all three.
  await new Promise((resolve) => setTimeout(resolve, next - Date.now() + 300));
  const idsPerCall = () => describeCalls().map((r) => Object.keys(r.params).filter((k) => k.startsWith('Filter.1.Value.')).length);
  expect(idsPerCall()).toEqual([3, 3]);
  const second = await Promise.all(watches.map((watch) => runActivity(describeInstance, { ...watch, dueAt: next })));
  expect(second.map((s) => s?.instanceId)).toEqual(ids.slice(3, 6));
  expect(idsPerCall()).toEqual([3, 3]);
});
