/**
 * Replays recorded histories against today's workflow code. A change that would make in-flight runs
 * take a different path (non-determinism) fails here, before a deploy breaks running provisions.
 * Histories are recorded by `npm run record-histories`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { requireEnv } from '../support/env';
import { installQuietRuntime } from '../support/workflow-env';

installQuietRuntime();

const DIR = join(__dirname, 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

it('has recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(8);
});

it.each(files)('replays %s without non-determinism', async (file) => {
  const history: unknown = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
  // The workflow ID the recorder ran it under: a lease names its child provisions after its own.
  const workflowId = `history-${file.split('.')[0] ?? file}`;
  await Worker.runReplayHistory({ workflowBundle: { codePath: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE') } }, history, workflowId);
});
