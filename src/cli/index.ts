#!/usr/bin/env node
/**
 * stagely: the operator's command line. Each command group lives in commands/*.ts; this file wires
 * them, the global connection flags (connection-flags.ts) and the exit code.
 *
 *   stagely provision --size small --arch arm64 [--json] [--detach] ...   stagely result <workflow-id>
 *   stagely status <workflow-id> [--exit-status]   stagely cancel <workflow-id>   stagely list ...
 *   stagely terminate <instance-id>   stagely instance <instance-id>   stagely validate-credentials
 *   stagely reap [--dry-run]   stagely schedules apply|delete   stagely search-attributes register
 *   stagely codec-server   stagely lease start|status|extend|destroy ... (lease.ts)
 *
 * Connection settings come from Temporal's environment configuration (TEMPORAL_ADDRESS, ...); the
 * global flags override them. Exit codes: see ExitCode in output.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { Run } from './command-kit';
import { registerCodecServer } from './commands/codec-server';
import { registerInstances } from './commands/instances';
import { addInstanceOptions, registerProvision, requestFromFlags } from './commands/provision';
import { registerReaper } from './commands/reaper';
import { registerRuns } from './commands/runs';
import { registerSearchAttributesCommand } from './commands/search-attributes';
import { addConnectionFlags, applyConnectionFlags } from './connection-flags';
import { withClient } from './command-kit';
import { leaseCommand } from './lease';
import { ExitCode } from './output';

/**
 * The package's version: package.json sits two levels up from src/cli and from lib/cli alike. A build
 * elsewhere (without it) still runs every command, and says its version is unknown.
 */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function buildProgram(run: Run): Command {
  const program = new Command('stagely')
    .description('Provision and tear down Stagely preview VMs through Temporal.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  addConnectionFlags(program);
  // Before any command body runs, so everything that reads the environment sees the flags.
  program.hook('preAction', () => applyConnectionFlags(program.opts()));
  registerProvision(program, run);
  program.addCommand(leaseCommand(run, { addInstanceOptions, buildRequest: requestFromFlags, withClient }));
  registerRuns(program, run);
  registerInstances(program, run);
  registerReaper(program, run);
  registerSearchAttributesCommand(program, run);
  registerCodecServer(program, run);
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
