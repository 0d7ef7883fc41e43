import { ensureMoto, ensureWorkflowBundle } from './shared-setup';

/** Workflow tests: the bundle, and moto for the ones that run the real activities. */
export default async function setup(): Promise<void> {
  await Promise.all([ensureWorkflowBundle(), ensureMoto()]);
}
