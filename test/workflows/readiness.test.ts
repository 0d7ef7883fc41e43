/**
 * Readiness on the time-skipping server, with the real activities against moto behind the recording
 * proxy and the TCP check mapped to listeners the test opens: ready when both checks pass, NotReady
 * (with what the checks saw and the console output) and the instance terminated when they do not,
 * and no new call at all for a request without readiness.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type ProbeTarget, type ResolveProbeAddress } from '../../src/activities';
import type { NotReadyDetails, ProvisionRequest } from '../../src/common/contract';
import { statusQuery, type provisionInstance } from '../../src/workflows';
import { startEc2FaultProxy, type Ec2FaultProxy } from '../../tools/ec2-fault-proxy';
import { endpointClients, instancesTagged, isRunningOrPending, motoEc2Client, motoEndpoint, uniqueName } from '../support/env';
import { acceptingListener, refusingPort, type Endpoint } from '../support/tcp-listeners';
import { createTimeSkippingEnv, createWorker } from '../support/workflow-env';

let env: TestWorkflowEnvironment;
let proxy: Ec2FaultProxy;
let clients: ReturnType<typeof endpointClients>;
let listener: Endpoint & { accepted: () => number };
let refusing: ProbeTarget;
const moto = motoEc2Client();

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  proxy = await startEc2FaultProxy(motoEndpoint());
  clients = endpointClients(proxy.endpoint);
  listener = await acceptingListener();
  refusing = await refusingPort();
}, 60_000);

afterAll(async () => {
  clients?.destroy();
  moto.destroy();
  await listener?.close();
  await proxy?.close();
  await env?.teardown();
});

beforeEach(() => {
  proxy.requests.length = 0;
  delete proxy.rewrite;
});

const statusCalls = () => proxy.requests.filter((r) => r.action === 'DescribeInstanceStatus');

/** Status checks "initializing" for the first `rounds` DescribeInstanceStatus calls (all, when Infinity). */
function initializingFor(rounds: number): void {
  let seen = 0;
  proxy.rewrite = (request, body) => {
    if (request.action !== 'DescribeInstanceStatus' || ++seen > rounds) return body;
    return body.replace(/<status>ok<\/status>/, '<status>initializing</status>');
  };
}

async function provision(request: ProvisionRequest, resolveProbeAddress: ResolveProbeAddress) {
  const taskQueue = uniqueName('ready');
  const worker = await createWorker(env, taskQueue, createActivities({ clients, resolveProbeAddress }));
  return worker.runUntil(
    env.client.workflow
      .execute<typeof provisionInstance>('provisionInstance', { args: [request], taskQueue, workflowId: uniqueName('ready'), workflowExecutionTimeout: '2h' })
      .then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      ),
  );
}

it('waits for the status checks and the TCP port, then reports what it checked and when', async () => {
  initializingFor(2);
  // The port refuses twice, then accepts: the VM's service comes up a little after its IP.
  const probed: ProbeTarget[] = [];
  const resolve: ResolveProbeAddress = (target) => {
    probed.push(target);
    return probed.length <= 2 ? refusing : listener;
  };
  const marker = uniqueName('ready');

  const { result, error } = await provision(
    { size: 'small', architecture: 'amd64', tags: { test: marker }, pollInterval: '5s', readiness: { statusChecks: true, tcpPort: 22 } },
    resolve,
  );

  expect(error).toBeUndefined();
  expect(result?.readiness).toEqual({ statusChecks: 'ok', tcpPort: 22, address: 'public' });
  expect(statusCalls()).toHaveLength(3);
  expect(probed).toHaveLength(3);
  expect(probed.every((t) => t.host === result?.publicIp && t.port === 22)).toBe(true);
  // Two rounds of waiting on the shared ticks, 5 s apart, after the IP.
  const readyAfterLaunchMs = Date.parse(result?.readyAt ?? '') - Date.parse(result?.launchedAt ?? '');
  expect(readyAfterLaunchMs).toBeGreaterThanOrEqual(5_000);
  const instances = await instancesTagged(moto, 'test', marker);
  expect(instances.filter(isRunningOrPending).map((i) => i.InstanceId)).toEqual([result?.instanceId]);
});

it("checks the private address when asked, and stops checking a port once it accepted", async () => {
  const probed: ProbeTarget[] = [];
  initializingFor(3);

  const { result } = await provision(
    { size: 'small', architecture: 'amd64', pollInterval: '5s', readiness: { statusChecks: true, tcpPort: 8443, address: 'private', timeout: '5m' } },
    (target) => {
      probed.push(target);
      return listener;
    },
  );

  expect(result?.readiness).toEqual({ statusChecks: 'ok', tcpPort: 8443, address: 'private' });
  expect(probed).toEqual([{ host: result?.privateIp, port: 8443 }]);
  expect(statusCalls()).toHaveLength(4);
});

