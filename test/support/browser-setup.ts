import { ensureDevServerWithUi, ensureMoto, ensureWorkflowBundle } from './shared-setup';

export default async function setup(): Promise<void> {
  await Promise.all([ensureMoto(), ensureDevServerWithUi(), ensureWorkflowBundle()]);
}
