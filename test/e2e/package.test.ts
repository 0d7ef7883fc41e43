/**
 * The project as others get it, from the packed tarball alone (`npm pack`, whose "prepare" builds lib/):
 * - the image: what the Dockerfile's final stage holds (the tarball's files, the lock file, `npm ci
 *   --omit=dev`) starts the worker as the container does, answers its HEALTHCHECK and readiness, so a
 *   runtime dependency or a file missing from the package fails here;
 * - the client package: a fresh TypeScript project installs the tarball, type-checks a program that
 *   imports the client, the contract and the worker kit, and runs it: it provisions through the worker.
 * Both live in a temporary folder outside the project, so nothing resolves from the project's
 * node_modules. Cost: two installs from the npm cache or registry (about 30 s each) and one build.
 */
import { execFile as execFileCallback, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, productionWorkerCommand, stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import { expectClientOnly, modulesLoadedBy } from '../support/client-modules';
import { motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const execFile = promisify(execFileCallback);
const NPM_QUIET = ['--no-audit', '--no-fund', '--prefer-offline'];

const work = mkdtempSync(join(tmpdir(), 'stagely-package-'));
const image = join(work, 'image');
const consumer = join(work, 'consumer');
const taskQueue = uniqueName('package');
let worker: ManagedProcess;
let env: NodeJS.ProcessEnv;
let health: string;

/** A TypeScript program as a team would write it against the package. */
const PROGRAM = `
import { readFileSync } from 'node:fs';
import { connectClient, FailureType, provision, validateProvisionRequest, type ProvisionRequest, type ProvisionResult } from 'stagely-provisioner';
import { WorkflowType, type ProvisionStatus } from 'stagely-provisioner/contract';

async function main(): Promise<void> {
  const request: ProvisionRequest = { size: 'small', architecture: 'amd64', pollInterval: '1s' };
  // @ts-expect-error: the contract's types reach this program, so an unknown size does not compile
  const typo: ProvisionRequest = { size: 'huge', architecture: 'amd64' };
  const refused = validateProvisionRequest(typo);
  const schema = JSON.parse(readFileSync(require.resolve('stagely-provisioner/contract/provision-instance.request.schema.json'), 'utf8')) as { required?: string[] };
  const phase: ProvisionStatus['phase'] = 'launching';
  const client = await connectClient();
  try {
    const result: ProvisionResult = await provision(client, request, { workflowId: process.argv[2] ?? 'package-test' });
    console.log(JSON.stringify({ result, refused: refused.ok ? [] : refused.problems.map((p) => p.field), schemaRequired: schema.required, workflowType: WorkflowType.provisionInstance, invalidSpec: FailureType.InvalidSpec, phase }));
  } finally {
    await client.connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`;

/** Compiles only: a custom worker's imports resolve with their types. */
const WORKER_KIT = `
import { createActivities, workflowBundlePath, type ActivityDependencies } from 'stagely-provisioner/worker';

export const activities: (dependencies: ActivityDependencies) => ReturnType<typeof createActivities> = createActivities;
export const bundle: string = workflowBundlePath;
`;

function tarball(): string {
  const name = readdirSync(work).find((file) => file.endsWith('.tgz'));
  if (name === undefined) throw new Error(`npm pack wrote no tarball in ${work}`);
  return join(work, name);
}

async function installImage(packed: string): Promise<void> {
  mkdirSync(image);
  execFileSync('tar', ['-xzf', packed, '-C', image, '--strip-components=1']);
  copyFileSync(join(PROJECT_ROOT, 'package-lock.json'), join(image, 'package-lock.json'));
  await execFile('npm', ['ci', '--omit=dev', '--ignore-scripts', ...NPM_QUIET], { cwd: image });
}

async function installConsumer(packed: string): Promise<void> {
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { 'stagely-provisioner': `file:${packed}` } }));
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        skipLibCheck: true,
        outDir: 'out',
        // TypeScript and Node's types from the project's own node_modules: the package brings neither.
        typeRoots: [join(PROJECT_ROOT, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['provision.ts', 'worker-kit.ts'],
    }),
  );
  writeFileSync(join(consumer, 'provision.ts'), PROGRAM);
  writeFileSync(join(consumer, 'worker-kit.ts'), WORKER_KIT);
  await execFile('npm', ['install', '--omit=dev', '--ignore-scripts', ...NPM_QUIET], { cwd: consumer });
}

beforeAll(async () => {
  execFileSync('npm', ['pack', '--pack-destination', work, ...NPM_QUIET], { cwd: PROJECT_ROOT, stdio: 'ignore' });
  const packed = tarball();
  await Promise.all([installImage(packed), installConsumer(packed)]);

  health = `127.0.0.1:${await freePort()}`;
  env = { ...stackEnv(requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS'), motoEndpoint(), taskQueue), STAGELY_HEALTH_ADDRESS: health };
  delete env.STAGELY_WORKFLOW_BUNDLE; // the package's own bundle, found beside worker.js
  worker = await startWorker(env, { logDir: TEST_LOG_DIR, command: productionWorkerCommand(join(image, 'lib')) });
}, 300_000);

afterAll(async () => {
  await worker?.stop();
  rmSync(work, { recursive: true, force: true });
});

it('starts the worker from the image folder and passes the HEALTHCHECK and readiness', async () => {
  const healthcheck = execFileSync(process.execPath, ['lib/healthcheck.js'], { cwd: image, env, encoding: 'utf8' });
  expect(healthcheck).toContain('200');
  const ready = await fetch(`http://${health}/readyz`);
  expect(ready.status).toBe(200);
});

it('type-checks a TypeScript program against the installed package, which provisions through that worker', async () => {
  const tsc = spawnSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', consumer], { encoding: 'utf8' });
  expect(`${tsc.stdout}${tsc.stderr}`).toBe(''); // the compiler's diagnostics, if any
  expect(tsc.status).toBe(0);
  const { stdout } = await execFile(process.execPath, [join(consumer, 'out', 'provision.js'), uniqueName('package')], { cwd: consumer, env });
  expect(JSON.parse(stdout)).toEqual({
    result: expect.objectContaining({ instanceType: 't3.small', imageId: 'ami-0c7217cdde317cfec', region: 'us-east-1' }),
    refused: ['size'],
    schemaRequired: expect.arrayContaining(['size', 'architecture']),
    workflowType: 'provisionInstance',
    invalidSpec: 'InvalidSpec',
    phase: 'launching',
  });
});

it('loads none of the worker when the installed client is required', () => {
  expectClientOnly(modulesLoadedBy('stagely-provisioner', consumer, join(consumer, 'node_modules', 'stagely-provisioner', 'lib')));
});

it('ships the worker kit with its prebuilt workflow bundle', () => {
  const script = `const kit = require('stagely-provisioner/worker'); console.log(typeof kit.createActivities, require('node:fs').existsSync(kit.workflowBundlePath));`;
  expect(execFileSync(process.execPath, ['-e', script], { cwd: consumer, encoding: 'utf8' }).trim()).toBe('function true');
});
