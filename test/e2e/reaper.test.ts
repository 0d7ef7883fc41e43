/**
 * The orphan reaper on real parts: the dev server, moto, a worker process, and real Temporal runs in
 * every end state. moto is seeded with managed instances tagged with those runs; the reaper must
 * terminate exactly the ones whose run failed, was cancelled, terminated or timed out, or does not
 * exist (or that name no run), and leave alone those whose run completed or is still running, any
 * instance without the managed tag, everything in a dry run, and everything inside the grace period.
 * Only instances tagged with this namespace's ID are judged: another namespace's are left alone, and
 * those without the tag (launched before it existed) are listed as not judged.
 * Also: `stagely schedules apply` creates the schedule, updates it in place, and deletes it.
 *
 * moto's state is shared with the other suites, which launch in us-east-1; the instances here live
 * in a region nobody else uses, so the reaper's scan sees only them.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { Client, Connection, ScheduleNotFoundError, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import { getProvisionStatus, startProvision } from '../../src/client';
import type { ReapReport, ReapRequest } from '../../src/common/reaping';
import { LEGACY_NAMESPACE_TAG, MANAGED_TAG, NAMESPACE_ID_TAG, provenanceTags, RUN_ID_TAG, WORKFLOW_ID_TAG } from '../../src/common/tags';
import { motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';
import { runStagely, type CommandOutcome } from '../support/stagely-command';

const REGION = 'ap-southeast-2';
const SCHEDULE_ID = 'stagely-reap-orphans';
const taskQueue = uniqueName('e2e-reaper');
/** Nobody polls this queue: runs started on it stay RUNNING until terminated or timed out. */
const idleQueue = uniqueName('e2e-reaper-idle');
const marker = uniqueName('reaper');
const env = {
  ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), motoEndpoint(), taskQueue),
  STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE'),
};
const ec2UsEast = motoEc2Client();
const ec2 = new EC2Client({ region: REGION, endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
let worker: ManagedProcess;
let client: Client;
let stillRunning: WorkflowHandle | undefined;
/** The dev server's `default` namespace's ID, which the worker tags launches with. */
let namespaceId: string;

interface Run {
  workflowId: string;
  runId: string;
}

/** The provisioning runs the instances name. */
let failedRun: Run;
/** Instance ids by what their tags say about them. */
const seeded: Record<string, string> = {};
/** The ones the reaper must terminate, and the reason code it must give. */
const ORPHANS: Record<string, string> = {
  failed: 'run-failed',
  failedStopped: 'run-failed',
  cancelled: 'run-cancelled',
  terminated: 'run-terminated',
  timedOut: 'run-timed-out',
  unknown: 'run-unknown',
  noRunTags: 'no-run-tags',
};
/** The ones it must leave alone (all running). */
const KEPT = ['completed', 'running', 'unmanaged', 'otherNamespace', 'legacy'];

beforeAll(async () => {
  worker = await startWorker(env, { logDir: TEST_LOG_DIR });
  client = new Client({ connection: await Connection.connect({ address: requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS') }) });
  namespaceId = (await client.workflowService.describeNamespace({ namespace: 'default' })).namespaceInfo?.id ?? '';
  expect(namespaceId).not.toBe('');

  const runs = {
    completed: await completedRun(),
    failed: await startFailedRun(),
    cancelled: await cancelledRun(),
    terminated: await terminatedRun(),
    timedOut: await timedOutRun(),
    running: await runningRun(),
    unknown: { workflowId: uniqueName('never-started'), runId: randomUUID() },
  };
  failedRun = runs.failed;
  for (const name of ['completed', 'failed', 'cancelled', 'terminated', 'timedOut', 'running', 'unknown'] as const) {
    seeded[name] = await seed(name, provenanceTags({ namespaceId, ...runs[name], token: `${runs[name].runId}-1` }));
  }
  seeded.failedStopped = await seed('failedStopped', provenanceTags({ namespaceId, ...runs.failed, token: `${runs.failed.runId}-2` }));
  await ec2.send(new StopInstancesCommand({ InstanceIds: [seeded.failedStopped] }));
  seeded.noRunTags = await seed('noRunTags', { [MANAGED_TAG]: 'true', [NAMESPACE_ID_TAG]: namespaceId });
  // Tagged by a failed run but not managed: the reaper must never look at it.
  const { [MANAGED_TAG]: _, ...unmanaged } = provenanceTags({ namespaceId, ...runs.failed, token: `${runs.failed.runId}-3` });
  seeded.unmanaged = await seed('unmanaged', unmanaged);
  // Launched from another namespace sharing the account (maybe also called default, on another
  // cluster): only that namespace's reaper may judge it.
  seeded.otherNamespace = await seed('otherNamespace', provenanceTags({ namespaceId: randomUUID(), ...runs.unknown, token: `${runs.unknown.runId}-4` }));
  // Launched before instances carried the namespace ID: whose it is cannot be told, so it is only listed.
  seeded.legacy = await seed('legacy', { [MANAGED_TAG]: 'true', [WORKFLOW_ID_TAG]: runs.failed.workflowId, [RUN_ID_TAG]: runs.failed.runId, [LEGACY_NAMESPACE_TAG]: 'default' });
}, 240_000);

afterAll(async () => {
  await stillRunning?.terminate('reaper test done').catch(() => undefined);
  await client?.schedule.getHandle(SCHEDULE_ID).delete().catch(() => undefined);
  ec2.destroy();
  ec2UsEast.destroy();
  await client?.connection.close();
  await worker?.stop();
});

/** A run that completed: validateCredentials against moto. */
async function completedRun(): Promise<Run> {
  const handle = await client.workflow.start('validateCredentials', { args: [{}], taskQueue, workflowId: uniqueName('completed') });
  await handle.result();
  return runOf(handle, 'COMPLETED');
}

/** A run that failed: a provision with an invalid request fails with InvalidSpec before any AWS call. */
async function startFailedRun(): Promise<Run> {
  const handle = await client.workflow.start('provisionInstance', { args: [{ size: 'huge' }], taskQueue, workflowId: uniqueName('failed') });
  await handle.result().catch(() => undefined);
  return runOf(handle, 'FAILED');
}

/** A run that was cancelled while it waited for a public IP in a subnet that gives none. */
async function cancelledRun(): Promise<Run> {
  const vpc = await ec2UsEast.send(new CreateVpcCommand({ CidrBlock: '10.93.0.0/16' }));
  const subnet = await ec2UsEast.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.93.1.0/24' }));
  const workflowId = uniqueName('cancelled');
  const handle = await startProvision(
    client,
    { size: 'small', architecture: 'arm64', subnetId: subnet.Subnet?.SubnetId ?? '', ipWaitTimeout: '1h', pollInterval: '1s' },
    { workflowId, taskQueue },
  );
  while ((await getProvisionStatus(client, workflowId)).phase !== 'waiting-for-ip') await new Promise((r) => setTimeout(r, 200));
  await handle.cancel();
  await handle.result().catch(() => undefined);
  return runOf(handle, 'CANCELLED');
}

async function terminatedRun(): Promise<Run> {
  const handle = await client.workflow.start('provisionInstance', { args: [{}], taskQueue: idleQueue, workflowId: uniqueName('terminated') });
  await handle.terminate('reaper test');
  return runOf(handle, 'TERMINATED');
}

async function timedOutRun(): Promise<Run> {
  const handle = await client.workflow.start('provisionInstance', {
    args: [{}],
    taskQueue: idleQueue,
    workflowId: uniqueName('timed-out'),
    workflowExecutionTimeout: '1s',
  });
  for (let i = 0; i < 100 && (await handle.describe()).status.name !== 'TIMED_OUT'; i++) await new Promise((r) => setTimeout(r, 200));
  return runOf(handle, 'TIMED_OUT');
}

async function runningRun(): Promise<Run> {
  stillRunning = await client.workflow.start('provisionInstance', { args: [{}], taskQueue: idleQueue, workflowId: uniqueName('running') });
  return runOf(stillRunning, 'RUNNING');
}

async function runOf(handle: WorkflowHandle, expected: string): Promise<Run> {
  const description = await handle.describe();
  expect(description.status.name).toBe(expected);
  return { workflowId: description.workflowId, runId: description.runId };
}

/** A t3.small in the test's region with these tags. */
async function seed(name: string, tags: Record<string, string>): Promise<string> {
  const launched = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0c7217cdde317cfec',
      InstanceType: 't3.small',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries({ ...tags, Name: name, e2e: marker }).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  const id = launched.Instances?.[0]?.InstanceId;
  if (id === undefined) throw new Error('moto launched nothing');
  return id;
}

async function states(): Promise<Record<string, string | undefined>> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: Object.values(seeded) }));
  const byId = new Map(out.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId, i.State?.Name]));
  return Object.fromEntries(Object.entries(seeded).map(([name, id]) => [name, byId.get(id)]));
}

