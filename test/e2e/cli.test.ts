/**
 * The whole path on real parts: the Temporal dev server, moto over HTTP, the worker as a child process,
 * and the stagely command line (and the `temporal` CLI) run as child processes, the way scripts and
 * operators run them: exit codes, --json output, help.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

const tsx = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const cli = join(PROJECT_ROOT, 'src', 'cli', 'index.ts');

/**
 * Runs `stagely ARGS` the way docs/contract.md shows it, and never throws on a non-zero exit.
 * `extraEnv` changes the environment (a key set to undefined is removed); `input` goes to stdin.
 */
async function stagely(args: string[], options: { extraEnv?: Record<string, string | undefined>; input?: string } = {}): Promise<CommandOutcome> {
  const childEnv: NodeJS.ProcessEnv = { ...env, ...options.extraEnv };
  for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key];
  const child = run(tsx, [cli, ...args], { env: childEnv, cwd: PROJECT_ROOT });
  child.child.stdin?.end(options.input ?? '');
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A subnet whose instances get no public IP, so a provision in it waits (or times out). */
async function privateSubnet(cidr: number): Promise<string> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${cidr}.0.0/16` }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: `10.${cidr}.1.0/24` }));
  return subnet.Subnet?.SubnetId ?? '';
}

it('provisions an instance end to end: a short block for people, the contract result with --json, and the same from `result`', async () => {
  const marker = uniqueName('ok');
  const workflowId = uniqueName('pr-ok');
  const outcome = await stagely(['provision', '--size', 'small', '--arch', 'arm64', '--tag', `e2e=${marker}`, '--poll-interval', '1s', '--id', workflowId, '--web-ui', 'http://ui.example:8233/']);

  expect(outcome.code).toBe(0);
  expect(outcome.stderr).toContain(`Started ${workflowId}`);
  expect(outcome.stderr).toMatch(/^\[\d+s\] (validating|resolving-image|launching|waiting-for-ip|succeeded)/m);
  const json = await stagely(['result', workflowId, '--json']);
  expect(json).toMatchObject({ code: 0, stderr: '' });
  const result = JSON.parse(json.stdout) as ProvisionResult;
  expect(outcome.stdout).toBe(
    [
      `Instance    ${result.instanceId}`,
      `Public IP   ${result.publicIp}`,
      `Private IP  ${result.privateIp}`,
      'Type        t4g.small, small/arm64',
      'Region      us-east-1',
      `Workflow    ${workflowId}`,
      `Web UI      http://ui.example:8233/namespaces/default/workflows/${workflowId}`,
      '',
    ].join('\n'),
  );
  // Without a Web UI address there is no link; `result` prints what `provision` printed.
  const human = await stagely(['result', workflowId]);
  expect(human).toMatchObject({ code: 0, stdout: outcome.stdout.replace(/^Web UI.*\n/m, '') });
  expect(await stagely(['result', 'no-such-provision'])).toMatchObject({ code: 4, stdout: '', stderr: 'NotFound: no workflow no-such-provision in this namespace\n' });
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
  const marker = uniqueName('no-ip');
  const outcome = await stagely([
    'provision', '--size', 'small', '--arch', 'amd64', '--tag', `e2e=${marker}`, '--json',
    '--subnet-id', await privateSubnet(77), '--ip-wait-timeout', '10s', '--poll-interval', '1s',
  ]);

  expect(outcome.code).toBe(1);
  expect(outcome.stdout).toBe('');
  const printed = JSON.parse(outcome.stderr) as { error: { type: string; message: string; workflowId: string } };
  expect(printed.error.type).toBe('PublicIpTimeout');
  expect(printed.error.message).toContain('MapPublicIpOnLaunch');
  expect(printed.error.workflowId).toMatch(/^provision-/);

  // The failed run: `result` gives the same failure and exit code, `status --exit-status` exits 1.
  const again = await stagely(['result', printed.error.workflowId]);
  expect(again).toMatchObject({ code: 1, stdout: '' });
  expect(again.stderr).toMatch(/^PublicIpTimeout: Instance i-/m);
  expect(await stagely(['status', printed.error.workflowId])).toMatchObject({ code: 0 });
  const failed = await stagely(['status', printed.error.workflowId, '--exit-status']);
  expect(failed.code).toBe(1);
  expect(failed.stdout).toMatch(/^execution +FAILED$/m);
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
  expect(json).toMatchObject({ code: 2, stdout: '' });
  expect(JSON.parse(json.stderr)).toMatchObject({
    error: { type: 'InvalidSpec', problems: [{ field: 'architecture', message: expect.stringContaining('did you mean "amd64"?') }] },
  });
  expect(await instancesTagged(ec2, 'e2e', marker)).toEqual([]);
});

