/**
 * Records workflow histories for the replay test: one run per scenario on the time-skipping server,
 * with the fake activities, saved as JSON under test/workflows/histories/.
 *
 *   npm run record-histories                 (every scenario, as <name>.json)
 *   npm run record-histories -- --as v2 ...  (named scenarios only, as <name>.v2.json)
 *
 * Keep the histories of earlier workflow versions: they prove the patched() branches still replay
 * the runs that started on them. Record a new set under a new name next to them.
 *
 * Record again only on purpose: after a deliberate, versioned change to the workflow. The replay test
 * exists so that an accidental change to what a running workflow does fails CI instead of breaking
 * the runs that are in flight when a new worker is deployed.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import { ADMIT_SIGNAL } from '../../src/common/admission';
import type { ProvisionRequest, ProvisionStatus } from '../../src/common/contract';
import type { provisionInstance } from '../../src/workflows';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle';
import { toolPath } from '../../tools/local-stack';
import { PROJECT_ROOT } from '../../tools/project-root';
import { capacityError, fakeActivities, instanceIdOf, notOfferedError, pending, ready, type FakeActivityScript } from './fake-activities';
import { createTimeSkippingEnv, createWorker } from './workflow-env';

const OUT_DIR = join(PROJECT_ROOT, 'test', 'workflows', 'histories');

interface Scenario {
  name: string;
  request: unknown;
  script: FakeActivityScript;
  cancelAfterFirstPoll?: boolean;
  /** Time-outs the caller sets on the run, when the scenario is about them. */
  timeouts?: { workflowRunTimeout?: Duration; workflowExecutionTimeout?: Duration };
  /** @default "provisionInstance" */
  workflowType?: 'provisionInstance' | 'vmLease';
  /** What the caller does while the run is open (updates), before waiting for its result. */
  drive?: (handle: WorkflowHandle) => Promise<void>;
}

const SCENARIOS: Scenario[] = [
  { name: 'ip-after-polls', request: { size: 'small', architecture: 'arm64', tags: { env: 'pr-1' } }, script: { describe: (n) => (n < 3 ? pending() : ready()) } },
  { name: 'public-ip-timeout', request: { size: 'medium', architecture: 'amd64', ipWaitTimeout: '30s' }, script: { describe: () => pending() } },
  { name: 'instance-lost', request: { size: 'large', architecture: 'arm64', spotInstance: true }, script: { describe: () => ({ ...pending(), state: 'terminated' }) } },
  { name: 'cancelled', request: { size: 'small', architecture: 'amd64' }, script: { describe: () => pending() }, cancelAfterFirstPoll: true },
  { name: 'invalid-spec', request: { size: 'Small', architecture: 'arm64' }, script: {} },
  {
    name: 'spot-fallback-alternates',
    request: { size: 'medium', architecture: 'amd64', spotInstance: true, subnetIds: ['subnet-aaaaaaaa', 'subnet-bbbbbbbb'] },
    script: {
      launch: async (r, n) => {
        if (r.spot || r.instanceType === 'c5.xlarge') throw capacityError(r.spot ? 'SpotMaxPriceTooLow' : undefined);
        return { instanceId: instanceIdOf(n) };
      },
    },
  },
  {
    name: 'spot-reclaimed-replaced',
    request: { size: 'small', architecture: 'arm64', spotInstance: true },
    script: { describe: (_n, id) => (id === instanceIdOf(1) ? { ...pending(id), state: 'terminated', spot: true } : ready(undefined, id)) },
  },
  { name: 'capacity-exhausted', request: { size: 'small', architecture: 'amd64' }, script: { launch: async () => Promise.reject(capacityError()) } },
  {
    name: 'unknown-launch-swept',
    request: { size: 'small', architecture: 'amd64' },
    script: {
      launch: async () => Promise.reject(ApplicationFailure.nonRetryable('RunInstances failed: InvalidParameterValue', 'InvalidConfiguration')),
      sweep: async () => ['i-0aaaaaaaaaaaaaaaa'],
    },
  },
  {
    name: 'not-offered-next-subnet',
    request: { size: 'small', architecture: 'amd64', subnetIds: ['subnet-aaaaaaaa', 'subnet-bbbbbbbb'] },
    script: {
      launch: async (r, n) => {
        if (r.subnetId === 'subnet-aaaaaaaa') throw notOfferedError(r.instanceType);
        return { instanceId: instanceIdOf(n) };
      },
    },
  },
  {
    name: 'spot-quota-none',
    request: { size: 'small', architecture: 'amd64', spotInstance: true, spotFallback: 'none' },
    script: { launch: async () => Promise.reject(capacityError('MaxSpotInstanceCountExceeded')) },
  },
  {
    name: 'retried-refusal-swept',
    request: { size: 'small', architecture: 'amd64' },
    script: {
      launch: async (r, n) => {
        const { attempt } = Context.current().info;
        if (r.clientToken.endsWith('-1') && attempt === 1) throw ApplicationFailure.retryable('RunInstances failed: ECONNRESET', 'Ec2Unreachable');
        if (r.clientToken.endsWith('-1')) throw capacityError('InsufficientInstanceCapacity', attempt);
        return { instanceId: instanceIdOf(n) };
      },
      sweep: async () => ['i-0aaaaaaaaaaaaaaaa'],
    },
  },
  {
    name: 'lost-with-public-ip',
    request: { size: 'small', architecture: 'arm64' },
    script: { describe: (n) => (n === 1 ? pending() : { ...ready(), state: 'stopped' }) },
  },
  {
    // A lease: ready, extended, its VM lost and replaced, then expired and torn down.
    name: 'lease-replaced-expired',
    workflowType: 'vmLease',
    request: { instance: { size: 'small', architecture: 'arm64' }, ttl: '1h', watchInterval: '10m', onInstanceLost: 'replace' },
    script: { describe: (n, id) => (id === instanceIdOf(1) && n > 2 ? { ...ready(undefined, id), state: 'stopped' } : ready(undefined, id)) },
    drive: async (handle) => {
      await handle.executeUpdate('waitReady');
      await handle.executeUpdate('extend', { args: [{ ttl: '2h' }] });
    },
  },
  {
    // A new provision told to wait its turn at start, then let in by the worker's admit signal.
    name: 'held-for-admission',
    request: { size: 'small', architecture: 'amd64' },
    script: { admission: (n) => (n === 1 ? { admitted: false, recheckAfterMs: 30_000, ahead: 3 } : { admitted: true }), describe: (n) => (n < 2 ? pending() : ready()) },
    drive: async (handle) => {
      while ((await handle.query<ProvisionStatus>('status')).phase !== 'waiting-for-admission') await new Promise((r) => setTimeout(r, 50));
      await handle.signal(ADMIT_SIGNAL);
    },
  },
  {
    name: 'ip-deadline-run-timeout',
    request: { size: 'small', architecture: 'arm64' },
    script: { describe: () => pending() },
    timeouts: { workflowRunTimeout: '4m' },
  },
  {
    name: 'ready-after-checks',
    request: { size: 'small', architecture: 'amd64', readiness: { statusChecks: true, tcpPort: 22 } },
    script: {
      statusChecks: (n, id) => ({ instanceId: id, state: 'running', instance: n < 3 ? 'initializing' : 'ok', system: 'ok', checkedAt: Date.now() }),
      probe: (n) => (n < 2 ? { accepted: false, error: '203.0.113.10:22: ECONNREFUSED' } : { accepted: true }),
    },
  },
  {
    name: 'not-ready',
    request: { size: 'small', architecture: 'amd64', readiness: { statusChecks: true, tcpPort: 22, timeout: '30s' } },
    script: {
      statusChecks: (_n, id) => ({ instanceId: id, state: 'running', instance: 'initializing', system: 'ok', checkedAt: Date.now() }),
      probe: () => ({ accepted: false, error: '203.0.113.10:22: ECONNREFUSED' }),
    },
  },
];

