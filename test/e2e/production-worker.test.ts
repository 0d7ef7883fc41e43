/**
 * The production build: `npm run build` output (compiled JavaScript plus the prebuilt workflow bundle)
 * runs as `node worker.js`, logs JSON, serves /healthz, /readyz and Prometheus metrics, completes a provision,
 * and drains on SIGTERM. The same build's client (lib/client.js) and stagely command (lib/cli/index.js)
 * load no worker code.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { build } from '../../scripts/build';
import { freePort, productionWorkerCommand, stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import { startProvision } from '../../src/client';
import { expectClientOnly, modulesLoadedBy } from '../support/client-modules';
import { motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const outDir = join(PROJECT_ROOT, '.stagely', 'test', `build-${process.pid}`);
const taskQueue = uniqueName('production');
let worker: ManagedProcess;
let client: Client;
let health: string;
let metrics: string;

beforeAll(async () => {
  await build(outDir);
  health = `127.0.0.1:${await freePort()}`;
  metrics = `127.0.0.1:${await freePort()}`;
  const env: NodeJS.ProcessEnv = {
    ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), motoEndpoint(), taskQueue),
    STAGELY_HEALTH_ADDRESS: health,
    STAGELY_METRICS_ADDRESS: metrics,
    STAGELY_LOG_FORMAT: 'json',
  };
  delete env.STAGELY_WORKFLOW_BUNDLE; // the build's own bundle, found beside worker.js
  worker = await startWorker(env, { logDir: TEST_LOG_DIR, command: productionWorkerCommand(outDir) });
  client = new Client({ connection: await Connection.connect({ address: requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS') }) });
}, 180_000);

afterAll(async () => {
  await client?.connection.close();
  await worker?.stop();
});

it('loads the prebuilt bundle and completes a provision', async () => {
  const handle = await startProvision(client, { size: 'small', architecture: 'amd64', pollInterval: '1s' }, { workflowId: uniqueName('prod'), taskQueue });
  await expect(handle.result()).resolves.toMatchObject({ instanceType: 't3.small', imageId: 'ami-0c7217cdde317cfec' });
});

it('writes structured JSON logs', () => {
  const lines = readFileSync(worker.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{'));
  const ready = lines
    .map((l) => JSON.parse(l) as { level?: string; message?: string; time?: string; workflows?: string; startAdmission?: string })
    .find((l) => l.message?.startsWith('Worker ready'));
  expect(ready).toMatchObject({ level: 'INFO', workflows: `prebuilt bundle ${join(outDir, 'workflow-bundle.js')}` });
  expect(Date.parse(ready?.time ?? '')).not.toBeNaN();
  expect(ready?.message).toContain(`task queue ${taskQueue}`);
  expect(ready).toMatchObject({ startAdmission: 'on' });
});

it('answers the liveness check while running', async () => {
  const response = await fetch(`http://${health}/healthz`);
  expect(response.status).toBe(200);
  await expect(response.json()).resolves.toEqual({ status: 'ok', state: 'RUNNING' });
});

it('answers the readiness check with Temporal reached over its connection', async () => {
  const response = await fetch(`http://${health}/readyz`);
  await expect(response.json()).resolves.toEqual({ status: 'ok', state: 'RUNNING', temporal: 'connected' });
  expect(response.status).toBe(200);
});

it('exposes Prometheus metrics from the Temporal runtime', async () => {
  const response = await fetch(`http://${metrics}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text).toMatch(/^temporal_\w+/m);
  expect(text).toContain(`task_queue="${taskQueue}"`);
  // Start admission's rate, from the worker's own meter. It starts at 10 per second and moves with
  // how this machine kept up with the provision above, so only its floor is certain.
  const rate = /^stagely_start_admission_rate\S* (\d+(?:\.\d+)?)$/m.exec(text);
  expect(rate).not.toBeNull();
  expect(Number(rate?.[1])).toBeGreaterThanOrEqual(1);
});

it('builds a client that loads none of the worker: no @temporalio/worker, @temporalio/activity, AWS SDK, src/worker or src/activities', () => {
  expectClientOnly(modulesLoadedBy(join(outDir, 'client.js'), PROJECT_ROOT, outDir));
});

it('builds the stagely command with the operator subcommands, and it loads none of the worker either', () => {
  const cli = join(outDir, 'cli', 'index.js');
  for (const command of [['reap'], ['schedules', 'apply'], ['search-attributes', 'register'], ['codec-server'], ['list'], ['result']]) {
    expect(execFileSync(process.execPath, [cli, ...command, '--help'], { cwd: PROJECT_ROOT, encoding: 'utf8' })).toContain(`Usage: stagely ${command.join(' ')}`);
  }
  const script = `require(${JSON.stringify(cli)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8' })) as string[];
  const project = loaded.map((file) => relative(outDir, file)).filter((file) => !file.startsWith('..'));
  expect(project).toEqual(expect.arrayContaining(['cli/index.js', 'cli/commands/reaper.js', 'cli/commands/codec-server.js']));
  expect(loaded.filter((file) => /node_modules\/(@temporalio\/(worker|activity)|@aws-sdk|@smithy)\//.test(file))).toEqual([]);
  expect(project.filter((file) => /^(worker\.js|worker\/|activities\/|workflows\/)/.test(file))).toEqual([]);
});

it('drains and exits 0 on SIGTERM', async () => {
  await worker.stop('SIGTERM', 30_000);
  await expect(worker.exited).resolves.toBe(0);
});
