/**
 * The Stagely provisioning worker: runs the workflows and the AWS activities on one task queue.
 *
 *   npm run worker          (development: bundles the workflows at start-up)
 *   npm run build && npm start   (production: loads the prebuilt lib/workflow-bundle.js)
 *
 * Configuration is all environment; see config.ts, worker/settings.ts and worker/observability.ts, and docs/operations.md.
 * SIGINT/SIGTERM: stop polling, let running activities finish (STAGELY_SHUTDOWN_GRACE), exit 0.
 * Any number of workers may poll one task queue; they share the work.
 *
 * The crash tests start it through test/support/crash-worker.ts, which hands main() a pause hook.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, type Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, launchBudget, regionalClients, type ActivityDependencies } from './activities';
import { dataConverterFromEnv, describeEncryption } from './codec';
import { ADMIT_SIGNAL } from './common/admission';
import { describeSettings, temporalSettings } from './config';
import { namespaceId } from './worker/namespace-id';
import { installRuntime, observabilitySettings, startHealthServer, temporalCheck } from './worker/observability';
import { missingSearchAttributes } from './worker/search-attributes';
import { awsSettings, workerTuning, type WorkerTuning } from './worker/settings';
import { admissionWithin, StartAdmission } from './worker/start-admission';
import { StartLine } from './worker/start-line';

/** A prebuilt bundle if there is one (production), else the sources, bundled now (development). */
function workflowSource(): { options: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>; described: string } {
  const built = join(__dirname, 'workflow-bundle.js');
  const bundle = process.env.STAGELY_WORKFLOW_BUNDLE || (existsSync(built) ? built : undefined);
  return bundle !== undefined
    ? { options: { workflowBundle: { codePath: bundle } }, described: `prebuilt bundle ${bundle}` }
    : { options: { workflowsPath: require.resolve('./workflows') }, described: 'sources, bundled at start-up' };
}

/**
 * Start admission (worker/start-admission.ts, worker/start-line.ts), unless turned off or without
 * batching: its signal is the polls the describe batcher foresaw, and without batching there are none.
 * Then every provision is admitted at once.
 */
