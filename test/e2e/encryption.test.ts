/**
 * Payload encryption on the whole path: a worker with STAGELY_PAYLOAD_KEY, the client library with the
 * same key, the dev server and moto. User data carrying a marker secret must never reach Temporal's
 * history in plain text, yet operators get it back through the codec server (directly and through
 * `temporal workflow show --codec-endpoint`). A worker without a key is the control: it warns at start,
 * and the same marker is then found in the history, so the checks here can tell the two apart.
 * Also: the key rotation docs/operations.md describes keeps the scheduled reaper running once the old key is gone.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { freePort, stackEnv, startProcess, startWorker, toolPath, waitForPort, type ManagedProcess } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import { connectClient, startProvision } from '../../src/client';
import { REAPER_SCHEDULE_ID } from '../../src/cli/commands/reaper';
import type { ReapReport } from '../../src/common/reaping';
import { dataConverterFromEnv, ENCRYPTED_ENCODING, KEY_ID_METADATA, PAYLOAD_KEY_VARIABLES } from '../../src/codec';
import { payloadsToJson } from '../../src/codec/payload-json';
import { temporalSettings } from '../../src/config';
import { motoEc2Client, motoEndpoint, requireEnv, uniqueName } from '../support/env';
import { TEST_LOG_DIR } from '../support/shared-setup';

const run = promisify(execFile);
const address = requireEnv('STAGELY_TEST_TEMPORAL_ADDRESS');
const key = randomBytes(32).toString('base64');
const authToken = randomUUID();
const UI_ORIGIN = 'http://localhost:8233';

const base: NodeJS.ProcessEnv = { ...stackEnv(address, motoEndpoint()), STAGELY_WORKFLOW_BUNDLE: requireEnv('STAGELY_TEST_WORKFLOW_BUNDLE') };
// A key in the shell that runs the tests must not turn the control worker into an encrypting one.
for (const name of PAYLOAD_KEY_VARIABLES) delete base[name];
const encryptedEnv = { ...base, STAGELY_TASK_QUEUE: uniqueName('e2e-encrypted'), STAGELY_PAYLOAD_KEY: key };
const plainEnv = { ...base, STAGELY_TASK_QUEUE: uniqueName('e2e-plain') };
const keyId = dataConverterFromEnv(encryptedEnv).keyId ?? '';

const ec2 = motoEc2Client();
const started: ManagedProcess[] = [];
let encryptedWorker: ManagedProcess;
let plainWorker: ManagedProcess;
let codecEndpoint: string;
let rawClient: Client;

beforeAll(async () => {
  const codecPort = await freePort();
  const tsx = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  const codecServer = startProcess('codec-server', tsx, [join(PROJECT_ROOT, 'src', 'codec-server.ts'), '--port', String(codecPort), '--cors-origin', UI_ORIGIN], {
    env: { ...encryptedEnv, STAGELY_CODEC_AUTH_TOKEN: authToken },
    logDir: TEST_LOG_DIR,
  });
  started.push(codecServer);
  const workers = await Promise.allSettled([startWorker(encryptedEnv, { logDir: TEST_LOG_DIR }), startWorker(plainEnv, { logDir: TEST_LOG_DIR })]);
  for (const outcome of workers) if (outcome.status === 'fulfilled') started.push(outcome.value);
  for (const outcome of workers) if (outcome.status === 'rejected') throw outcome.reason;
  [encryptedWorker, plainWorker] = workers.map((w) => (w as PromiseFulfilledResult<ManagedProcess>).value) as [ManagedProcess, ManagedProcess];
  await waitForPort(codecPort, codecServer);
  codecEndpoint = `http://127.0.0.1:${codecPort}`;
  // Reads history as the server stores it: no codec.
  rawClient = new Client({ connection: await Connection.connect({ address }) });
});

afterAll(async () => {
  ec2.destroy();
  await rawClient?.connection.close();
  await Promise.allSettled(started.map((p) => p.stop()));
});

interface MarkedRun {
  marker: string;
  workflowId: string;
  instanceId: string;
}

/** Provisions with user data that carries a fresh marker secret, through the project's client library. */
async function provisionWithMarker(env: NodeJS.ProcessEnv): Promise<MarkedRun> {
  const marker = `MARKER-${randomUUID()}`;
  const workflowId = uniqueName('encryption');
  const client = await connectClient(temporalSettings(env), dataConverterFromEnv(env).dataConverter);
  try {
    const handle = await startProvision(
      client,
      { size: 'small', architecture: 'arm64', userData: `#!/bin/bash\necho token=${marker}\n`, pollInterval: '1s' },
      { workflowId, taskQueue: env.STAGELY_TASK_QUEUE ?? '' },
    );
    const result = await handle.result();
    return { marker, workflowId, instanceId: result.instanceId };
  } finally {
    await client.connection.close();
  }
}

let encryptedRun: Promise<MarkedRun> | undefined;
const theEncryptedRun = (): Promise<MarkedRun> => (encryptedRun ??= provisionWithMarker(encryptedEnv));

