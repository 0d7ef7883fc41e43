/**
 * The Stagely provisioning worker: runs the workflows and the AWS activities on one task queue.
 *
 *   npm run worker
 *
 * Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE,
 * STAGELY_TASK_QUEUE; the AWS credential chain, AWS_REGION, AWS_ENDPOINT_URL_EC2 / _SSM for an
 * emulator; STAGELY_IMAGE_PARAMETER, STAGELY_IMAGE_CACHE_TTL (see config.ts).
 * STAGELY_WORKFLOW_BUNDLE points at a prebuilt workflow bundle (skips bundling at start-up).
 * SIGINT/SIGTERM: stop polling, finish in-flight tasks, exit 0.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, regionalClients } from './activities';
import { awsSettings, describeSettings, temporalSettings } from './config';

async function main(): Promise<void> {
  const settings = temporalSettings();
  const aws = awsSettings();
  const clients = regionalClients();
  const connection = await NativeConnection.connect(settings.connectionOptions);
  try {
    const bundlePath = process.env.STAGELY_WORKFLOW_BUNDLE;
    const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = bundlePath
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowsPath: require.resolve('./workflows') };
    const worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      ...workflowSource,
      activities: createActivities({
        clients,
        imageParameter: aws.imageParameter,
        imageCacheTtlMs: aws.imageCacheTtlMs,
        defaultRegion: aws.defaultRegion,
      }),
    });
    console.log(
      `Worker ready: ${describeSettings(settings)}; EC2 via ${aws.endpoint} (default region ${aws.defaultRegion}); images from ${aws.imageParameter}`,
    );
    // Worker.run() resolves after the runtime's SIGINT/SIGTERM handler has drained the worker.
    await worker.run();
    console.log('Worker stopped');
  } finally {
    await connection.close();
    clients.destroy();
  }
}

main().catch((error: unknown) => {
  console.error('Worker failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
