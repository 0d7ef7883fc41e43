/**
 * How the command line reports: exit codes scripts can rely on, results on stdout (a short block for
 * people, the contract's JSON with --json), and failures on stderr in both modes ("Type: what to do",
 * or `{"error": {...}}` with --json), never a stack trace unless --verbose. stdout holds only results.
 */
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { FailureType, findApplicationFailure, ProvisionConflictError } from '../client';

export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** The workflow ran and failed; the failure type says why (InvalidSpec, PublicIpTimeout, ...). */
  failed: 1,
  /** Bad usage or input; nothing was started. */
  usage: 2,
  /** Temporal could not be reached, or something unexpected broke. */
  error: 3,
  /** No workflow with that ID. */
  notFound: 4,
  /** The provision was cancelled (what it launched was terminated). */
  cancelled: 5,
  /** The workflow ID already has a run with a different request (ProvisionConflict); nothing was started. */
  conflict: 6,
  /** EC2 does not know the instance in that region (InstanceNotFound). */
  instanceNotFound: 7,
  /** Ctrl-C while waiting: the run goes on in Temporal (`stagely result <id>` attaches again). 128 + SIGINT, as shells do. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
}

/** Prints a result: JSON with --json, else what `human` makes of it (lines of "Label  value" by default). */
export function printResult<T>(value: T, options: OutputOptions, human: (value: T) => string = (v) => labelled(v as Record<string, unknown>)): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`);
}

/** "Label  value" lines, labels padded to one column; absent values are left out, objects shown as JSON. */
export function labelled(fields: Record<string, unknown>): string {
  const shown = Object.entries(fields).filter(([, value]) => value !== undefined && value !== null && value !== '');
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${label.padEnd(width)}  ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`).join('\n');
}

export interface Problem {
  type: string;
  message: string;
}

/** Prints a problem on stderr, for a person or (--json) a machine: `{"error": {...}}`. */
export function printProblem(problem: Problem & Record<string, unknown>, options: OutputOptions): void {
  if (options.json) process.stderr.write(`${JSON.stringify({ error: problem }, null, 2)}\n`);
  else process.stderr.write(`${problem.type}: ${problem.message}\n`);
}

/** Turns anything a command threw into a printed problem and its exit code. */
export function reportError(error: unknown, options: OutputOptions, context: { workflowId?: string } = {}): ExitCode {
  const base = context.workflowId !== undefined ? { workflowId: context.workflowId } : {};
  if (error instanceof WorkflowFailedError) {
    if (error.cause instanceof CancelledFailure) {
      printProblem({ ...base, type: 'Cancelled', message: 'the workflow was cancelled; anything it launched was terminated' }, options);
      return ExitCode.cancelled;
    }
    const failure = findApplicationFailure(error);
    const type = failure?.type ?? (error.cause instanceof TimeoutFailure ? 'Timeout' : error.cause instanceof TerminatedFailure ? 'Terminated' : 'Failed');
    printProblem({ ...base, type, message: failure?.message ?? error.cause?.message ?? error.message }, options);
    if (options.verbose) process.stderr.write(`${error.stack ?? ''}\n`);
    return type === FailureType.InstanceNotFound ? ExitCode.instanceNotFound : ExitCode.failed;
  }
  if (error instanceof ProvisionConflictError) {
    const { workflowId, runId, runStatus, fields } = error;
    printProblem({ workflowId, type: error.type, message: error.message, runId, runStatus, fields }, options);
    return ExitCode.conflict;
  }
  if (error instanceof WorkflowNotFoundError) {
    printProblem({ ...base, type: 'NotFound', message: `no workflow ${context.workflowId ?? ''} in this namespace`.trim() }, options);
    return ExitCode.notFound;
  }
  const message = error instanceof Error ? error.message : String(error);
  printProblem({ ...base, type: 'Error', message: `${message} (is Temporal reachable at TEMPORAL_ADDRESS?)` }, options);
  if (options.verbose && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
  return ExitCode.error;
}
