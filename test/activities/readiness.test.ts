/**
 * The readiness activities: EC2's status checks and console output against moto (behind the recording
 * proxy), their batching, and the TCP probe against listeners the test opens.
 */
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { createActivities } from '../../src/activities';
import { tailOf } from '../../src/activities/console-output';
import { applyBudget, DEFAULT_EC2_BUDGET } from '../../src/activities/ec2-budget';
import { runActivity } from '../support/activity-env';
import { startEc2FaultProxy, type Ec2FaultProxy } from '../../tools/ec2-fault-proxy';
import { endpointClients, motoEc2Client, motoEndpoint } from '../support/env';
import { acceptingListener, refusingPort, unansweredPort } from '../support/tcp-listeners';

const moto = motoEc2Client();
let proxy: Ec2FaultProxy;
let clients: ReturnType<typeof endpointClients>;
let ids: string[];
const region = 'us-east-1';

beforeAll(async () => {
  proxy = await startEc2FaultProxy(motoEndpoint());
  clients = endpointClients(proxy.endpoint);
  const launched = await moto.send(new RunInstancesCommand({ ImageId: 'ami-0c7217cdde317cfec', InstanceType: 't3.small', MinCount: 6, MaxCount: 6 }));
  ids = (launched.Instances ?? []).map((i) => i.InstanceId ?? '');
});

afterAll(async () => {
  moto.destroy();
  clients?.destroy();
  await proxy?.close();
});

beforeEach(() => {
  proxy.requests.length = 0;
  delete proxy.rewrite;
});

const statusCalls = () => proxy.requests.filter((r) => r.action === 'DescribeInstanceStatus');
const idsIn = (params: Record<string, string>) => Object.values(params).filter((v) => v.startsWith('i-')).sort();