/**
 * Removes what says where the history was recorded (stack traces with file paths, the worker's
 * pid@host identity). Replay needs neither.
 */
function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === 'stackTrace' ? '' : key === 'identity' && typeof item === 'string' ? 'history-recorder' : scrub(item),
    ]),
  );
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { as: { type: 'string' } }, allowPositionals: true });
  const suffix = values.as !== undefined ? `.${values.as}` : '';
  const unknown = positionals.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const scenarios = positionals.length > 0 ? SCENARIOS.filter((s) => positionals.includes(s.name)) : SCENARIOS;
  process.env.STAGELY_TEST_SERVER_PATH ??= toolPath('temporal-test-server');
  process.env.STAGELY_TEST_WORKFLOW_BUNDLE = await buildWorkflowBundle(join(PROJECT_ROOT, '.stagely', 'record', 'workflow-bundle.js'));
  const env = await createTimeSkippingEnv();
  try {
    for (const scenario of scenarios) {
      const taskQueue = `record-${scenario.name}`;
      const worker = await createWorker(env, taskQueue, fakeActivities(scenario.script).activities);
      const workflowId = `history-${scenario.name}`;
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start<typeof provisionInstance>(scenario.workflowType ?? 'provisionInstance', {
          args: [scenario.request as ProvisionRequest],
          taskQueue,
          workflowId,
          ...scenario.timeouts,
        });
        await scenario.drive?.(handle);
        if (scenario.cancelAfterFirstPoll) {
          while ((await handle.query<ProvisionStatus>('status')).polls < 1) await new Promise((r) => setTimeout(r, 50));
          await handle.cancel();
        }
        await handle.result().catch(() => undefined);
      });
      // The CLI writes the canonical JSON form that Worker.runReplayHistory reads.
      const json = execFileSync(toolPath('temporal'), ['workflow', 'show', '--workflow-id', workflowId, '--address', env.address, '--output', 'json']);
      const file = join(OUT_DIR, `${scenario.name}${suffix}.json`);
      writeFileSync(file, `${JSON.stringify(scrub(JSON.parse(json.toString('utf8'))), null, 2)}\n`);
      console.log(`recorded ${file}`);
    }
  } finally {
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