/** The history exactly as the server returns it, as protobuf bytes: every byte Temporal stored. */
async function rawHistory(workflowId: string): Promise<{ history: temporal.api.history.v1.IHistory; bytes: Buffer }> {
  const history = await rawClient.workflow.getHandle(workflowId).fetchHistory();
  return { history, bytes: Buffer.from(temporal.api.history.v1.History.encode(history).finish()) };
}

/** The payloads the worker and client wrote: workflow input and result, summary, activity inputs and results. */
function writtenPayloads(history: temporal.api.history.v1.IHistory): Payload[] {
  return (history.events ?? []).flatMap((event) => [
    ...(event.workflowExecutionStartedEventAttributes?.input?.payloads ?? []),
    ...(event.userMetadata?.summary ? [event.userMetadata.summary] : []),
    ...(event.activityTaskScheduledEventAttributes?.input?.payloads ?? []),
    ...(event.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
    ...(event.workflowExecutionCompletedEventAttributes?.result?.payloads ?? []),
  ]);
}

const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');

/** Every payload's data in `temporal ... --output json` (base64 there), decoded to text. */
function payloadTexts(json: unknown): string {
  if (Array.isArray(json)) return json.map(payloadTexts).join('\n');
  if (typeof json !== 'object' || json === null) return '';
  const { metadata, data } = json as { metadata?: unknown; data?: unknown };
  const own = typeof metadata === 'object' && typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : '';
  return [own, ...Object.values(json).map(payloadTexts)].join('\n');
}

async function workflowShow(workflowId: string, codec: string[]): Promise<string> {
  const { stdout } = await run(toolPath('temporal'), ['workflow', 'show', '--address', address, '-w', workflowId, '--output', 'json', ...codec], {
    env: base,
  });
  return payloadTexts(JSON.parse(stdout) as unknown);
}

it('keeps user data out of the history: every payload the project writes is encrypted under the key id', async () => {
  const { marker, workflowId, instanceId } = await theEncryptedRun();

  // The worker decrypted the request: EC2 got the user data.
  const attribute = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }));
  expect(Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8')).toContain(`token=${marker}`);

  const { history, bytes } = await rawHistory(workflowId);
  expect(bytes.includes(marker)).toBe(false);
  const payloads = writtenPayloads(history);
  expect(payloads.length).toBeGreaterThanOrEqual(6);
  for (const payload of payloads) {
    expect(text(payload.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(payload.metadata?.[KEY_ID_METADATA])).toBe(keyId);
  }

  const log = readFileSync(encryptedWorker.logFile, 'utf8');
  expect(log).toContain(`Payload encryption on: AES-256-GCM with key id ${keyId}`);
  expect(log).not.toContain('PLAIN TEXT');
  expect(log).not.toContain(marker);
  expect(log).not.toContain(key);
});

