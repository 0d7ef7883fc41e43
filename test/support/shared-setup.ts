/**
 * Pieces the global setups share. Each writes what tests need into process.env, which the test
 * processes inherit; each starts a thing at most once per run even when several suites ask for it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle';
import { startDevServer, startMoto, toolPath } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import { onTeardown } from './stops';

export const TEST_LOG_DIR = join(PROJECT_ROOT, '.stagely', 'test-logs');

export async function ensureMoto(): Promise<void> {
  if (process.env.STAGELY_TEST_MOTO_ENDPOINT) return;
  const moto = await startMoto({ logDir: TEST_LOG_DIR });
  onTeardown(() => moto.process.stop());
  process.env.STAGELY_TEST_MOTO_ENDPOINT = moto.endpoint;
}

export async function ensureDevServer(): Promise<void> {
  if (process.env.STAGELY_TEST_TEMPORAL_ADDRESS) return;
  const server = await startDevServer({ headless: true, logDir: TEST_LOG_DIR });
  onTeardown(() => server.process.stop());
  process.env.STAGELY_TEST_TEMPORAL_ADDRESS = server.address;
}

/** A dev server with its Web UI, for the browser check. */
export async function ensureDevServerWithUi(): Promise<void> {
  if (process.env.STAGELY_TEST_UI_URL) return;
  const server = await startDevServer({ logDir: TEST_LOG_DIR });
  onTeardown(() => server.process.stop());
  process.env.STAGELY_TEST_UI_TEMPORAL_ADDRESS = server.address;
  process.env.STAGELY_TEST_UI_URL = server.uiUrl ?? '';
}

export async function ensureWorkflowBundle(): Promise<void> {
  const existing = process.env.STAGELY_TEST_WORKFLOW_BUNDLE;
  if (existing && existsSync(existing)) return;
  process.env.STAGELY_TEST_WORKFLOW_BUNDLE = await buildWorkflowBundle(join(PROJECT_ROOT, '.stagely', 'test', `workflow-bundle-${process.pid}.js`));
  process.env.STAGELY_TEST_SERVER_PATH = toolPath('temporal-test-server');
}
