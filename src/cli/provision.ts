/**
 * npm run provision -- --size small --arch arm64 [--spot] [--region R] [--tag k=v ...]
 *                      [--user-data-file F] [--id ID] [--subnet-id S] [--security-group-id SG ...]
 *                      [--ip-wait-timeout 5m] [--poll-interval 5s]
 *
 * Starts a provision (or attaches to the one with that --id), shows its phase on stderr while it
 * runs, and prints the result as JSON on stdout.
 * Exit codes: 0 provisioned; 1 the provision failed (type and message on stderr); 2 invalid input,
 * nothing started; 3 could not reach Temporal or another unexpected error.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { Command, InvalidArgumentError } from 'commander';
import { connectClient, findApplicationFailure, getProvisionStatus, startProvision, type ProvisionHandle } from '../client';
import type { ProvisionRequest, ProvisionStatus } from '../common/contract';
import { FailureType } from '../common/failures';
import { describeProblems, validateProvisionRequest } from '../common/validate-request';

export const ExitCode = { ok: 0, failed: 1, invalidInput: 2, error: 3 } as const;

interface Options {
  size: string;
  arch: string;
  spot?: boolean;
  region?: string;
  tag: Record<string, string>;
  userDataFile?: string;
  id?: string;
  subnetId?: string;
  securityGroupId: string[];
  ipWaitTimeout?: string;
  pollInterval?: string;
}

function parseTag(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected KEY=VALUE');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function buildRequest(options: Options): ProvisionRequest {
  // Values pass through as typed; validation (shared with the workflow) judges them.
  const request = { size: options.size, architecture: options.arch } as unknown as ProvisionRequest;
  if (options.region !== undefined) request.region = options.region;
  if (options.spot) request.spotInstance = true;
  if (Object.keys(options.tag).length > 0) request.tags = options.tag;
  if (options.userDataFile !== undefined) request.userData = readFileSync(options.userDataFile, 'utf8');
  if (options.subnetId !== undefined) request.subnetId = options.subnetId;
  if (options.securityGroupId.length > 0) request.securityGroupIds = options.securityGroupId;
  if (options.ipWaitTimeout !== undefined) request.ipWaitTimeout = options.ipWaitTimeout;
  if (options.pollInterval !== undefined) request.pollInterval = options.pollInterval;
  return request;
}

/** Prints a line each time the phase or poll count changes, until the run closes. */
async function watchPhase(handle: ProvisionHandle, started: number, stop: () => boolean): Promise<void> {
  let last = '';
  while (!stop()) {
    try {
      const status: ProvisionStatus = await getProvisionStatus(handle);
      const line = describeStatus(status, Date.now() - started);
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    } catch {
      // The run may have closed between polls; the result decides what to print.
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function describeStatus(status: ProvisionStatus, elapsedMs: number): string {
  const parts = [`[${Math.round(elapsedMs / 1000)}s] ${status.phase}`];
  if (status.instanceId) parts.push(status.instanceId);
  if (status.lastState) parts.push(`state=${status.lastState}`);
  if (status.phase === 'waiting-for-ip') parts.push(`polls=${status.polls}`);
  return parts.join(' ');
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('provision')
    .description('Provision one EC2 instance through the provisionInstance workflow and print the result as JSON.')
    .requiredOption('--size <size>', 'small | medium | large')
    .requiredOption('--arch <architecture>', 'amd64 | arm64')
    .option('--spot', 'launch on the spot market')
    .option('--region <region>', 'AWS region (default us-east-1)')
    .option('--tag <key=value>', 'instance tag, repeatable', parseTag, {})
    .option('--user-data-file <file>', 'file with raw cloud-init user data')
    .option('--id <workflowId>', 'workflow ID (the business key); reusing one attaches to that run')
    .option('--subnet-id <subnet>', 'launch into this subnet')
    .option('--security-group-id <sg>', 'security group, repeatable', collect, [])
    .option('--ip-wait-timeout <duration>', 'how long to wait for a public IP (default 5m)')
    .option('--poll-interval <duration>', 'how often to poll for the IP (default 5s)')
    .exitOverride();

  let options: Options;
  try {
    options = program.parse(argv, { from: 'user' }).opts<Options>();
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? ExitCode.ok : ExitCode.invalidInput;
  }

  let request: ProvisionRequest;
  try {
    request = buildRequest(options);
  } catch (error) {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.invalidInput;
  }
  // Checked here too so a bad request is refused before a workflow is even started.
  const checked = validateProvisionRequest(request);
  if (!checked.ok) {
    process.stderr.write(`${FailureType.InvalidSpec}: ${describeProblems(checked.problems)}\n`);
    return ExitCode.invalidInput;
  }

  const workflowId = options.id ?? `provision-${randomUUID()}`;
  let done = false;
  try {
    const client = await connectClient();
    const handle = await startProvision(client, request, { workflowId });
    process.stderr.write(`Started ${workflowId}\n`);
    const started = Date.now();
    const watcher = watchPhase(handle, started, () => done);
    try {
      const result = await handle.result();
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return ExitCode.ok;
    } finally {
      done = true;
      await watcher;
      await client.connection.close();
    }
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const failure = findApplicationFailure(error);
      if (failure) {
        process.stderr.write(`${failure.type ?? 'Failed'}: ${failure.message}\n`);
      } else if (error.cause instanceof CancelledFailure) {
        process.stderr.write(`Cancelled: the provision of ${workflowId} was cancelled\n`);
      } else {
        process.stderr.write(`Failed: ${error.cause?.message ?? error.message}\n`);
      }
      return ExitCode.failed;
    }
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(ExitCode.error);
    },
  );
}
