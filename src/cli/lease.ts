/**
 * `stagely lease start|status|extend|destroy`: a VM held for a preview environment's life (docs/leases.md).
 *
 *   npm run stagely -- lease start --size small --arch arm64 --ttl 48h --id lease-pr-42 [--detach]
 *   npm run stagely -- lease status lease-pr-42
 *   npm run stagely -- lease extend lease-pr-42 --ttl 24h
 *   npm run stagely -- lease destroy lease-pr-42 [--reason "PR closed"]
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Command, Option } from 'commander';
import { destroyLease, extendLease, getLeaseStatus, startLease, waitLeaseReady } from '../client';
import type { ProvisionRequest } from '../common/contract';
import { FailureType } from '../common/failures';
import type { LeaseRequest } from '../common/lease-contract';
import { describeLeaseProblems, validateLeaseRequest } from '../common/lease-request';
import { ExitCode, printProblem, printResult, type OutputOptions } from './output';

/** What `lease` borrows from the provision command: the VM flags and the connection handling. */
export interface SharedCli<O> {
  addInstanceOptions: (command: Command) => Command;
  buildRequest: (options: O) => ProvisionRequest;
  withClient: (options: OutputOptions, workflowId: string | undefined, body: (client: Client) => Promise<ExitCode>) => Promise<ExitCode>;
}

interface LeaseStartOptions extends OutputOptions {
  ttl?: string;
  onInstanceLost?: string;
  watchInterval?: string;
  id?: string;
  environment?: string;
  detach?: boolean;
}

export function leaseCommand<O>(run: (code: Promise<ExitCode>) => void, shared: SharedCli<O>): Command {
  const lease = new Command('lease').description('Hold a VM for a preview environment until it is destroyed, expires or is lost.');
  const json = (): Option => new Option('--json', 'print machine-readable JSON: results on stdout, errors as JSON on stderr');
  const verbose = (): Option => new Option('--verbose', 'print stack traces of unexpected errors');

  shared
    .addInstanceOptions(lease.command('start').description('Start a lease and wait until its VM is ready; prints the workflow ID and the VM as JSON.'))
    .option('--ttl <duration>', 'how long the lease lasts, 1m to 720h (default 24h)')
    .option('--on-instance-lost <mode>', 'end | replace: what to do when the VM is stopped or terminated (default end)')
    .option('--watch-interval <duration>', 'how often to check the VM is still there, 10s to 1h (default 1m)')
    .option('--id <workflowId>', 'workflow ID (the business key); an open lease with this ID is attached to')
    .option('--environment <name>', 'preview environment it is for, shown in the Web UI (default: the workflow ID)')
    .option('--detach', 'print the workflow ID and return without waiting for the VM')
    .addOption(json())
    .addOption(verbose())
    .action((options: O & LeaseStartOptions) => run(start(options, shared)));

  lease
    .command('status')
    .description('Show a lease: phase, VM, expiry, replacements, how it ended.')
    .argument('<workflow-id>', 'the lease workflow ID')
    .addOption(json())
    .addOption(verbose())
    .action((id: string, options: OutputOptions) => run(shared.withClient(options, id, async (client) => report(await getLeaseStatus(client, id), options))));

  lease
    .command('extend')
    .description('The lease now expires --ttl from now (no later than 30 days after it started).')
    .argument('<workflow-id>', 'the lease workflow ID')
    .requiredOption('--ttl <duration>', 'the new remaining time, e.g. 24h')
    .addOption(json())
    .addOption(verbose())
    .action((id: string, options: OutputOptions & { ttl: string }) =>
      run(shared.withClient(options, id, (client) => updating(options, id, async () => report(await extendLease(client, id, options.ttl), options)))),
    );

  lease
    .command('destroy')
    .description('Terminate the lease\'s VM and end the lease; returns once EC2 confirms. Safe to repeat.')
    .argument('<workflow-id>', 'the lease workflow ID')
    .option('--reason <text>', 'why, kept in the lease result')
    .addOption(json())
    .addOption(verbose())
    .action((id: string, options: OutputOptions & { reason?: string }) =>
      run(shared.withClient(options, id, (client) => updating(options, id, async () => report(await destroyLease(client, id, options.reason), options)))),
    );

  return lease;
}

async function start<O>(options: O & LeaseStartOptions, shared: SharedCli<O>): Promise<ExitCode> {
  let request: LeaseRequest;
  try {
    request = { instance: shared.buildRequest(options) };
  } catch (error) {
    printProblem({ type: 'Usage', message: error instanceof Error ? error.message : String(error) }, options);
    return ExitCode.usage;
  }
  if (options.ttl !== undefined) request.ttl = options.ttl;
  if (options.onInstanceLost !== undefined) request.onInstanceLost = options.onInstanceLost as LeaseRequest['onInstanceLost'];
  if (options.watchInterval !== undefined) request.watchInterval = options.watchInterval;
  // Checked here too, so a bad request is refused before a workflow is even started.
  const checked = validateLeaseRequest(request);
  if (!checked.ok) {
    printProblem({ type: FailureType.InvalidSpec, message: describeLeaseProblems(checked.problems), problems: checked.problems }, options);
    return ExitCode.usage;
  }
  const workflowId = options.id ?? `lease-${randomUUID()}`;
  return shared.withClient(options, workflowId, async (client) => {
    await startLease(client, request, { workflowId, ...(options.environment !== undefined && { environment: options.environment }) });
    if (options.detach) return report({ workflowId }, options);
    if (!options.json) process.stderr.write(`Started ${workflowId}; waiting for its VM\n`);
    return updating(options, workflowId, async () => report({ workflowId, instance: await waitLeaseReady(client, workflowId) }, options));
  });
}

function report(value: unknown, options: OutputOptions): ExitCode {
  printResult(value, options);
  return ExitCode.ok;
}

/** An update's refusal or failure, printed with its failure type: a refused argument is a usage error. */
async function updating(options: OutputOptions, workflowId: string, body: () => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    const cause = error.cause instanceof ApplicationFailure ? error.cause : undefined;
    const type = cause?.type ?? 'Failed';
    printProblem({ workflowId, type, message: cause?.message ?? error.message }, options);
    return type === FailureType.InvalidSpec ? ExitCode.usage : ExitCode.failed;
  }
}