async function expectNothingTerminated(): Promise<void> {
  const now = await states();
  for (const [name, state] of Object.entries(now)) expect([name, state]).toEqual([name, name === 'failedStopped' ? 'stopped' : 'running']);
}

function reapedByName(report: ReapReport): Record<string, string> {
  const names = new Map(Object.entries(seeded).map(([name, id]) => [id, name]));
  return Object.fromEntries(report.reaped.map((entry) => [names.get(entry.instanceId) ?? entry.instanceId, entry.code]));
}

function reap(request: ReapRequest): Promise<ReapReport> {
  return client.workflow.execute<(r: ReapRequest) => Promise<ReapReport>>('reapOrphans', {
    args: [request],
    taskQueue,
    workflowId: uniqueName('reap'),
    workflowExecutionTimeout: '2m',
  });
}

/** The `stagely` command with this suite's environment. */
const stagely = (args: string[]): Promise<CommandOutcome> => runStagely(args, env);

it('a dry run (stagely reap --dry-run) lists exactly the orphans with their reasons and terminates nothing', async () => {
  const outcome = await stagely(['reap', '--dry-run', '--grace', '0', '--regions', REGION, '--json']);
  expect(outcome).toMatchObject({ code: 0 });
  const report = JSON.parse(outcome.stdout) as ReapReport;

  expect(report).toMatchObject({ dryRun: true, regions: [REGION], gracePeriod: '0ms', openRunLimit: '3h', scanned: 9, otherNamespaces: 1, stuckRuns: [], namespaceId });
  expect(reapedByName(report)).toEqual(ORPHANS);
  expect(report.kept).toMatchObject({ 'run-completed': 1, 'run-open': 1 });
  expect(report.notJudged).toEqual([
    expect.objectContaining({ region: REGION, instanceId: seeded.legacy, namespace: 'default', reason: expect.stringContaining('no stagely:namespace-id tag') }),
  ]);
  const failed = report.reaped.find((e) => e.instanceId === seeded.failed);
  expect(failed).toMatchObject({ region: REGION, runStatus: 'FAILED' });
  expect(failed?.reason).toContain('its provisioning run failed');
  // For people (no --json): a line per instance it would reap or could not judge, and a summary.
  const human = await stagely(['reap', '--dry-run', '--grace', '0', '--regions', REGION]);
  expect(human).toMatchObject({ code: 0 });
  expect(human.stdout).toContain(`not judged ${seeded.legacy} (${REGION})`);
  expect(human.stdout).toContain(`would reap ${seeded.unknown} (${REGION}): its provisioning run is unknown to Temporal`);
  expect(human.stdout).toContain(`Dry run: would reap ${Object.keys(ORPHANS).length} of 9 managed instances in ${REGION}`);
  await expectNothingTerminated();
});

