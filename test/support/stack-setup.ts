import { PAYLOAD_KEY_VARIABLES } from '../../src/codec';
import { ensureDevServer, ensureMoto, ensureWorkflowBundle } from './shared-setup';

export default async function setup(): Promise<void> {
  // The suites' clients read histories without a codec, and the workers they start inherit this
  // environment: a payload key in the developer's shell would make those runs unreadable. The
  // encryption suite sets its own key.
  for (const name of PAYLOAD_KEY_VARIABLES) delete process.env[name];
  await Promise.all([ensureMoto(), ensureDevServer(), ensureWorkflowBundle()]);
}