it('detaches, reports status, and cancels a provision (which terminates its instance)', async () => {
  const started = await stagely(['provision', '--size', 'small', '--arch', 'arm64', '--subnet-id', await privateSubnet(80), '--poll-interval', '1s', '--ip-wait-timeout', '1h', '--detach']);
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

  expect(await stagely(['status', workflowId, '--exit-status'])).toMatchObject({ code: 5 });
  const unknown = await stagely(['status', 'no-such-provision', '--json']);
  expect(unknown).toMatchObject({ code: 4, stdout: '' });
  expect(JSON.parse(unknown.stderr)).toMatchObject({ error: { type: 'NotFound' } });
});

it('exits 6 (ProvisionConflict) when the --id has an open or a succeeded run with another request, and attaches with the same one', async () => {
  const open = uniqueName('pr-open');
  const request = ['provision', '--size', 'small', '--arch', 'arm64', '--subnet-id', await privateSubnet(82), '--ip-wait-timeout', '1h', '--id', open];
  expect(await stagely([...request, '--detach'])).toMatchObject({ code: 0, stdout: `${open}\n` });

  const conflict = await stagely([...request, '--tag', 'team=web', '--root-volume', '30', '--detach']);
  expect(conflict.code).toBe(6);
  expect(conflict.stderr).toMatch(new RegExp(`^ProvisionConflict: workflow ${open} already has a RUNNING run \\(.+\\) started with a different request \\(differs in rootVolumeGiB, tags\\)`));
  const json = await stagely([...request, '--size', 'large', '--json']);
  expect(json).toMatchObject({ code: 6, stdout: '' });
  expect(JSON.parse(json.stderr)).toMatchObject({ error: { type: 'ProvisionConflict', workflowId: open, runStatus: 'RUNNING', fields: ['rootVolumeGiB', 'size'] } });
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
  expect(JSON.parse(again.stderr)).toMatchObject({ error: { type: 'ProvisionConflict', runStatus: 'COMPLETED', fields: ['spotInstance'] } });
  expect((await instancesTagged(ec2, 'e2e', marker)).map((i) => i.InstanceId)).toEqual([(JSON.parse(first.stdout) as ProvisionResult).instanceId]);
});

