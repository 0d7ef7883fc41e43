/**
 * stagely provision: start (or attach to) a provision and wait for its result; stagely result: wait
 * for (or read) the result of one already started. Both print and exit the same way.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { type Command, InvalidArgumentError } from 'commander';
import { getProvisionHandle, getProvisionStatus, startProvision } from '../../client';
import type { ProvisionRequest } from '../../common/contract';
import { FailureType } from '../../common/failures';
import { describeProblems } from '../../common/field-checks';
import { PROVISION_REQUEST, validateProvisionRequest } from '../../common/validate-provision-request';
import { collect, parseInteger, withClient, withOutputFlags, type Run } from '../command-kit';
import { describeProvisionResult } from '../human';
import { ExitCode, printProblem, printResult, type OutputOptions } from '../output';
import { PhaseLine } from '../progress';

export interface ProvisionOptions extends OutputOptions {
  inputFile?: string;
  size?: string;
  arch?: string;
  spot?: boolean;
  spotFallback?: string;
  region?: string;
  tag: Record<string, string>;
  userDataFile?: string;
  imageId?: string;
  id?: string;
  environment?: string;
  subnetId: string[];
  securityGroupId: string[];
  rootVolume?: number;
  ipWaitTimeout?: string;
  pollInterval?: string;
  detach?: boolean;
}

class UsageError extends Error {}

function parseTag(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected KEY=VALUE');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** Flags to request fields; the workflow's own validation (run here first) judges the values. */
export function requestFromFlags(options: ProvisionOptions): ProvisionRequest {
  const request = { size: options.size, architecture: options.arch } as unknown as ProvisionRequest;
  if (options.region !== undefined) request.region = options.region;
  if (options.spot) request.spotInstance = true;
  if (options.spotFallback !== undefined) request.spotFallback = options.spotFallback as ProvisionRequest['spotFallback'];
  if (Object.keys(options.tag).length > 0) request.tags = options.tag;
  if (options.userDataFile !== undefined) request.userData = readFileSync(options.userDataFile, 'utf8');
  if (options.imageId !== undefined) request.imageId = options.imageId;
  if (options.subnetId.length === 1) request.subnetId = options.subnetId[0];
  if (options.subnetId.length > 1) request.subnetIds = options.subnetId;
  if (options.securityGroupId.length > 0) request.securityGroupIds = options.securityGroupId;
  if (options.rootVolume !== undefined) request.rootVolumeGiB = options.rootVolume;
  if (options.ipWaitTimeout !== undefined) request.ipWaitTimeout = options.ipWaitTimeout;
  if (options.pollInterval !== undefined) request.pollInterval = options.pollInterval;
  return request;
}

