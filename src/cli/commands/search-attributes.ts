/**
 * stagely search-attributes register: registers the search attributes runs set (StagelyEnvironment,
 * InstanceId, InstanceType) with the namespace the settings point at. The dev server started by the
 * demo and the tests already has them; Temporal Cloud namespaces add them in the Cloud UI or with tcld.
 */
import { Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { temporalSettings } from '../../config';
import { withOutputFlags, type Run } from '../command-kit';
import { ExitCode, printResult, reportError, type OutputOptions } from '../output';

async function register(options: OutputOptions): Promise<ExitCode> {
  const settings = temporalSettings();
  let connection: Connection | undefined;
  try {
    // Loaded here, not at the top, so no other command loads a module from src/worker (it needs only
    // the client's Connection and src/common, but lives beside the worker, which registers at start).
    const { registerSearchAttributes } = await import('../../worker/search-attributes');
    connection = await Connection.connect(settings.connectionOptions);
    const added = await registerSearchAttributes(connection, settings.namespace);
    printResult({ namespace: settings.namespace, added }, options, () =>
      added.length > 0 ? `Registered ${added.join(', ')} in ${settings.namespace}` : `All search attributes already exist in ${settings.namespace}`,
    );
    return ExitCode.ok;
  } catch (error) {
    return reportError(error, options);
  } finally {
    await connection?.close();
  }
}

export function registerSearchAttributesCommand(program: Command, run: Run): void {
  const group = program.command('search-attributes').description("Manage the namespace's search attributes for provisions.");
  const command = group.command('register').description('Register StagelyEnvironment, InstanceId and InstanceType (Keyword) with the namespace; safe to repeat.');
  withOutputFlags(command, 'stagely search-attributes register --namespace previews').action((options: OutputOptions) => run(register(options)));
}