it('terminates an instance by id, and checks credentials', async () => {
  const launched = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0c7217cdde317cfec', InstanceType: 't3.small', MinCount: 1, MaxCount: 1 }));
  const instanceId = launched.Instances?.[0]?.InstanceId ?? '';

  const first = await stagely(['terminate', instanceId, '--json']);
  expect(first.code).toBe(0);
  expect(JSON.parse(first.stdout)).toEqual({ instanceId, alreadyGone: false });
  const again = await stagely(['terminate', instanceId, '--region', 'us-east-1']);
  expect(again).toMatchObject({ code: 0, stdout: `${instanceId} was already terminated\n` });
  const refused = await stagely(['terminate', 'not-an-instance']);
  expect(refused).toMatchObject({ code: 2, stdout: '' });
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
    const outcome = await stagely(['instance', instanceId, '--json', ...flags]);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    const result = JSON.parse(outcome.stdout) as InstanceStatusResult;
    expect(isResult(result)).toBe(true);
    return result;
  };

  const running = await show();
  expect(running).toMatchObject({ instanceId, state: 'running', ec2State: 'running', instanceType: 't4g.small', publicIp: expect.any(String), privateIp: expect.any(String) });
  expect(Date.parse(running.launchedAt ?? '')).not.toBeNaN();
  const human = await stagely(['instance', instanceId]);
  expect(human).toMatchObject({ code: 0, stderr: '' });
  expect(human.stdout).toMatch(new RegExp(`^instanceId +${instanceId}$`, 'm'));
  expect(human.stdout).toMatch(/^state +running$/m);

  await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
  const stopped = await show('--region', 'us-east-1');
  expect(stopped.state).toBe('stopped');
  expect(['stopping', 'stopped']).toContain(stopped.ec2State);

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  const terminated = await show();
  expect(terminated.state).toBe('terminated');
  expect(['shutting-down', 'terminated']).toContain(terminated.ec2State);

  const unknown = await stagely(['instance', 'i-0123456789abcdef0']);
  expect(unknown.code).toBe(7);
  expect(unknown.stdout).toBe('');
  expect(unknown.stderr).toMatch(/^InstanceNotFound: EC2 in us-east-1 does not know instance i-0123456789abcdef0/);
  const unknownJson = await stagely(['instance', 'i-0123456789abcdef0', '--region', 'eu-west-1', '--json']);
  expect(unknownJson).toMatchObject({ code: 7, stdout: '' });
  expect(JSON.parse(unknownJson.stderr)).toMatchObject({ error: { type: 'InstanceNotFound', message: expect.stringContaining('EC2 in eu-west-1') } });

  const malformed = await stagely(['instance', 'i-nope', '--json']);
  expect(malformed).toMatchObject({ code: 2, stdout: '' });
  expect(JSON.parse(malformed.stderr)).toMatchObject({ error: { type: 'InvalidSpec', problems: [{ field: 'instanceId' }] } });
  expect((await stagely(['instance', instanceId, '--region', 'mars-1'])).stderr).toContain('Invalid instance status request (1 problem): region: ');
});

const COMMANDS = ['provision', 'result', 'status', 'cancel', 'list', 'terminate', 'instance', 'validate-credentials', 'reap', 'schedules apply', 'schedules delete', 'search-attributes register'];