describe('describeInstanceStatus', () => {
  it("reads a running instance's instance and system status checks", async () => {
    const { describeInstanceStatus } = createActivities({ clients, batching: false });
    const checks = await runActivity(describeInstanceStatus, { region, instanceId: ids[0] ?? '' });

    expect(checks).toMatchObject({ instanceId: ids[0], state: 'running', instance: 'ok', system: 'ok' });
    expect(typeof checks?.checkedAt).toBe('number');
    expect(statusCalls()).toHaveLength(1);
    // Every state, not only running instances, so a stopped instance is an answer too.
    expect(statusCalls()[0]?.params.IncludeAllInstances).toBe('true');
  });

  it('reports the checks EC2 gives while they are still initializing', async () => {
    proxy.rewrite = (request, body) => (request.action === 'DescribeInstanceStatus' ? body.replace(/<status>ok<\/status>/, '<status>initializing</status>') : body);
    const { describeInstanceStatus } = createActivities({ clients, batching: false });
    const checks = await runActivity(describeInstanceStatus, { region, instanceId: ids[0] ?? '' });

    expect(checks).toMatchObject({ instance: 'initializing', system: 'ok' });
  });

  it('answers 6 concurrent reads with one DescribeInstanceStatus call', async () => {
    const { describeInstanceStatus } = createActivities({ clients, batching: { windowMs: 100 } });
    const all = await Promise.all(ids.map((instanceId) => runActivity(describeInstanceStatus, { region, instanceId })));

    expect(all.map((c) => [c?.instanceId, c?.instance, c?.system])).toEqual(ids.map((id) => [id, 'ok', 'ok']));
    expect(statusCalls()).toHaveLength(1);
    expect(idsIn(statusCalls()[0]?.params ?? {})).toEqual([...ids].sort());
  });

  it('waits for its budget token with the batch open, so reads arriving meanwhile join it', async () => {
    const budgeted = new EC2Client({ region, endpoint: proxy.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    // One call at once, then one every 500 ms.
    applyBudget(budgeted, { ...DEFAULT_EC2_BUDGET, describe: { burst: 1, perSecond: 2 } });
    try {
      const { describeInstanceStatus } = createActivities({ clients: { ec2: () => budgeted, ssm: clients.ssm }, batching: { windowMs: 20 } });
      const read = (instanceId: string) => runActivity(describeInstanceStatus, { region, instanceId });
      const first = read(ids[0] ?? ''); // spends the only token
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = ids.slice(1, 3).map(read); // waits about 400 ms for the next token
      await new Promise((resolve) => setTimeout(resolve, 150));
      const late = ids.slice(3).map(read); // arrives while the second batch waits: joins it
      const all = await Promise.all([first, ...second, ...late]);

      expect(all.map((c) => c?.instance)).toEqual(ids.map(() => 'ok'));
      expect(statusCalls().map((r) => idsIn(r.params).length)).toEqual([1, ids.length - 1]);
    } finally {
      budgeted.destroy();
    }
  });

  it('makes one call per read with batching off', async () => {
    const { describeInstanceStatus } = createActivities({ clients, batching: false });
    await Promise.all(ids.map((instanceId) => runActivity(describeInstanceStatus, { region, instanceId })));

    expect(statusCalls()).toHaveLength(ids.length);
  });

  it('answers null for an id EC2 does not know, without failing the others in its batch', async () => {
    const { describeInstanceStatus } = createActivities({ clients, batching: { windowMs: 100 } });
    const [known, unknown] = await Promise.all([
      runActivity(describeInstanceStatus, { region, instanceId: ids[1] ?? '' }),
      runActivity(describeInstanceStatus, { region, instanceId: 'i-0123456789abcdef0' }),
    ]);

    expect(known).toMatchObject({ instanceId: ids[1], instance: 'ok' });
    expect(unknown).toBeNull();
    // The batch EC2 refused, then each id alone.
    expect(statusCalls().map((r) => idsIn(r.params).length)).toEqual([2, 1, 1]);
  });
});

describe('consoleOutputTail', () => {
  it("decodes the instance's console output", async () => {
    const { consoleOutputTail } = createActivities({ clients });
    const { tail } = await runActivity(consoleOutputTail, { region, instanceId: ids[0] ?? '' });

    // moto's fixed boot log.
    expect(tail).toContain('Linux version');
    expect(proxy.requests.filter((r) => r.action === 'GetConsoleOutput').map((r) => r.params.InstanceId)).toEqual([ids[0]]);
  });

  it('keeps only the last 4 KiB of a long output', async () => {
    const long = `${'early boot line\n'.repeat(1000)}cloud-init: FAILED running user data\n`;
    proxy.rewrite = (request, body) =>
      request.action === 'GetConsoleOutput' ? body.replace(/<output>[^<]*<\/output>/, `<output>${Buffer.from(long).toString('base64')}</output>`) : body;
    const { consoleOutputTail } = createActivities({ clients });
    const { tail } = await runActivity(consoleOutputTail, { region, instanceId: ids[0] ?? '' });

    expect(tail).toHaveLength(4096);
    expect(tail?.endsWith('cloud-init: FAILED running user data\n')).toBe(true);
  });

  it('never starts the tail in the middle of a character', () => {
    const text = 'é'.repeat(3000); // 2 bytes each: 4096 bytes from the end starts on a whole character
    expect(tailOf(Buffer.from(`x${text}`), 4097)).toBe(text.slice(-2048));
    expect(tailOf(Buffer.from(text), 4095)).toBe(text.slice(-2047));
  });
});

describe('probeTcp', () => {
  it('reports a connection the listener accepted', async () => {
    const listener = await acceptingListener();
    try {
      const { probeTcp } = createActivities({ clients });
      expect(await runActivity(probeTcp, { host: listener.host, port: listener.port })).toEqual({ accepted: true });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(listener.accepted()).toBe(1);
    } finally {
      await listener.close();
    }
  });

  it('reports a refused connection with its error', async () => {
    const { host, port } = await refusingPort();
    const { probeTcp } = createActivities({ clients });
    const outcome = await runActivity(probeTcp, { host, port });

    expect(outcome).toEqual({ accepted: false, error: expect.stringContaining(`${host}:${port}: ECONNREFUSED`) });
  });

  it('gives up on an attempt nobody answers after its bound', async () => {
    const silent = await unansweredPort();
    try {
      const { probeTcp } = createActivities({ clients });
      const started = Date.now();
      const outcome = await runActivity(probeTcp, { host: silent.host, port: silent.port, timeoutMs: 1_000 });

      expect(outcome).toEqual({ accepted: false, error: `no answer from ${silent.host}:${silent.port} within 1000 ms` });
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await silent.close();
    }
  });

  it("connects where an injected resolveProbeAddress points, not to the instance's address", async () => {
    const listener = await acceptingListener();
    try {
      const { probeTcp } = createActivities({ clients, resolveProbeAddress: () => ({ host: listener.host, port: listener.port }) });
      expect(await runActivity(probeTcp, { host: '203.0.113.10', port: 22 })).toEqual({ accepted: true });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(listener.accepted()).toBe(1);
    } finally {
      await listener.close();
    }
  });
});
