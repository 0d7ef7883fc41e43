import { ensureWorkflowBundle } from './shared-setup';

export default async function setup(): Promise<void> {
  await ensureWorkflowBundle();
}