it.each(COMMANDS)('has help text for %s, with an example and the exit codes', async (command) => {
  const help = await stagely([...command.split(' '), '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain(`Usage: stagely ${command}`);
  expect(help.stdout).toContain('--json');
  expect(help.stdout).toContain(`Example:\n  stagely ${command}`);
  expect(help.stdout).toContain('Exit codes: 0 ok, 1 the run failed, 2 bad usage or input');
});

it('lists the subcommands and exits 2 when given none; prints its version', async () => {
  const outcome = await stagely([]);
  expect(outcome.code).toBe(2);
  for (const command of [...COMMANDS.map((c) => c.split(' ')[0] ?? ''), 'codec-server']) expect(outcome.stderr).toContain(command);
  const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  expect(await stagely(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
});

it('takes the request as the contract JSON from --input-file, or from stdin with -', async () => {
  const marker = uniqueName('input-file');
  const request = { size: 'small', architecture: 'amd64', tags: { e2e: marker }, pollInterval: '1s' };
  const file = join(TEST_LOG_DIR, `${marker}.json`);
  writeFileSync(file, JSON.stringify(request));
  const fromFile = await stagely(['provision', '--input-file', file, '--json']);
  expect(fromFile).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(fromFile.stdout)).toMatchObject({ size: 'small', architecture: 'amd64', instanceType: 't3.small' });
  const fromStdin = await stagely(['provision', '--input-file', '-', '--json'], { input: JSON.stringify({ ...request, size: 'medium' }) });
  expect(fromStdin.code).toBe(0);
  expect(JSON.parse(fromStdin.stdout)).toMatchObject({ size: 'medium', instanceType: 'c5.xlarge' });
  expect(await instancesTagged(ec2, 'e2e', marker)).toHaveLength(2);

  // The file is the whole request: flags beside it, bad JSON and bad fields are refused before anything starts.
  const mixed = await stagely(['provision', '--input-file', file, '--size', 'large']);
  expect(mixed).toMatchObject({ code: 2, stdout: '' });
  expect(mixed.stderr).toContain('Usage: --input-file holds the whole request; leave out the request flags (size)');
  expect(await stagely(['provision', '--input-file', '-', '--json'], { input: '{"size":' })).toMatchObject({ code: 2, stdout: '' });
  const invalid = await stagely(['provision', '--input-file', '-', '--json'], { input: JSON.stringify({ ...request, architecture: 'x86_64' }) });
  expect(invalid.code).toBe(2);
  expect(JSON.parse(invalid.stderr)).toMatchObject({ error: { type: 'InvalidSpec', problems: [{ field: 'architecture' }] } });
  expect(await instancesTagged(ec2, 'e2e', marker)).toHaveLength(2);
});

it('lists runs by environment and status: a table, or JSON with --json', async () => {
  const environment = uniqueName('env');
  const subnet = await privateSubnet(84);
  const ids = [uniqueName('list-a'), uniqueName('list-b')];
  for (const id of ids) {
    expect(await stagely(['provision', '--size', 'small', '--arch', 'arm64', '--subnet-id', subnet, '--ip-wait-timeout', '1h', '--id', id, '--environment', environment, '--detach'])).toMatchObject({ code: 0 });
  }
  expect(await stagely(['cancel', ids[0] ?? ''])).toMatchObject({ code: 0 });
  const listed = async (...flags: string[]): Promise<Array<{ workflowId: string; status: string; environment: string }>> => {
    const outcome = await stagely(['list', '--environment', environment, '--json', ...flags]);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(outcome.stdout) as Array<{ workflowId: string; status: string; environment: string }>;
  };
  // Visibility catches up with the runs a moment later.
  let all = await listed();
  for (let i = 0; i < 30 && !(all.length === 2 && all.some((r) => r.status === 'CANCELLED')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    all = await listed();
  }
  expect(all.map((r) => r.workflowId).sort()).toEqual([...ids].sort());
  expect(all.every((r) => r.environment === environment)).toBe(true);
  expect((await listed('--status', 'running')).map((r) => r.workflowId)).toEqual([ids[1]]);
  expect((await listed('--status', 'cancelled')).map((r) => r.workflowId)).toEqual([ids[0]]);
  expect(await listed('--limit', '1')).toHaveLength(1);

  const table = await stagely(['list', '--environment', environment]);
  expect(table.code).toBe(0);
  const lines = table.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^WORKFLOW ID +STATUS +ENVIRONMENT +INSTANCE +TYPE +STARTED$/);
  expect(lines).toHaveLength(3);
  expect(table.stdout).toMatch(new RegExp(`^${ids[1]} +RUNNING +${environment} `, 'm'));
  expect(await stagely(['list', '--status', 'sleeping'])).toMatchObject({ code: 2, stdout: '' });
  expect(await stagely(['cancel', ids[1] ?? ''])).toMatchObject({ code: 0 });
});

it('takes the connection flags over the environment', async () => {
  const nowhere = { TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_NAMESPACE: 'no-such-namespace', STAGELY_TASK_QUEUE: uniqueName('nobody-polls') };
  // The environment alone points nowhere: exit 3, an error on stderr.
  const unreachable = await stagely(['validate-credentials', '--json'], { extraEnv: nowhere });
  expect(unreachable).toMatchObject({ code: 3, stdout: '' });
  expect(JSON.parse(unreachable.stderr)).toMatchObject({ error: { type: 'Error' } });
  // The flags, before or after the subcommand, win over it (the task queue reaches the worker's).
  const flags = ['--address', requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), '--namespace', 'default'];
  const ok = await stagely([...flags, 'validate-credentials', '--json', '--task-queue', taskQueue], { extraEnv: nowhere });
  expect(ok).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(ok.stdout)).toMatchObject({ region: 'us-east-1' });
  // And a flag pointing nowhere wins over a good environment.
  expect(await stagely(['--address', '127.0.0.1:1', 'status', 'anything'])).toMatchObject({ code: 3, stdout: '' });
});

it('runs the reaper once, and applies and deletes its schedule', async () => {
  // A region nobody uses, so the dry run scans nothing of the other tests'.
  const report = await stagely(['reap', '--dry-run', '--regions', 'eu-north-1', '--json']);
  expect(report).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(report.stdout)).toMatchObject({ dryRun: true, regions: ['eu-north-1'], scanned: 0, reaped: [] });
  expect(await stagely(['reap', '--dry-run', '--regions', 'eu-north-1'])).toMatchObject({
    code: 0,
    stdout: 'Dry run: would reap 0 of 0 managed instances in eu-north-1\n',
  });
  expect(await stagely(['reap', '--grace', 'forever'])).toMatchObject({ code: 2, stdout: '' });

  const created = await stagely(['schedules', 'apply', '--every', '1h', '--dry-run', '--regions', 'eu-north-1', '--json']);
  expect(created).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(created.stdout)).toMatchObject({ scheduleId: 'stagely-reap-orphans', outcome: 'created', every: '1h', request: { dryRun: true }, taskQueue });
  const updated = await stagely(['schedules', 'apply', '--every', '1h', '--dry-run', '--regions', 'eu-north-1']);
  expect(updated).toMatchObject({ code: 0, stderr: '' });
  expect(updated.stdout).toMatch(/^Updated schedule stagely-reap-orphans\n/);
  expect(await stagely(['schedules', 'apply', '--every', '10s'])).toMatchObject({ code: 2, stdout: '' });
  expect(await stagely(['schedules', 'delete'])).toMatchObject({ code: 0, stdout: 'Deleted schedule stagely-reap-orphans\n' });
  expect(await stagely(['schedules', 'delete', '--json'])).toMatchObject({ code: 0, stdout: '{\n  "scheduleId": "stagely-reap-orphans",\n  "deleted": false\n}\n' });
});

