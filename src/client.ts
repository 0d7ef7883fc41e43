/**
 * What the Stagely backend and operators call: start a provision under the caller's own workflow ID,
 * attach to it later, read its status, or wait for its result.
 *
 * Starting is idempotent per workflow ID: a second start while the first run is open attaches to it,
 * and a start after a run with that ID succeeded returns that run instead of launching a second VM.
 */
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ProvisionRequest, ProvisionResult, ProvisionStatus } from './common/contract';
import { STATUS_QUERY, WorkflowType } from './common/contract';
import { temporalSettings, type TemporalSettings } from './config';
import type { provisionInstance } from './workflows';

export type { ProvisionRequest, ProvisionResult, ProvisionStatus } from './common/contract';
export { FailureType } from './common/failures';
export { DEFAULT_TASK_QUEUE, STATUS_QUERY, WorkflowType } from './common/contract';

export type ProvisionHandle = WorkflowHandle<typeof provisionInstance>;

/**
 * Connects to Temporal with the same settings as the worker: Temporal's environment configuration
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE).
 */
export async function connectClient(settings: TemporalSettings = temporalSettings()): Promise<Client> {
  const connection = await Connection.connect(settings.connectionOptions);
  return new Client({ connection, namespace: settings.namespace });
}

export interface StartOptions {
  /** The business key, e.g. "stagely-pr-42-env-7". Reusing it attaches instead of launching twice. */
  workflowId: string;
  /** @default STAGELY_TASK_QUEUE or "stagely-provisioning" */
  taskQueue?: string;
}

/** Starts (or attaches to) a provision and returns its handle. */
export async function startProvision(client: Client, request: ProvisionRequest, options: StartOptions): Promise<ProvisionHandle> {
  try {
    return await client.workflow.start<typeof provisionInstance>(WorkflowType.provisionInstance, {
      args: [request],
      workflowId: options.workflowId,
      taskQueue: options.taskQueue ?? temporalSettings().taskQueue,
      // Open run with this ID: attach to it. Closed run: only a failed/cancelled one may be retried,
      // so a successful provision is never doubled by a caller that retries its start.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      return client.workflow.getHandle<typeof provisionInstance>(options.workflowId);
    }
    throw error;
  }
}

/** Starts (or attaches to) a provision and waits for its result; rejects with WorkflowFailedError. */
export async function provision(client: Client, request: ProvisionRequest, options: StartOptions): Promise<ProvisionResult> {
  const handle = await startProvision(client, request, options);
  return handle.result();
}

/** The handle of an existing provision, by workflow ID. */
export function getProvisionHandle(client: Client, workflowId: string): ProvisionHandle {
  return client.workflow.getHandle<typeof provisionInstance>(workflowId);
}

/** The `status` query: phase, instance id once known, polls made, deadline. */
export async function getProvisionStatus(handle: ProvisionHandle): Promise<ProvisionStatus> {
  return handle.query<ProvisionStatus>(STATUS_QUERY);
}

/**
 * The outermost ApplicationFailure in the chain: the one whose `type` the contract defines. (Deeper
 * ones are the raw AWS SDK error that the activity attached as its cause.)
 */
export function findApplicationFailure(error: Error): ApplicationFailure | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure) return current;
  }
  return undefined;
}
