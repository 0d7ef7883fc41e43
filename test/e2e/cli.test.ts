/**
 * The whole path on real parts: the Temporal dev server, moto over HTTP, the worker as a child process,
 * and the stagely command line (and the `temporal` CLI) run as child processes, the way scripts and
 * operators run them: exit codes, --json output, help.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { stackEnv, startWorker, toolPath, type ManagedProcess } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import type { InstanceStatusResult, ProvisionResult } from '../../src/common/contract';
import { instancesTagged, isRunningOrPending, motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { compileContractSchema } from '../support/contract-schemas';
import { TEST_LOG_DIR } from '../support/shared-setup';

const run = promisify(execFile);
const taskQueue = uniqueName('e2e');
const env = {
  ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), motoEndpoint(), taskQueue),
  STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE'),
};
const ec2 = motoEc2Client();
let worker: ManagedProcess;

beforeAll(async () => {
  worker = await startWorker(env, { logDir: TEST_LOG_DIR });
});

afterAll(async () => {
  ec2.destroy();
  await worker?.stop();
});

interface CommandOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `stagely ARGS` the way docs/contract.md shows it, and never throws on a non-zero exit. */
async function stagely(args: string[]): Promise<CommandOutcome> {
  const tsx = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  try {
    const { stdout, stderr } = await run(tsx, [join(PROJECT_ROOT, 'src', 'cli', 'index.ts'), ...args], { env, cwd: PROJECT_ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

it('provisions an instance end to end and prints the contract result', async () => {
  const marker = uniqueName('ok');
  const outcome = await stagely(['provision', '--size', 'small', '--arch', 'arm64', '--tag', `e2e=${marker}`, '--poll-interval', '1s']);

  expect(outcome.code).toBe(0);
  expect(outcome.stderr).toContain('Started provision-');
  expect(outcome.stderr).toMatch(/^\[\d+s\] (validating|resolving-image|launching|waiting-for-ip|succeeded)/m);
  const result = JSON.parse(outcome.stdout) as ProvisionResult;
  expect(Object.keys(result).sort()).toEqual(
    ['architecture', 'attempts', 'imageId', 'imageSource', 'instanceId', 'instanceType', 'launchedAt', 'privateIp', 'publicIp', 'region', 'size', 'spot'],
  );
  expect(result).toMatchObject({
    instanceType: 't4g.small',
    imageId: 'ami-0c7a8e3f05e4e5f0c',
    region: 'us-east-1',
    size: 'small',
    architecture: 'arm64',
    spot: false,
    // moto has no Canonical parameter, so the worker falls back to the static table, as it would on AWS.
    imageSource: 'static',
    attempts: [{ instanceType: 't4g.small', spot: false, outcome: 'launched', instanceId: result.instanceId }],
  });
  const instances = await instancesTagged(ec2, 'e2e', marker);
  expect(instances.map((i) => i.InstanceId)).toEqual([result.instanceId]);
  expect(instances[0]?.PublicIpAddress).toBe(result.publicIp);
  expect(isRunningOrPending(instances[0] ?? {})).toBe(true);
});

it('prints only the result JSON with --json', async () => {
  const outcome = await stagely(['provision', '--size', 'medium', '--arch', 'arm64', '--poll-interval', '1s', '--json', '--environment', 'pr-7']);
  expect(outcome.code).toBe(0);
  expect(outcome.stderr).toBe('');
  expect(JSON.parse(outcome.stdout)).toMatchObject({ instanceType: 'c6g.xlarge', architecture: 'arm64', size: 'medium' });
});

it('fails with PublicIpTimeout in a subnet without public IPs and leaves nothing running', async () => {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.77.1.0/24' }));
  expect(subnet.Subnet?.MapPublicIpOnLaunch).toBe(false);
  const marker = uniqueName('no-ip');
  const outcome = await stagely([
    'provision', '--size', 'small', '--arch', 'amd64', '--tag', `e2e=${marker}`, '--json',
    '--subnet-id', subnet.Subnet?.SubnetId ?? '', '--ip-wait-timeout', '10s', '--poll-interval', '1s',
  ]);

  expect(outcome.code).toBe(1);
  const printed = JSON.parse(outcome.stdout) as { error: { type: string; message: string; workflowId: string } };
  expect(printed.error.type).toBe('PublicIpTimeout');
  expect(printed.error.message).toContain('MapPublicIpOnLaunch');
  expect(printed.error.workflowId).toMatch(/^provision-/);
  expect(outcome.stderr).toBe('');
  const instances = await instancesTagged(ec2, 'e2e', marker);
  expect(instances).toHaveLength(1);
  expect(instances.filter(isRunningOrPending)).toEqual([]);
});

it('refuses an invalid request with exit code 2 and starts nothing', async () => {
  const marker = uniqueName('bad');
  const outcome = await stagely(['provision', '--size', 'huge', '--arch', 'arm64', '--tag', `e2e=${marker}`]);
  expect(outcome.code).toBe(2);
  expect(outcome.stderr).toContain('InvalidSpec:');
  expect(outcome.stderr).toContain('size');
  expect(outcome.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace without --verbose
  const json = await stagely(['provision', '--size', 'small', '--arch', 'x86_64', '--json']);
  expect(json.code).toBe(2);
  expect(JSON.parse(json.stdout)).toMatchObject({
    error: { type: 'InvalidSpec', problems: [{ field: 'architecture', message: expect.stringContaining('did you mean "amd64"?') }] },
  });
  expect(await instancesTagged(ec2, 'e2e', marker)).toEqual([]);
});

it('detaches, reports status, and cancels a provision (which terminates its instance)', async () => {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.80.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.80.1.0/24' }));
  const started = await stagely(['provision', '--size', 'small', '--arch', 'arm64', '--subnet-id', subnet.Subnet?.SubnetId ?? '', '--poll-interval', '1s', '--ip-wait-timeout', '1h', '--detach']);
  expect(started.code).toBe(0);
  const workflowId = started.stdout.trim();
  expect(workflowId).toMatch(/^provision-[0-9a-f-]+$/);

  let status: { execution?: string; phase?: string; instanceId?: string; polls?: number } = {};
  for (let i = 0; i < 60 && !(status.polls && status.polls > 0); i++) {
    const shown = await stagely(['status', workflowId, '--json']);
    expect(shown.code).toBe(0);
    status = JSON.parse(shown.stdout) as typeof status;
  }
  expect(status).toMatchObject({ execution: 'RUNNING', phase: 'waiting-for-ip' });

  const cancelled = await stagely(['cancel', workflowId, '--json']);
  expect(cancelled.code).toBe(0);
  expect(JSON.parse(cancelled.stdout)).toMatchObject({ workflowId, cancelled: true, status: { phase: 'cancelled' } });
  const [instance] = await ec2
    .send(new DescribeInstancesCommand({ InstanceIds: [status.instanceId ?? ''] }))
    .then((out) => out.Reservations?.[0]?.Instances ?? []);
  expect(['shutting-down', 'terminated']).toContain(instance?.State?.Name);

  const unknown = await stagely(['status', 'no-such-provision', '--json']);
  expect(unknown.code).toBe(4);
  expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { type: 'NotFound' } });
});

it('exits 6 (ProvisionConflict) when the --id has an open or a succeeded run with another request, and attaches with the same one', async () => {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.82.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.82.1.0/24' }));
  const open = uniqueName('pr-open');
  const request = ['provision', '--size', 'small', '--arch', 'arm64', '--subnet-id', subnet.Subnet?.SubnetId ?? '', '--ip-wait-timeout', '1h', '--id', open];
  expect(await stagely([...request, '--detach'])).toMatchObject({ code: 0, stdout: `${open}\n` });

  const conflict = await stagely([...request, '--tag', 'team=web', '--root-volume', '30', '--detach']);
  expect(conflict.code).toBe(6);
  expect(conflict.stderr).toMatch(new RegExp(`^ProvisionConflict: workflow ${open} already has a RUNNING run \\(.+\\) started with a different request \\(differs in rootVolumeGiB, tags\\)`));
  const json = await stagely([...request, '--size', 'large', '--json']);
  expect(json.code).toBe(6);
  expect(JSON.parse(json.stdout)).toMatchObject({ error: { type: 'ProvisionConflict', workflowId: open, runStatus: 'RUNNING', fields: ['rootVolumeGiB', 'size'] } });
  // The same request, with its defaults spelled out: attaches.
  expect(await stagely([...request, '--region', 'us-east-1', '--poll-interval', '5s', '--detach'])).toMatchObject({ code: 0, stdout: `${open}\n` });
  expect(await stagely(['cancel', open, '--json'])).toMatchObject({ code: 0 });

  const done = uniqueName('pr-done');
  const marker = uniqueName('cli-conflict');
  const finished = ['provision', '--size', 'small', '--arch', 'amd64', '--tag', `e2e=${marker}`, '--poll-interval', '1s', '--id', done, '--json'];
  const first = await stagely(finished);
  expect(first.code).toBe(0);
  const again = await stagely([...finished, '--spot']);
  expect(again.code).toBe(6);
  expect(JSON.parse(again.stdout)).toMatchObject({ error: { type: 'ProvisionConflict', runStatus: 'COMPLETED', fields: ['spotInstance'] } });
  expect((await instancesTagged(ec2, 'e2e', marker)).map((i) => i.InstanceId)).toEqual([(JSON.parse(first.stdout) as ProvisionResult).instanceId]);
});

it('terminates an instance by id, and checks credentials', async () => {
  const launched = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0c7217cdde317cfec', InstanceType: 't3.small', MinCount: 1, MaxCount: 1 }));
  const instanceId = launched.Instances?.[0]?.InstanceId ?? '';

  const first = await stagely(['terminate', instanceId]);
  expect(first.code).toBe(0);
  expect(JSON.parse(first.stdout)).toEqual({ instanceId, alreadyGone: false });
  const again = await stagely(['terminate', instanceId, '--region', 'us-east-1']);
  expect(JSON.parse(again.stdout)).toEqual({ instanceId, alreadyGone: true });
  const refused = await stagely(['terminate', 'not-an-instance']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('Invalid teardown request (1 problem): instanceId: ');
  expect(refused.stderr).toContain('start the teardown again; nothing was terminated.');

  const credentials = await stagely(['validate-credentials', '--json']);
  expect(credentials.code).toBe(0);
  expect(JSON.parse(credentials.stdout)).toMatchObject({ region: 'us-east-1' });
});

it('shows an instance by id as EC2 reports it: running, stopped, terminated; exit 7 for an id EC2 does not know, 2 for a malformed one', async () => {
  const launched = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0c7a8e3f05e4e5f0c', InstanceType: 't4g.small', MinCount: 1, MaxCount: 1 }));
  const instanceId = launched.Instances?.[0]?.InstanceId ?? '';
  const isResult = compileContractSchema('get-instance-status.result.schema.json');
  const show = async (...flags: string[]): Promise<InstanceStatusResult> => {
    const outcome = await stagely(['instance', instanceId, ...flags]);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    const result = JSON.parse(outcome.stdout) as InstanceStatusResult;
    expect(isResult(result)).toBe(true);
    return result;
  };

  const running = await show();
  expect(running).toMatchObject({ instanceId, state: 'running', ec2State: 'running', instanceType: 't4g.small', publicIp: expect.any(String), privateIp: expect.any(String) });
  expect(Date.parse(running.launchedAt ?? '')).not.toBeNaN();

  await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
  const stopped = await show('--json', '--region', 'us-east-1');
  expect(stopped.state).toBe('stopped');
  expect(['stopping', 'stopped']).toContain(stopped.ec2State);

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  const terminated = await show('--json');
  expect(terminated.state).toBe('terminated');
  expect(['shutting-down', 'terminated']).toContain(terminated.ec2State);

  const unknown = await stagely(['instance', 'i-0123456789abcdef0']);
  expect(unknown.code).toBe(7);
  expect(unknown.stdout).toBe('');
  expect(unknown.stderr).toMatch(/^InstanceNotFound: EC2 in us-east-1 does not know instance i-0123456789abcdef0/);
  const unknownJson = await stagely(['instance', 'i-0123456789abcdef0', '--region', 'eu-west-1', '--json']);
  expect(unknownJson.code).toBe(7);
  expect(JSON.parse(unknownJson.stdout)).toMatchObject({ error: { type: 'InstanceNotFound', message: expect.stringContaining('EC2 in eu-west-1') } });

  const malformed = await stagely(['instance', 'i-nope', '--json']);
  expect(malformed.code).toBe(2);
  expect(JSON.parse(malformed.stdout)).toMatchObject({ error: { type: 'InvalidSpec', problems: [{ field: 'instanceId' }] } });
  expect((await stagely(['instance', instanceId, '--region', 'mars-1'])).stderr).toContain('Invalid instance status request (1 problem): region: ');
});

it.each(['provision', 'status', 'cancel', 'terminate', 'instance', 'validate-credentials'])('has help text for %s', async (command) => {
  const help = await stagely([command, '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain(`Usage: stagely ${command}`);
  expect(help.stdout).toContain('--json');
});

it('lists the subcommands and exits 2 when given none', async () => {
  const outcome = await stagely([]);
  expect(outcome.code).toBe(2);
  for (const command of ['provision', 'status', 'cancel', 'terminate', 'instance', 'validate-credentials']) expect(outcome.stderr).toContain(command);
});

it('answers `temporal workflow execute` with the contract JSON', async () => {
  const marker = uniqueName('cli');
  const input = JSON.stringify({ size: 'medium', architecture: 'amd64', tags: { e2e: marker }, pollInterval: '1s' });
  const { stdout } = await run(
    toolPath('temporal'),
    [
      'workflow', 'execute', '--type', 'provisionInstance', '--task-queue', taskQueue, '--input', input,
      '--workflow-id', marker, '--address', requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), '--output', 'json',
    ],
    { env },
  );
  const printed = JSON.parse(stdout) as { result?: ProvisionResult };
  expect(printed.result).toMatchObject({ instanceType: 'c5.xlarge', imageId: 'ami-0c7217cdde317cfec', size: 'medium', architecture: 'amd64' });
  const instances = await instancesTagged(ec2, 'e2e', marker);
  expect(instances.map((i) => i.InstanceId)).toEqual([printed.result?.instanceId]);
});

it('stops cleanly on SIGTERM', async () => {
  await worker.stop('SIGTERM', 30_000);
  await expect(worker.exited).resolves.toBe(0);
});