it('registers the search attributes (the dev server has them), and refuses to serve codecs without a key', async () => {
  expect(await stagely(['search-attributes', 'register'])).toMatchObject({ code: 0, stdout: 'All search attributes already exist in default\n' });
  const codec = await stagely(['codec-server', '--port', '0'], { extraEnv: { STAGELY_PAYLOAD_KEY: undefined, STAGELY_PAYLOAD_KEY_FILE: undefined } });
  expect(codec).toMatchObject({ code: 2, stdout: '' });
  expect(codec.stderr).toContain('no payload key configured');
});

it('says the run continues and how to attach when interrupted while waiting, and exits 130', async () => {
  const workflowId = uniqueName('pr-ctrl-c');
  const child = spawn(tsx, [cli, 'provision', '--size', 'small', '--arch', 'arm64', '--subnet-id', await privateSubnet(86), '--ip-wait-timeout', '1h', '--poll-interval', '1s', '--id', workflowId], {
    env,
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const waiting = new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/waiting-for-ip/.test(stderr)) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waiting;
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stdout).toBe('');
  expect(stderr).toContain(`Interrupted: stopped waiting; ${workflowId} continues in Temporal. Attach again with: stagely result ${workflowId}`);
  // It does continue; cancelling it terminates what it launched.
  expect(await stagely(['status', workflowId, '--json']).then((o) => JSON.parse(o.stdout) as { execution: string })).toMatchObject({ execution: 'RUNNING' });
  expect(await stagely(['cancel', workflowId])).toMatchObject({ code: 0 });
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
