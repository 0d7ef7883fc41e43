/** stagely status, cancel and list: provisions as Temporal sees them. */
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { cancelProvision, getProvisionHandle, getProvisionStatus, WorkflowType } from '../../client';
import { INSTANCE_ID, INSTANCE_TYPE, STAGELY_ENVIRONMENT } from '../../common/visibility';
import { parseInteger, withClient, withOutputFlags, type Run } from '../command-kit';
import { ExitCode, printProblem, printResult, reportError, type OutputOptions } from '../output';

/** What `status --exit-status` exits with for each execution status; open and completed runs are 0. */
const EXIT_BY_EXECUTION: Record<string, ExitCode> = {
  FAILED: ExitCode.failed,
  TIMED_OUT: ExitCode.failed,
  TERMINATED: ExitCode.failed,
  CANCELLED: ExitCode.cancelled,
};

async function status(workflowId: string, options: OutputOptions & { exitStatus?: boolean }): Promise<ExitCode> {
  return withClient(options, workflowId, async (client) => {
    const description = await getProvisionHandle(client, workflowId).describe();
    const progress = await getProvisionStatus(client, workflowId).catch(() => undefined);
    printResult(
      {
        workflowId,
        runId: description.runId,
        type: description.type,
        execution: description.status.name,
        startTime: description.startTime.toISOString(),
        closeTime: description.closeTime?.toISOString() ?? null,
        ...(progress ?? {}),
      },
      options,
    );
    return options.exitStatus ? (EXIT_BY_EXECUTION[description.status.name] ?? ExitCode.ok) : ExitCode.ok;
  });
}

async function cancel(workflowId: string, options: OutputOptions & { wait: boolean }): Promise<ExitCode> {
  return withClient(options, workflowId, async (client) => {
    await cancelProvision(client, workflowId);
    if (!options.wait) {
      printResult({ workflowId, cancelRequested: true }, options, () => `Cancellation of ${workflowId} requested`);
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
    const last = await getProvisionStatus(client, workflowId).catch(() => null);
    printResult({ workflowId, cancelled: true, status: last }, options, () =>
      `Cancelled ${workflowId}${last?.instanceId ? `; its instance ${last.instanceId} was terminated` : '; it had launched nothing'}`,
    );
    return ExitCode.ok;
  });
}

/** --status values and the ExecutionStatus they query. */
const LIST_STATUSES: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
};

export interface ListedRun {
  workflowId: string;
  runId: string;
  status: string;
  environment: string | null;
  instanceId: string | null;
  instanceType: string | null;
  startTime: string;
  closeTime: string | null;
}

interface ListOptions extends OutputOptions {
  environment?: string;
  status?: string;
  limit: number;
}

/** A visibility query; values are quoted the way Temporal's SQL-like syntax wants. */
export function listQuery(options: { environment?: string; status?: string }): string {
  const quote = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const clauses = [`WorkflowType = ${quote(WorkflowType.provisionInstance)}`];
  if (options.environment !== undefined) clauses.push(`${STAGELY_ENVIRONMENT.name} = ${quote(options.environment)}`);
  if (options.status !== undefined) clauses.push(`ExecutionStatus = ${quote(LIST_STATUSES[options.status] ?? options.status)}`);
  return clauses.join(' AND ');
}

function table(runs: ListedRun[]): string {
  const rows = [['WORKFLOW ID', 'STATUS', 'ENVIRONMENT', 'INSTANCE', 'TYPE', 'STARTED'], ...runs.map((r) => [r.workflowId, r.status, r.environment ?? '-', r.instanceId ?? '-', r.instanceType ?? '-', r.startTime])];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

async function list(options: ListOptions): Promise<ExitCode> {
  return withClient(options, undefined, async (client) => {
    const runs: ListedRun[] = [];
    for await (const info of client.workflow.list({ query: listQuery(options), pageSize: Math.min(options.limit, 1000) })) {
      if (runs.length >= options.limit) break;
      runs.push({
        workflowId: info.workflowId,
        runId: info.runId,
        status: info.status.name,
        environment: info.typedSearchAttributes.get(STAGELY_ENVIRONMENT) ?? null,
        instanceId: info.typedSearchAttributes.get(INSTANCE_ID) ?? null,
        instanceType: info.typedSearchAttributes.get(INSTANCE_TYPE) ?? null,
        startTime: info.startTime.toISOString(),
        closeTime: info.closeTime?.toISOString() ?? null,
      });
    }
    printResult(runs, options, (r) => (r.length === 0 ? 'No provisions match.' : table(r)));
    return ExitCode.ok;
  });
}

function parseLimit(value: string): number {
  const n = parseInteger(value);
  if (n < 1) throw new InvalidArgumentError('expected 1 or more');
  return n;
}

export function registerRuns(program: Command, run: Run): void {
  const statusCommand = program
    .command('status')
    .description('Show a provision: its execution status, phase, instance, polls and deadline.')
    .argument('<workflow-id>', 'the provision workflow ID')
    .option('--exit-status', 'exit 1 if the run failed, timed out or was terminated, 5 if it was cancelled');
  withOutputFlags(statusCommand, 'stagely status pr-42 --exit-status').action((id: string, options: OutputOptions & { exitStatus?: boolean }) => run(status(id, options)));

  const cancelCommand = program
    .command('cancel')
    .description('Cancel a provision; it terminates what it launched. Waits for that unless --no-wait.')
    .argument('<workflow-id>', 'the provision workflow ID')
    .option('--no-wait', 'return once the cancellation is requested');
  withOutputFlags(cancelCommand, 'stagely cancel pr-42').action((id: string, options: OutputOptions & { wait: boolean }) => run(cancel(id, options)));

  const listCommand = program
    .command('list')
    .description('List provisions, newest first, by their search attributes: a table, or --json for scripts.')
    .option('--environment <name>', 'only runs for this preview environment (StagelyEnvironment)')
    .addOption(new Option('--status <status>', 'only runs with this execution status').choices(Object.keys(LIST_STATUSES)))
    .option('--limit <n>', 'at most this many runs', parseLimit, 20);
  withOutputFlags(listCommand, 'stagely list --environment pr-42 --status failed --limit 5').action((options: ListOptions) => run(list(options)));
}
