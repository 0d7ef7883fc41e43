/**
 * The Stagely provisioning worker: runs the workflows and the EC2 activities on one task queue.
 *
 *   npm run worker
 *
 * Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE,
 * STAGELY_TASK_QUEUE (see config.ts); AWS_REGION and
 * the SDK's credential chain; AWS_ENDPOINT_URL_EC2 to talk to an emulator. STAGELY_WORKFLOW_BUNDLE
 * points at a prebuilt workflow bundle (skips bundling at start-up).
 * SIGINT/SIGTERM: stop polling, finish in-flight tasks, exit 0.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { describeSettings, temporalSettings } from './config';
import { createEc2Client, describeEndpoint } from './ec2-client';

async function main(): Promise<void> {
  const settings = temporalSettings();
  const ec2 = await createEc2Client();
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
      activities: createActivities(ec2),
    });
    console.log(`Worker ready: ${describeSettings(settings)}; EC2 via ${await describeEndpoint(ec2)}`);
    // Worker.run() resolves after the runtime's SIGINT/SIGTERM handler has drained the worker.
    await worker.run();
    console.log('Worker stopped');
  } finally {
    await connection.close();
    ec2.destroy();
  }
}

main().catch((error: unknown) => {
  console.error('Worker failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