it('leaves orphans alone while they are younger than the grace period', async () => {
  const report = await reap({ regions: [REGION], gracePeriod: '1h' });

  expect(report).toMatchObject({ dryRun: false, gracePeriod: '1h', scanned: 9, reaped: [] });
  expect(report.kept).toMatchObject({ 'within-grace': Object.keys(ORPHANS).length, 'run-completed': 1, 'run-open': 1 });
  await expectNothingTerminated();
});

it('refuses a bad request with InvalidSpec and terminates nothing', async () => {
  const error = await reap({ regions: ['mars-1'], gracePeriod: 0 } as ReapRequest).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const failure = (error as WorkflowFailedError).cause;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).type).toBe('InvalidSpec');
  expect((failure as ApplicationFailure).message).toBe('Invalid reapOrphans request (1 problem): regions: "mars-1" is not an AWS region. Nothing was terminated.');
  // The problem shape of every InvalidSpec (README's failure table), not strings.
  expect((failure as ApplicationFailure).details).toEqual([{ problems: [{ field: 'regions', message: '"mars-1" is not an AWS region' }] }]);
  await expectNothingTerminated();
});

it('terminates exactly the orphans, logging each with its reason, and never an instance whose run completed', async () => {
  const report = await reap({ regions: [REGION], gracePeriod: '0' });

  expect(report).toMatchObject({ dryRun: false, scanned: 9 });
  expect(reapedByName(report)).toEqual(ORPHANS);
  const after = await states();
  for (const name of Object.keys(ORPHANS)) expect([name, after[name]]).toEqual([name, expect.stringMatching(/^(shutting-down|terminated)$/)]);
  for (const name of KEPT) expect([name, after[name]]).toEqual([name, 'running']);

  // The worker's log names every reaped instance with its reason (workflow and activity loggers).
  let log = '';
  for (let i = 0; i < 50 && !Object.keys(ORPHANS).every((n) => log.includes(`"instanceId":"${seeded[n]}"`)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    log = readFileSync(worker.logFile, 'utf8');
  }
  const reapedLines = log.split('\n').filter((line) => line.includes('Reaped orphaned instance'));
  for (const name of Object.keys(ORPHANS)) {
    expect(reapedLines.find((line) => line.includes(seeded[name] ?? '-'))).toMatch(/"reason":"(its provisioning run|it names no provisioning run)/);
  }
  for (const name of KEPT) expect(reapedLines.filter((line) => line.includes(seeded[name] ?? '-'))).toEqual([]);
  // The workflow's own line names the provisioning run without hiding the reaper's run.
  const decided = log.split('\n').find((line) => line.includes('"message":"Reaping orphaned instance"') && line.includes(seeded.failed ?? '-'));
  expect(decided).toContain(`"provisionRunId":"${failedRun.runId}"`);
  expect(decided).toContain('"workflowType":"reapOrphans"');
  expect(decided).not.toContain(`"runId":"${failedRun.runId}"`);

  // A second pass finds nothing left to do.
  const again = await reap({ regions: [REGION], gracePeriod: '0' });
  expect(again).toMatchObject({ scanned: 2, reaped: [] });
});

it('stagely schedules apply creates the schedule, updates it in place (keeping a pause), and deletes it', async () => {
  const created = await stagely(['schedules', 'apply', '--every', '30m', '--grace', '45m', '--regions', REGION, '--dry-run']);
  expect(created).toMatchObject({ code: 0 });
  expect(created.stdout).toContain(`Created schedule ${SCHEDULE_ID}`);
  expect(created.stdout).toMatch(/^every\s+30m$/m);
  const handle = client.schedule.getHandle(SCHEDULE_ID);
  let description = await handle.describe();
  expect(description.spec.intervals?.[0]?.every).toBe(30 * 60_000);
  expect(description.policies.overlap).toBe('SKIP');
  expect(description.action).toMatchObject({ workflowType: 'reapOrphans', taskQueue, args: [{ dryRun: true, gracePeriod: '45m', regions: [REGION] }] });

  await handle.pause('operator says wait');
  const updated = await stagely(['schedules', 'apply', '--every', '20m']);
  expect(updated).toMatchObject({ code: 0 });
  expect(updated.stdout).toContain(`Updated schedule ${SCHEDULE_ID}`);
  expect(updated.stdout).toMatch(/^every\s+20m$/m);
  description = await handle.describe();
  expect(description.spec.intervals).toHaveLength(1);
  expect(description.spec.intervals?.[0]?.every).toBe(20 * 60_000);
  expect(description.action).toMatchObject({ args: [{ dryRun: false }] });
  expect(description.state.paused).toBe(true);

  expect(await stagely(['schedules', 'apply', '--every', '10s'])).toMatchObject({ code: 2, stderr: expect.stringContaining("'--every <duration>' argument '10s' is invalid. must be at least 1m") });
  expect(await stagely(['schedules', 'delete'])).toMatchObject({ code: 0, stdout: expect.stringContaining(`Deleted schedule ${SCHEDULE_ID}`) });
  await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
});
