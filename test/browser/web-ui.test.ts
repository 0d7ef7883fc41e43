/**
 * What an operator sees: the dev server's Web UI, in Debian's Chromium driven by playwright-core,
 * finds a finished provision by its StagelyEnvironment search attribute and shows its summary.
 */
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import { startProvision } from '../../src/client';
import type { ProvisionResult } from '../../src/common/contract';
import { motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const taskQueue = uniqueName('web-ui');
const environment = uniqueName('pr-42');
const workflowId = uniqueName('ui');
let worker: ManagedProcess;
let browser: Browser;
let result: ProvisionResult;

beforeAll(async () => {
  const address = requireEnv('STAGELY_TEST_UI_TEMPORAL_ADDRESS');
  worker = await startWorker(
    { ...stackEnv(address, motoEndpoint(), taskQueue), STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE') },
    { logDir: TEST_LOG_DIR },
  );
  const client = new Client({ connection: await Connection.connect({ address }) });
  try {
    const handle = await startProvision(client, { size: 'small', architecture: 'arm64', spotInstance: true, pollInterval: '1s' }, { workflowId, taskQueue, environment });
    result = await handle.result();
  } finally {
    await client.connection.close();
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No sandbox as root; no background traffic: this machine reaches only loopback. playwright
    // gives the browser a fresh, temporary profile.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

/** The UI renders the (markdown) summary inside a sandboxed frame: look in every frame of the page. */
async function waitForTextInAnyFrame(page: Page, text: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if ((await frame.getByText(text).count().catch(() => 0)) > 0) return;
    }
    if (Date.now() > until) throw new Error(`"${text}" did not appear in any frame within ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

it('finds the run by its search attribute and shows its summary', async () => {
  const page = await browser.newPage();
  const query = encodeURIComponent(`StagelyEnvironment="${environment}"`);
  await page.goto(`${requireEnv('STAGELY_TEST_UI_URL')}/namespaces/default/workflows?query=${query}`);

  // The filtered list shows exactly this run.
  const link = page.getByRole('link', { name: workflowId });
  await link.first().waitFor({ timeout: 60_000 });
  expect(await page.getByRole('link', { name: /^ui-/ }).count()).toBe(1);

  await link.first().click();
  // The run's timeline names each activity by its summary. (Polls are local activities: the history
  // records them as markers, which the client test checks.)
  await page.getByText('Launch t4g.small spot (attempt 1)').first().waitFor({ timeout: 60_000 });
  // And its result, the instance it provisioned.
  await waitForTextInAnyFrame(page, result.instanceId);
  // Its static summary is under User Metadata.
  await page.getByText('User Metadata', { exact: true }).first().click();
  await waitForTextInAnyFrame(page, `small/arm64 spot in us-east-1 for ${environment}`);
  await page.screenshot({ path: join(TEST_LOG_DIR, 'web-ui-run.png'), fullPage: true });
});