/** The request as the contract's JSON, from a file or (`-`) stdin; the validation judges its fields. */
function requestFromFile(options: ProvisionOptions): ProvisionRequest {
  const fromFlags = requestFromFlags(options) as unknown as Record<string, unknown>;
  const given = Object.keys(fromFlags).filter((key) => fromFlags[key] !== undefined);
  if (given.length > 0) throw new UsageError(`--input-file holds the whole request; leave out the request flags (${given.join(', ')})`);
  const path = options.inputFile === '-' ? 0 : (options.inputFile ?? 0);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ProvisionRequest;
  } catch (error) {
    throw new UsageError(`--input-file ${options.inputFile ?? ''}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Waits for the run's result with the live phase line; prints it as `provision` does. Ctrl-C leaves
 * the run alone, says how to attach again, and exits 130.
 */
export async function awaitResult(client: Client, workflowId: string, options: OutputOptions): Promise<ExitCode> {
  const onInterrupt = (): void => {
    line?.stop();
    printProblem(
      { workflowId, type: 'Interrupted', message: `stopped waiting; ${workflowId} continues in Temporal. Attach again with: stagely result ${workflowId} (or stop it: stagely cancel ${workflowId})` },
      options,
    );
    process.exit(ExitCode.interrupted);
  };
  process.once('SIGINT', onInterrupt);
  const line = options.json ? undefined : new PhaseLine();
  let done = false;
  const watching = (async () => {
    while (!done) {
      await getProvisionStatus(client, workflowId).then((s) => line?.update(s), () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  let result;
  try {
    result = await getProvisionHandle(client, workflowId).result();
  } finally {
    done = true;
    process.removeListener('SIGINT', onInterrupt);
    await watching;
    line?.stop();
  }
  printResult(result, options, (r) => describeProvisionResult(r, workflowId));
  return ExitCode.ok;
}

async function provision(options: ProvisionOptions): Promise<ExitCode> {
  let request: ProvisionRequest;
  try {
    request = options.inputFile !== undefined ? requestFromFile(options) : requestFromFlags(options);
  } catch (error) {
    printProblem({ type: 'Usage', message: error instanceof Error ? error.message : String(error) }, options);
    return ExitCode.usage;
  }
  // Checked here too, so a bad request is refused before a workflow is even started.
  const checked = validateProvisionRequest(request);
  if (!checked.ok) {
    printProblem({ type: FailureType.InvalidSpec, message: describeProblems(PROVISION_REQUEST, checked.problems), problems: checked.problems }, options);
    return ExitCode.usage;
  }
  const workflowId = options.id ?? `provision-${randomUUID()}`;
  return withClient(options, workflowId, async (client) => {
    await startProvision(client, request, {
      workflowId,
      ...(options.environment !== undefined && { environment: options.environment }),
    });
    if (options.detach) {
      printResult({ workflowId }, options, () => workflowId);
      return ExitCode.ok;
    }
    if (!options.json) process.stderr.write(`Started ${workflowId}\n`);
    return awaitResult(client, workflowId, options);
  });
}

/** The flags that describe the VM, shared by `provision` and `lease start`. */
export function addInstanceOptions(command: Command): Command {
  return command
    .option('--size <size>', 'small | medium | large')
    .option('--arch <architecture>', 'amd64 | arm64')
    .option('--spot', 'launch on the spot market')
    .option('--spot-fallback <mode>', 'on-demand | none: what to do when spot has no capacity (default on-demand)')
    .option('--region <region>', 'AWS region (default us-east-1)')
    .option('--tag <key=value>', 'instance tag, repeatable', parseTag, {})
    .option('--user-data-file <file>', 'file with raw cloud-init user data')
    .option('--image-id <ami>', 'launch this image instead of Ubuntu 22.04')
    .option('--subnet-id <subnet>', 'subnet to launch into; repeat to give fallbacks, one per zone', collect, [])
    .option('--security-group-id <sg>', 'security group, repeatable', collect, [])
    .option('--root-volume <GiB>', 'root volume size (default 20/40/80 by size)', parseInteger)
    .option('--ip-wait-timeout <duration>', 'how long to wait for a public IP (default 5m)')
    .option('--poll-interval <duration>', 'how often to poll for the IP (default 5s)');
}

export function registerProvision(program: Command, run: Run): void {
  const command = addInstanceOptions(
    program
      .command('provision')
      .description('Provision one EC2 instance and print it; shows the phase while it waits.')
      .option('--input-file <file>', "the request as the contract's JSON (- for stdin), instead of the request flags"),
  )
    .option('--id <workflowId>', 'workflow ID (the business key); reusing one attaches to that run if the request is the same (else exit 6)')
    .option('--environment <name>', 'preview environment it is for, shown in the Web UI (default: the workflow ID)')
    .option('--detach', 'print the workflow ID and return without waiting (then: stagely result <id>)');
  withOutputFlags(command, 'stagely provision --size small --arch arm64 --id pr-42 --environment pr-42').action((options: ProvisionOptions) => run(provision(options)));

  const result = program
    .command('result')
    .description("Wait for a provision's result (or read it, once it has finished) and print it as provision does.")
    .argument('<workflow-id>', 'the provision workflow ID');
  withOutputFlags(result, 'stagely result pr-42 --json').action((workflowId: string, options: OutputOptions) =>
    run(withClient(options, workflowId, async (client) => {
      // describe() first, so an unknown ID is NotFound (exit 4) rather than a wait.
      await getProvisionHandle(client, workflowId).describe();
      return awaitResult(client, workflowId, options);
    })),
  );
}