it('gives operators the plain payload back through the codec server, and only with its token', async () => {
  const { marker, workflowId } = await theEncryptedRun();
  const { history } = await rawHistory(workflowId);
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const body = JSON.stringify(payloadsToJson(input));
  const headers = { 'content-type': 'application/json', 'x-namespace': 'default', origin: UI_ORIGIN };

  const decoded = await fetch(`${codecEndpoint}/decode`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${authToken}` }, body });
  expect(decoded.status).toBe(200);
  expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  const [payload] = ((await decoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
  expect(Buffer.from(payload?.metadata.encoding ?? '', 'base64').toString('utf8')).toBe('json/plain');
  expect((JSON.parse(Buffer.from(payload?.data ?? '', 'base64').toString('utf8')) as { userData: string }).userData).toContain(`token=${marker}`);

  const refused = await fetch(`${codecEndpoint}/decode`, { method: 'POST', headers, body });
  expect(refused.status).toBe(401);
  expect(await refused.text()).not.toContain(marker);

  // The Web UI's preflight: allowed for its origin (with the headers it sends), not for another.
  const preflight = (origin: string): Promise<Response> =>
    fetch(`${codecEndpoint}/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
  const allowed = await preflight(UI_ORIGIN);
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type,x-namespace,authorization');
  expect((await preflight('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();

  // The documented operator command.
  expect(await workflowShow(workflowId, [])).not.toContain(marker);
  expect(await workflowShow(workflowId, ['--codec-endpoint', codecEndpoint, '--codec-auth', `Bearer ${authToken}`])).toContain(`token=${marker}`);
});

it('without a key: the worker says so loudly at start, and user data lands in the history in plain text', async () => {
  const warning = readFileSync(plainWorker.logFile, 'utf8')
    .split('\n')
    .find((line) => line.includes('PAYLOADS ARE STORED IN PLAIN TEXT'));
  expect(warning).toBeDefined();
  expect(JSON.parse(warning ?? '{}')).toMatchObject({ level: 'WARN', message: expect.stringContaining('set STAGELY_PAYLOAD_KEY') });

  // The control for the checks above: the same run, no key, and the marker is right there.
  const { marker, workflowId } = await provisionWithMarker(plainEnv);
  const { history, bytes } = await rawHistory(workflowId);
  expect(bytes.includes(marker)).toBe(true);
  expect(text(history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.metadata?.encoding)).toBe('json/plain');
});

it('the stagely CLI reads an encrypted run with the key in its environment, and cannot without it', async () => {
  const { workflowId, instanceId } = await theEncryptedRun();
  const status = async (env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> => {
    const cli = [join(PROJECT_ROOT, 'src', 'cli', 'index.ts'), 'status', workflowId, '--json'];
    const { stdout } = await run(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), cli, { env, cwd: PROJECT_ROOT });
    return JSON.parse(stdout) as Record<string, unknown>;
  };
  const [withKey, withoutKey] = await Promise.all([status(encryptedEnv), status(plainEnv)]);
  expect(withKey).toMatchObject({ execution: 'COMPLETED', phase: 'succeeded', instanceId });
  // The status query's answer is encrypted too: without the key only the server's own fields remain.
  expect(withoutKey).toMatchObject({ execution: 'COMPLETED' });
  expect(withoutKey.instanceId).toBeUndefined();
});

describe('rotating the payload key, as docs/operations.md says', () => {
  const rotated = randomBytes(32).toString('base64');
  const queue = uniqueName('e2e-rotation');
  const before = { ...base, STAGELY_TASK_QUEUE: queue, STAGELY_PAYLOAD_KEY: key };
  // Step 2 of the rotation: the new key current, the old one still there to read with.
  const during = { ...before, STAGELY_PAYLOAD_KEY: rotated, STAGELY_PAYLOAD_OLD_KEYS: key };
  // Step 3: the old key dropped everywhere.
  const after = { ...before, STAGELY_PAYLOAD_KEY: rotated };
  const rotatedKeyId = dataConverterFromEnv(after).keyId ?? '';

  async function schedules(env: NodeJS.ProcessEnv): Promise<string> {
    const cli = [join(PROJECT_ROOT, 'src', 'cli', 'index.ts'), 'schedules', 'apply'];
    const flags = ['--every', '1h', '--grace', '1h', '--regions', 'sa-east-1', '--dry-run'];
    const { stdout } = await run(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [...cli, ...flags], { env, cwd: PROJECT_ROOT });
    return stdout;
  }

  /** The schedule as the server holds it (no codec, so no key is needed to read it). */
  const rawSchedule = (): Promise<temporal.api.workflowservice.v1.IDescribeScheduleResponse> =>
    rawClient.workflowService.describeSchedule({ namespace: 'default', scheduleId: REAPER_SCHEDULE_ID });
  const storedInputKeyId = async (): Promise<string> => text((await rawSchedule()).schedule?.action?.startWorkflow?.input?.payloads?.[0]?.metadata?.[KEY_ID_METADATA]);

  const deleteSchedule = (): Promise<unknown> => rawClient.schedule.getHandle(REAPER_SCHEDULE_ID).delete().catch(() => undefined);
  beforeAll(deleteSchedule);
  afterAll(deleteSchedule);

  it('re-running the schedules command re-encrypts the reaper\'s input, so the scheduled reaper runs once the old key is gone', async () => {
    expect(await schedules(before)).toContain(`Created schedule ${REAPER_SCHEDULE_ID}`);
    expect(await storedInputKeyId()).toBe(keyId);

    const updated = await schedules(during);
    expect(updated).toContain(`Updated schedule ${REAPER_SCHEDULE_ID}`);
    expect(updated).toContain(`encryption  AES-256-GCM with key id ${rotatedKeyId}; decrypts older key ids ${keyId}`);
    expect(await storedInputKeyId()).toBe(rotatedKeyId);

    // Only the new key from here on: the worker that runs the schedule and the client that reads the result.
    const worker = await startWorker(after, { logDir: TEST_LOG_DIR });
    started.push(worker);
    const client = await connectClient(temporalSettings(after), dataConverterFromEnv(after).dataConverter);
    try {
      await client.schedule.getHandle(REAPER_SCHEDULE_ID).trigger();
      let workflowId: string | null | undefined;
      for (let i = 0; i < 100 && !workflowId; i++) {
        workflowId = (await rawSchedule()).info?.recentActions?.[0]?.startWorkflowResult?.workflowId;
        if (!workflowId) await new Promise((r) => setTimeout(r, 100));
      }
      const reaper = client.workflow.getHandle(workflowId ?? '');
      // A worker that cannot decrypt the input fails its workflow task again and again: the run stays open.
      let status = (await reaper.describe()).status.name;
      for (let i = 0; i < 60 && status === 'RUNNING'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        status = (await reaper.describe()).status.name;
      }
      expect(status).toBe('COMPLETED');
      await expect(reaper.result() as Promise<ReapReport>).resolves.toMatchObject({ dryRun: true, regions: ['sa-east-1'], reaped: [] });
    } finally {
      await client.connection.close();
    }
  });
});