it('fails as NotReady at the deadline with the last checks, the TCP error and the console output, and terminates the instance', async () => {
  initializingFor(Infinity);
  const marker = uniqueName('not-ready');

  const { error } = await provision(
    { size: 'small', architecture: 'amd64', tags: { test: marker }, pollInterval: '5s', readiness: { statusChecks: true, tcpPort: 22, timeout: '30s' } },
    () => refusing,
  );

  expect(error).toBeInstanceOf(WorkflowFailedError);
  const failure = (error as WorkflowFailedError).cause;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  const notReady = failure as ApplicationFailure;
  expect(notReady.type).toBe('NotReady');
  expect(notReady.nonRetryable).toBe(true);
  expect(notReady.message).toMatch(/was not ready 30s after its public IP: status checks not ok \(instance initializing, system ok\); TCP check failing \(.*ECONNREFUSED/);
  const details = notReady.details?.[0] as NotReadyDetails;
  expect(details.statusChecks).toEqual({ instance: 'initializing', system: 'ok' });
  expect(details.lastTcpError).toContain(`${refusing.host}:${refusing.port}: ECONNREFUSED`);
  expect(details.consoleOutputTail).toContain('Linux version');
  // Checked every 5 s for 30 s, then the console output, then compensation.
  expect(statusCalls().length).toBeGreaterThanOrEqual(6);
  const actions = proxy.requests.map((r) => r.action);
  expect(actions.indexOf('GetConsoleOutput')).toBeLessThan(actions.indexOf('TerminateInstances'));
  expect((await instancesTagged(moto, 'test', marker)).filter(isRunningOrPending)).toEqual([]);
});

it('without readiness, ends at the IP and makes none of the readiness calls', async () => {
  const probed: ProbeTarget[] = [];

  const { result } = await provision({ size: 'small', architecture: 'amd64', pollInterval: '5s' }, (target) => {
    probed.push(target);
    return listener;
  });

  expect(result?.publicIp).toBeTruthy();
  expect(result).not.toHaveProperty('readyAt');
  expect(result).not.toHaveProperty('readiness');
  expect(statusCalls()).toEqual([]);
  expect(proxy.requests.filter((r) => r.action === 'GetConsoleOutput')).toEqual([]);
  expect(probed).toEqual([]);
});

it('shows waiting-for-ready with its deadline while it waits, and a cancellation then terminates the instance', async () => {
  initializingFor(Infinity);
  const marker = uniqueName('cancel-ready');
  const taskQueue = uniqueName('ready');
  const worker = await createWorker(env, taskQueue, createActivities({ clients }));
  const request: ProvisionRequest = { size: 'small', architecture: 'amd64', tags: { test: marker }, pollInterval: '5s', readiness: { statusChecks: true } };

  const status = await worker.runUntil(async () => {
    // Started, not awaited: the test server does not skip time, so the run stays in its wait.
    const handle = await env.client.workflow.start<typeof provisionInstance>('provisionInstance', { args: [request], taskQueue, workflowId: uniqueName('ready'), workflowExecutionTimeout: '2h' });
    let seen = await handle.query(statusQuery);
    for (let i = 0; i < 100 && seen.phase !== 'waiting-for-ready'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await handle.query(statusQuery);
    }
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    return seen;
  });

  expect(status.phase).toBe('waiting-for-ready');
  expect(Date.parse(status.readyDeadline ?? '')).toBeGreaterThan(Date.parse(status.deadline ?? ''));
  expect((await instancesTagged(moto, 'test', marker)).filter(isRunningOrPending)).toEqual([]);
});

it('ends the wait at once as NotReady when the status checks show the instance gone, and terminates it', async () => {
  proxy.rewrite = (request, body) => (request.action === 'DescribeInstanceStatus' ? body.replace(/<name>running<\/name>/, '<name>stopped</name>') : body);
  const marker = uniqueName('gone');
  const probed: ProbeTarget[] = [];

  const { error } = await provision(
    { size: 'small', architecture: 'amd64', tags: { test: marker }, pollInterval: '5s', readiness: { statusChecks: true, tcpPort: 22, timeout: '30m' } },
    (target) => {
      probed.push(target);
      return refusing;
    },
  );

  const failure = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(failure.type).toBe('NotReady');
  expect(failure.message).toContain('reached state "stopped" before it was ready');
  expect(statusCalls()).toHaveLength(1);
  expect(probed).toEqual([]);
  expect((await instancesTagged(moto, 'test', marker)).filter(isRunningOrPending)).toEqual([]);
});
