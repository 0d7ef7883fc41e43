import { PAYLOAD_KEY_VARIABLES } from '../../src/codec';
import { ensureDevServerWithUi, ensureMoto, ensureWorkflowBundle } from './shared-setup';

export default async function setup(): Promise<void> {
  // The Web UI test reads summaries without a codec server: keep a key in the shell away from its worker.
  for (const name of PAYLOAD_KEY_VARIABLES) delete process.env[name];
  await Promise.all([ensureMoto(), ensureDevServerWithUi(), ensureWorkflowBundle()]);
}