function startAdmission(tuning: WorkerTuning, batching: boolean, runtime: Runtime, client: Client): { admission: StartAdmission; line: StartLine } | undefined {
  if (!tuning.startAdmission || !batching) return undefined;
  const settings = admissionWithin(tuning.startAdmissionRate.min, tuning.startAdmissionRate.max);
  const gauge = runtime.metricMeter.createGauge('stagely_start_admission_rate', 'float', 'starts/s', 'New provisions the worker lets in per second');
  let previous = settings.initialPerSecond;
  gauge.set(previous);
  const admission = new StartAdmission(settings, Date.now(), (perSecond, lateP90Ms) => {
    gauge.set(perSecond);
    const lateness = lateP90Ms === undefined ? 'no polls were due' : `polls started ${Math.round(lateP90Ms)} ms after their ticks, p90`;
    const message = `Start admission: ${round(perSecond)} new provisions per second (${lateness})`;
    // Slowing down is news for an operator; speeding back up is routine.
    if (perSecond < previous) runtime.logger.info(message);
    else runtime.logger.debug(message);
    previous = perSecond;
  });
  const line = new StartLine(admission, {
    launchBudget,
    admit: async ({ workflowId, runId }) => {
      await client.workflow.getHandle(workflowId, runId).signal(ADMIT_SIGNAL);
    },
    onAdmitFailed: (run, error) => {
      // A run that closed while it waited (cancelled, terminated) is no news; anything else is
      // mended by the run's own recheck, but worth a line.
      if (!(error instanceof WorkflowNotFoundError)) {
        runtime.logger.warn('Could not signal a provision its admission; it will ask again', { workflowId: run.workflowId, error: String(error) });
      }
    },
  });
  return { admission, line };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * What only a test entry point wires (test/support/test-worker.ts): a pause at a crash point, and where
 * readiness TCP checks really connect. The production entry point passes none.
 */
export type TestHooks = Pick<ActivityDependencies, 'pauseAt' | 'resolveProbeAddress'>;

async function runWorker(hooks: TestHooks): Promise<void> {
  const observability = observabilitySettings();
  const runtime = installRuntime(observability);
  const log = runtime.logger;
  const settings = temporalSettings();
  const aws = awsSettings();
  const tuning = workerTuning();
  // Before connecting: a bad key stops the worker with a message naming the variable.
  const encryption = dataConverterFromEnv();
  if (encryption.encrypted) {
    log.info(`Payload encryption on: ${describeEncryption(encryption)}`);
  } else {
    log.warn(
      'PAYLOADS ARE STORED IN PLAIN TEXT: set STAGELY_PAYLOAD_KEY (or STAGELY_PAYLOAD_KEY_FILE) to encrypt workflow inputs, results and user data in Temporal',
      { payloadEncryption: describeEncryption(encryption) },
    );
  }
  const clients = regionalClients({ budget: aws.budget, timeoutMs: aws.ec2TimeoutMs });
  const connection = await NativeConnection.connect(settings.connectionOptions);
  try {
    // Runs set these attributes; in a namespace without them every workflow task would fail and
    // provisions would stall mid-way. Refuse to start instead, with the fix in the message.
    const missing = await missingSearchAttributes(connection, settings.namespace);
    if (missing !== undefined && missing.length > 0) {
      throw new Error(
        `namespace ${settings.namespace} lacks the search attributes ${missing.join(', ')}; run npm run register-search-attributes (or add them as Keyword in Temporal Cloud's namespace settings)`,
      );
    }
    // Launches carry it, and the reaper judges only instances that do (names repeat across clusters).
    const ownNamespaceId = await namespaceId(connection, settings.namespace);
    const workflows = workflowSource();
    // The start line signals waiting provisions through this client, on the worker's own connection.
    const signals = new Client({ connection, namespace: settings.namespace, dataConverter: encryption.dataConverter });
    const admission = startAdmission(tuning, aws.batching !== false, runtime, signals);
    const worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      ...workflows.options,
      // The codec runs in the worker, outside the workflow sandbox, so no bundle change is needed.
      dataConverter: encryption.dataConverter,
      activities: createActivities({
        clients,
        imageParameter: aws.imageParameter,
        imageCacheTtlMs: aws.imageCacheTtlMs,
        defaultRegion: aws.defaultRegion,
        batching: aws.batching,
        reaperRegions: aws.reaperRegions,
        namespaceId: ownNamespaceId,
        ...(admission !== undefined && {
          // The rate controller is what the describe batcher tells of the polls it foresees.
          foreseenPolls: admission.admission,
          startLine: (run: { workflowId: string; runId: string }) => admission.line.join(run),
        }),
        ...hooks,
      }),
      maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions,
      maxConcurrentLocalActivityExecutions: tuning.maxConcurrentLocalActivityExecutions,
      maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions,
      maxCachedWorkflows: tuning.maxCachedWorkflows,
      shutdownGraceTime: tuning.shutdownGraceTimeMs,
      // Shown in the Web UI against every task this worker ran; the SDK's default is pid@host.
      ...(process.env.STAGELY_WORKER_IDENTITY && { identity: process.env.STAGELY_WORKER_IDENTITY }),
    });
    const health = observability.healthAddress ? await startHealthServer(observability.healthAddress, worker, temporalCheck(connection)) : undefined;
    log.info(`Worker ready: ${describeSettings(settings)}; EC2 via ${aws.endpoint} (default region ${aws.defaultRegion})`, {
      imageParameter: aws.imageParameter,
      describeBatching: aws.batching === false ? 'off' : aws.batching,
      ec2Budget: aws.budget,
      ec2TimeoutMs: aws.ec2TimeoutMs,
      reaperRegions: aws.reaperRegions,
      namespaceId: ownNamespaceId,
      workflows: workflows.described,
      payloadEncryption: describeEncryption(encryption),
      ...tuning,
      // Off when asked, and also without batching.
      startAdmission: admission !== undefined ? 'on' : 'off',
      metrics: observability.metricsAddress ?? 'off',
      health: observability.healthAddress ?? 'off',
    });
    try {
      // Resolves after the runtime's SIGINT/SIGTERM handler has drained the worker.
      await worker.run();
    } finally {
      admission?.line.stop();
      health?.close();
    }
    log.info('Worker stopped');
  } finally {
    await connection.close();
    clients.destroy();
  }
}

/** Runs the worker until it is stopped; if it cannot start or fails, says why and exits 1. */
export function main(hooks: TestHooks = {}): void {
  runWorker(hooks).catch((error: unknown) => {
    console.error('Worker failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

if (require.main === module) main();
