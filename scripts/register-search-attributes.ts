/**
 * npm run register-search-attributes: registers the project's search attributes with the namespace the
 * environment points at (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...). The dev server started by the
 * demo and the tests already has them.
 */
import { Connection } from '@temporalio/client';
import { temporalSettings } from '../src/config';
import { registerSearchAttributes } from '../src/worker/search-attributes';

async function main(): Promise<void> {
  const settings = temporalSettings();
  const connection = await Connection.connect(settings.connectionOptions);
  try {
    const added = await registerSearchAttributes(connection, settings.namespace);
    console.log(added.length > 0 ? `Registered ${added.join(', ')} in ${settings.namespace}` : `All search attributes already exist in ${settings.namespace}`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error('Could not register search attributes:', error instanceof Error ? error.message : error);
  process.exit(1);
});
