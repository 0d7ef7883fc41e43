/**
 * What every subcommand shares: the --json and --verbose flags, the connected client with errors
 * mapped to exit codes, help texts with an example and the exit codes, and flag parsers.
 */
import type { Client } from '@temporalio/client';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { connectClient } from '../client';
import { type ExitCode, reportError, type OutputOptions } from './output';

/** Hands a command's outcome to main(), which waits for it and exits with its code. */
export type Run = (code: Promise<ExitCode>) => void;

const EXIT_CODES = `Exit codes: 0 ok, 1 the run failed, 2 bad usage or input, 3 Temporal unreachable or unexpected error,
4 no such workflow, 5 cancelled, 6 the workflow ID's run has another request, 7 EC2 does not know the instance,
130 interrupted (Ctrl-C) while waiting; the run goes on.`;

/** Adds --json and --verbose, and a help footer with an example and the exit codes. */
export function withOutputFlags(command: Command, example: string): Command {
  return command
    .addOption(new Option('--json', "print the contract's JSON only (errors as JSON on stderr)"))
    .addOption(new Option('--verbose', 'print stack traces of unexpected errors'))
    .addHelpText('after', `\nExample:\n  ${example}\n\n${EXIT_CODES}`);
}

/** Runs a command body with a connected client, mapping whatever it throws to an exit code. */
export async function withClient(options: OutputOptions, workflowId: string | undefined, body: (client: Client) => Promise<ExitCode>): Promise<ExitCode> {
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

export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export const collect = (value: string, previous: string[]): string[] => [...previous, value];
