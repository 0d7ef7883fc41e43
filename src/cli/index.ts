#!/usr/bin/env node
/**
 * stagely: the operator's command line.
 *
 *   npm run stagely -- provision --size small --arch arm64 [--spot] [--json] [--detach] ...
 *   npm run stagely -- status <workflow-id>
 *   npm run stagely -- cancel <workflow-id>
 *   npm run stagely -- terminate <instance-id> [--region R]
 *   npm run stagely -- instance <instance-id> [--region R]
 *   npm run stagely -- validate-credentials [--region R]
 *   npm run stagely -- lease start|status|extend|destroy ... (lease.ts)
 *
 * Connection settings come from Temporal's environment configuration (TEMPORAL_ADDRESS, ...).
 * Exit codes: see ExitCode in output.ts (0 ok, 1 failed, 2 usage, 3 error, 4 not found, 5 cancelled,
 * 6 the workflow ID's run has a different request, 7 EC2 does not know the instance).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  cancelProvision,
  connectClient,
  getInstanceStatus,
  getProvisionHandle,
  getProvisionStatus,
  startProvision,
  terminateInstance,
  validateCredentials,
} from '../client';
import type { ProvisionRequest } from '../common/contract';
import { FailureType } from '../common/failures';
import { describeProblems } from '../common/field-checks';
import { PROVISION_REQUEST, validateProvisionRequest } from '../common/validate-provision-request';
import { INSTANCE_STATUS_REQUEST, validateInstanceStatusRequest } from '../common/validate-instance-status-request';
import { TEARDOWN_REQUEST, validateTeardownRequest } from '../common/validate-teardown-request';
import { leaseCommand } from './lease';
import { ExitCode, printProblem, printResult, reportError, type OutputOptions } from './output';
import { PhaseLine } from './progress';

interface ProvisionOptions extends OutputOptions {
  size: string;
  arch: string;
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

function parseTag(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected KEY=VALUE');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

/** Flags to request fields; the workflow's own validation (run here first) judges the values. */
function buildRequest(options: ProvisionOptions): ProvisionRequest {
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

/** Runs a command body with a connected client, mapping whatever it throws to an exit code. */
async function withClient(options: OutputOptions, workflowId: string | undefined, body: (client: Client) => Promise<ExitCode>): Promise<ExitCode> {
  let client: Client | undefined;
  try {
    client = await connectClient();
    return await body(client);
  } catch (error) {
    return reportError(error, options, workflowId === undefined ? {} : { workflowId });
  } finally {
    await client?.connection.close();
  }
}

async function provision(options: ProvisionOptions): Promise<ExitCode> {
  let request: ProvisionRequest;
  try {
    request = buildRequest(options);
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
    const handle = await startProvision(client, request, {
      workflowId,
      ...(options.environment !== undefined && { environment: options.environment }),
    });
    if (options.detach) {
      if (options.json) printResult({ workflowId });
      else process.stdout.write(`${workflowId}\n`);
      return ExitCode.ok;
    }
    if (!options.json) process.stderr.write(`Started ${workflowId}\n`);
    const line = options.json ? undefined : new PhaseLine();
    let done = false;
    const watching = (async () => {
      while (!done) {
        await getProvisionStatus(client, workflowId).then((s) => line?.update(s), () => undefined);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    try {
      printResult(await handle.result());
      return ExitCode.ok;
    } finally {
      done = true;
      await watching;
      line?.stop();
    }
  });
}

async function status(workflowId: string, options: OutputOptions): Promise<ExitCode> {
  return withClient(options, workflowId, async (client) => {
    const description = await getProvisionHandle(client, workflowId).describe();
    const progress = await getProvisionStatus(client, workflowId).catch(() => undefined);
    printResult({
      workflowId,
      runId: description.runId,
      type: description.type,
      execution: description.status.name,
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString() ?? null,
      ...(progress ?? {}),
    });
    return ExitCode.ok;
  });
}

async function cancel(workflowId: string, options: OutputOptions & { wait: boolean }): Promise<ExitCode> {
  return withClient(options, workflowId, async (client) => {
    await cancelProvision(client, workflowId);
    if (!options.wait) {
      printResult({ workflowId, cancelRequested: true });
      return ExitCode.ok;
    }
    // The run terminates what it launched, then ends as cancelled: that is success for this command.
    const outcome = await getProvisionHandle(client, workflowId).result().then(
      (result) => ({ completed: result }),
      (error: unknown) => ({ error }),
    );
    if ('completed' in outcome) {
      printProblem({ workflowId, type: 'AlreadyFinished', message: 'the provision finished before the cancellation reached it' }, options);
      return ExitCode.failed;
    }
    if (!(outcome.error instanceof WorkflowFailedError && outcome.error.cause instanceof CancelledFailure)) {
      return reportError(outcome.error, options, { workflowId });
    }
    printResult({ workflowId, cancelled: true, status: await getProvisionStatus(client, workflowId).catch(() => null) });
    return ExitCode.ok;
  });
}

async function terminate(instanceId: string, options: OutputOptions & { region?: string }): Promise<ExitCode> {
  const request = { instanceId, ...(options.region !== undefined && { region: options.region }) };
  const checked = validateTeardownRequest(request);
  if (!checked.ok) {
    printProblem({ type: FailureType.InvalidSpec, message: describeProblems(TEARDOWN_REQUEST, checked.problems) }, options);
    return ExitCode.usage;
  }
  return withClient(options, undefined, async (client) => {
    printResult(await terminateInstance(client, request));
    return ExitCode.ok;
  });
}

async function instance(instanceId: string, options: OutputOptions & { region?: string }): Promise<ExitCode> {
  const request = { instanceId, ...(options.region !== undefined && { region: options.region }) };
  const checked = validateInstanceStatusRequest(request);
  if (!checked.ok) {
    printProblem({ type: FailureType.InvalidSpec, message: describeProblems(INSTANCE_STATUS_REQUEST, checked.problems), problems: checked.problems }, options);
    return ExitCode.usage;
  }
  return withClient(options, undefined, async (client) => {
    printResult(await getInstanceStatus(client, request));
    return ExitCode.ok;
  });
}

async function checkCredentials(options: OutputOptions & { region?: string }): Promise<ExitCode> {
  return withClient(options, undefined, async (client) => {
    printResult(await validateCredentials(client, options.region === undefined ? {} : { region: options.region }));
    return ExitCode.ok;
  });
}

/** The flags that describe the VM, shared by `provision` and `lease start`. */
function addInstanceOptions(command: Command): Command {
  return command
    .requiredOption('--size <size>', 'small | medium | large')
    .requiredOption('--arch <architecture>', 'amd64 | arm64')
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

export function buildProgram(run: (code: Promise<ExitCode>) => void): Command {
  const program = new Command('stagely')
    .description('Provision and tear down Stagely preview VMs through Temporal.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const json = new Option('--json', 'print machine-readable JSON only (results and errors on stdout)');
  const verbose = new Option('--verbose', 'print stack traces of unexpected errors');

  addInstanceOptions(
    program.command('provision').description('Provision one EC2 instance and print the result as JSON; shows the phase while it waits.'),
  )
    .option('--id <workflowId>', 'workflow ID (the business key); reusing one attaches to that run if the request is the same (else exit 6)')
    .option('--environment <name>', 'preview environment it is for, shown in the Web UI (default: the workflow ID)')
    .option('--detach', 'print the workflow ID and return without waiting')
    .addOption(json)
    .addOption(verbose)
    .action((options: ProvisionOptions) => run(provision(options)));

  program.addCommand(leaseCommand(run, { addInstanceOptions, buildRequest, withClient }));

  program
    .command('status')
    .description('Show a provision: its execution status, phase, instance, polls and deadline.')
    .argument('<workflow-id>', 'the provision workflow ID')
    .addOption(json)
    .addOption(verbose)
    .action((id: string, options: OutputOptions) => run(status(id, options)));

  program
    .command('cancel')
    .description('Cancel a provision; it terminates what it launched. Waits for that unless --no-wait.')
    .argument('<workflow-id>', 'the provision workflow ID')
    .option('--no-wait', 'return once the cancellation is requested')
    .addOption(json)
    .addOption(verbose)
    .action((id: string, options: OutputOptions & { wait: boolean }) => run(cancel(id, options)));

  program
    .command('terminate')
    .description('Terminate an instance (teardown workflow); retries until EC2 confirms. Safe to repeat.')
    .argument('<instance-id>', 'the EC2 instance ID, e.g. i-0123456789abcdef0')
    .option('--region <region>', 'AWS region (default us-east-1)')
    .addOption(json)
    .addOption(verbose)
    .action((id: string, options: OutputOptions & { region?: string }) => run(terminate(id, options)));

  program
    .command('instance')
    .description('Show an instance as EC2 reports it now: state (pending | running | stopped | terminated), EC2\'s own state, IPs, type. Exit 7 if EC2 does not know it.')
    .argument('<instance-id>', 'the EC2 instance ID, e.g. i-0123456789abcdef0')
    .option('--region <region>', 'AWS region (default us-east-1)')
    .addOption(json)
    .addOption(verbose)
    .action((id: string, options: OutputOptions & { region?: string }) => run(instance(id, options)));

  program
    .command('validate-credentials')
    .description("Check the worker's AWS credentials with DescribeRegions; exit 1 with InvalidCredentials if AWS refuses them.")
    .option('--region <region>', "region to check (default: the worker's)")
    .addOption(json)
    .addOption(verbose)
    .action((options: OutputOptions & { region?: string }) => run(checkCredentials(options)));

  return program;
}

export async function main(argv: string[]): Promise<ExitCode> {
  let pending: Promise<ExitCode> | undefined;
  const program = buildProgram((code) => {
    pending = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; anything else is a usage error (commander printed it).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    throw error;
  }
  if (pending === undefined) {
    program.outputHelp({ error: true });
    return ExitCode.usage;
  }
  return pending;
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
