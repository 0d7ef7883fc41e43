/**
 * The Go package (go/) against the same stack: `go vet`, then `go test ./...` with the variables that
 * point its integration tests at the dev server, two real worker processes (one without a payload
 * key, one with STAGELY_PAYLOAD_KEY) and a moto subnet without public IPs. The Go tests also write
 * the codec vectors they encrypted, which the TypeScript codec must decrypt here.
 *
 * Go comes from the machine (scripts/setup.sh installs Debian's golang-go when it is missing); the
 * first run downloads the module's pinned dependencies from the Go module proxy.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { stackEnv, startWorker, type ManagedProcess } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import type { CodecVector } from '../../scripts/codec-vectors';
import { AesGcmCodec, PAYLOAD_KEY_VARIABLES, parsePayloadKey } from '../../src/codec';
import { payloadsFromJson } from '../../src/codec/payload-json';
import { motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const run = promisify(execFile);
const GO_DIR = join(PROJECT_ROOT, 'go');
/** Downloads on a machine without a Go module cache, then builds and runs the tests. */
const GO_TIMEOUT_MS = 10 * 60_000;
const INTEGRATION_TESTS = [
  'TestIntegrationProvisionWithUserDataAndTags',
  'TestIntegrationBadRequestFailsWithInvalidSpec',
  'TestIntegrationPrivateSubnetFailsWithPublicIpTimeout',
  'TestIntegrationSecondStartAttaches',
  'TestIntegrationStartWithAnotherRequestConflicts',
  'TestIntegrationGetInstanceStatus',
  'TestIntegrationEncryptingWorker',
];

const address = requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS');
const key = randomBytes(32).toString('base64');
const base: NodeJS.ProcessEnv = { ...stackEnv(address, motoEndpoint()), STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE') };
for (const name of PAYLOAD_KEY_VARIABLES) delete base[name];
const plainEnv = { ...base, STAGELY_TASK_QUEUE: uniqueName('e2e-go') };
const encryptedEnv = { ...base, STAGELY_TASK_QUEUE: uniqueName('e2e-go-encrypted'), STAGELY_PAYLOAD_KEY: key };

const ec2 = motoEc2Client();
const workers: ManagedProcess[] = [];
const outputDir = mkdtempSync(join(tmpdir(), 'stagely-go-test-'));
let privateSubnet: string;

/** Runs the machine's go in go/, with the Go module cache and toolchain settings of the caller. */
async function go(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('go', args, { cwd: GO_DIR, env: { ...env, GOFLAGS: '-mod=readonly' }, maxBuffer: 64 * 1024 * 1024, timeout: GO_TIMEOUT_MS });
  } catch (error) {
    const { stdout = '', stderr = '', message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`go ${args.join(' ')} failed: ${message}\n${stdout}\n${stderr}`, { cause: error });
  }
}

beforeAll(async () => {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.66.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '10.66.1.0/24' }));
  privateSubnet = subnet.Subnet?.SubnetId ?? '';
  const started = await Promise.allSettled([startWorker(plainEnv, { logDir: TEST_LOG_DIR }), startWorker(encryptedEnv, { logDir: TEST_LOG_DIR })]);
  for (const outcome of started) if (outcome.status === 'fulfilled') workers.push(outcome.value);
  for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
});

afterAll(async () => {
  ec2.destroy();
  await Promise.allSettled(workers.map((w) => w.stop()));
  rmSync(outputDir, { recursive: true, force: true });
});

it('is go vet clean', async () => {
  await go(['vet', './...']);
}, GO_TIMEOUT_MS);

it('passes go test, its integration tests included, against a plain and an encrypting worker', async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STAGELY_GO_TEST_TEMPORAL_ADDRESS: address,
    STAGELY_GO_TEST_TASK_QUEUE: plainEnv.STAGELY_TASK_QUEUE,
    STAGELY_GO_TEST_ENCRYPTED_TASK_QUEUE: encryptedEnv.STAGELY_TASK_QUEUE,
    STAGELY_GO_TEST_PAYLOAD_KEY: key,
    STAGELY_GO_TEST_PRIVATE_SUBNET: privateSubnet,
    STAGELY_GO_TEST_OUTPUT_DIR: outputDir,
  };
  const { stdout: output } = await go(['test', '-count=1', '-v', './...'], env);
  for (const name of INTEGRATION_TESTS) expect(output).toContain(`--- PASS: ${name} `);
  expect(output).not.toContain('--- SKIP');
}, GO_TIMEOUT_MS);

it('runs the example, the backend\'s path, against the encrypting worker and prints the result', async () => {
  const workflowId = uniqueName('go-example');
  const env: NodeJS.ProcessEnv = { ...encryptedEnv, TEMPORAL_ADDRESS: address };
  const { stdout } = await go(['run', './example', '-workflow-id', workflowId, '-environment', 'pr-example'], env);
  // The SDK logs to stdout too; the result is the JSON object printed last.
  const result = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{\n') + 1)) as { instanceId?: string; publicIp?: string };
  expect(result.instanceId).toMatch(/^i-/);
  expect(result.publicIp).toBeTruthy();
}, GO_TIMEOUT_MS);

it('writes payloads that the TypeScript codec decrypts (the Go codec run above encrypted them)', async () => {
  const { vectors } = JSON.parse(readFileSync(join(outputDir, 'go-encrypted-vectors.json'), 'utf8')) as { vectors: CodecVector[] };
  expect(vectors.map((v) => v.name)).toEqual(['empty', 'unicode', 'user-data-16k', 'old-key']);
  for (const vector of vectors) {
    const current = parsePayloadKey(vector.key, 'key');
    const codec = new AesGcmCodec({ current, all: [current] });
    const [encrypted, plaintext] = payloadsFromJson({ payloads: [vector.encrypted, vector.plaintext] });
    expect(Buffer.from(encrypted?.metadata?.['encryption-key-id'] ?? []).toString()).toBe(current.id);
    const [decrypted] = await codec.decode([encrypted ?? {}]);
    expect(decrypted?.metadata).toEqual(plaintext?.metadata);
    expect(Buffer.from(decrypted?.data ?? [])).toEqual(Buffer.from(plaintext?.data ?? []));
  }
});
