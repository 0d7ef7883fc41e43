/**
 * What a team needs to run the provisioner's workflows and activities in a worker of its own
 * (`import ... from 'stagely-provisioner/worker'`): the activities and the clients they take, the
 * prebuilt workflow bundle, the settings the stock worker (worker.ts) reads, and the checks it makes at
 * start. The stock worker is the reference for wiring them.
 */
import { join } from 'node:path';

export { createActivities, regionalClients, type Activities, type ActivityDependencies, type AwsClients } from './activities';
export { dataConverterFromEnv, describeEncryption, type PayloadEncryption } from './codec';
export { temporalSettings, type TemporalSettings } from './config';
export { DEFAULT_TASK_QUEUE } from './common/contract';
export { namespaceId } from './worker/namespace-id';
export { installRuntime, observabilitySettings, startHealthServer, temporalCheck, type ObservabilitySettings } from './worker/observability';
export { missingSearchAttributes, registerSearchAttributes } from './worker/search-attributes';
export { awsSettings, workerTuning, type AwsSettings, type WorkerTuning } from './worker/settings';

/** The workflows, prebuilt by `npm run build`: pass as `workflowBundle: { codePath: workflowBundlePath }`. */
export const workflowBundlePath = join(__dirname, 'workflow-bundle.js');
