/**
 * What the Stagely backend and operators call: start a provision under the caller's own workflow ID,
 * attach to it later, read its status, or wait for its result.
 *
 * Starting is idempotent per workflow ID: a second start while the first run is open attaches to it,
 * and a start after a run with that ID succeeded returns that run instead of launching a second VM,
 * as long as it asks for the same VM; with a different request it throws ProvisionConflictError.
 */
import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, type DataConverter } from '@temporalio/common';
import { dataConverterFromEnv } from './codec';
import type { CredentialsCheck, InstanceStatusResult, ProvisionRequest, ProvisionResult, ProvisionStatus } from './common/contract';
import { LeaseUpdate, type ExtendResult, type LeaseRequest, type LeaseResult, type LeaseStatus } from './common/lease-contract';
import { STATUS_QUERY, WorkflowType } from './common/contract';
import { DEFAULT_REGION } from './common/regions';
import { differingFields } from './common/request-differences';
import type { InstanceStatusRequest } from './common/validate-instance-status-request';
import type { TeardownRequest } from './common/validate-teardown-request';
import { leaseSummary, provisionSummary, STAGELY_ENVIRONMENT } from './common/visibility';
import { temporalSettings, type TemporalSettings } from './config';
import { ProvisionConflictError } from './provision-conflict';
import type {
  getInstanceStatus as statusWorkflow,
  provisionInstance,
  TeardownResult,
  terminateInstance as teardownWorkflow,
  validateCredentials as credentialsWorkflow,
  vmLease,
} from './workflows';

export type {
  AwsErrorDetails,
  CredentialsCheck,
  InstanceStatusResult,
  InsufficientCapacityDetails,
  InvalidSpecDetails,
  LaunchAttempt,
  NotReadyDetails,
  ProvisionPhase,
  ProvisionRequest,
  ProvisionResult,
  ProvisionStatus,
  ReadinessRequest,
  ReadinessResult,
} from './common/contract';
export type { Problem } from './common/field-checks';
export { validateProvisionRequest, type ProvisionSpec, type SpecCheck } from './common/validate-provision-request';
export type { InstanceStatusRequest } from './common/validate-instance-status-request';
export type { TeardownRequest } from './common/validate-teardown-request';
export type { TeardownResult } from './workflows';
export type { DestroyRequest, ExtendRequest, ExtendResult, LeaseRequest, LeaseResult, LeaseStatus } from './common/lease-contract';
export { LeaseUpdate } from './common/lease-contract';
export { FailureType, LEASE_ENDED, PROVISION_CONFLICT } from './common/failures';
export { ProvisionConflictError } from './provision-conflict';
export { DEFAULT_TASK_QUEUE, STATUS_QUERY, WorkflowType } from './common/contract';
export { AesGcmCodec, dataConverterFromEnv, parsePayloadKey, PayloadDecryptionError, type PayloadEncryption, type PayloadKey, type PayloadKeyring } from './codec';

export type ProvisionHandle = WorkflowHandle<typeof provisionInstance>;

/**
 * Connects to Temporal with the same settings as the worker: Temporal's environment configuration
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE), and the
 * worker's payload codec (STAGELY_PAYLOAD_KEY, ...): a client without the worker's keys could not read
 * results, and would store its requests (user data included) in plain text.
 *
 * @param dataConverter @default dataConverterFromEnv().dataConverter (throws on a malformed key)
 */
export async function connectClient(
  settings: TemporalSettings = temporalSettings(),
  dataConverter: DataConverter = dataConverterFromEnv().dataConverter,
): Promise<Client> {
  const connection = await Connection.connect(settings.connectionOptions);
  return new Client({ connection, namespace: settings.namespace, dataConverter });
}

export interface StartOptions {
  /** The business key, e.g. "stagely-pr-42-env-7". Reusing it attaches instead of launching twice. */
  workflowId: string;
  /** @default STAGELY_TASK_QUEUE or "stagely-provisioning" */
  taskQueue?: string;
  /**
   * The preview environment this VM is for ("pr-42"): the run's StagelyEnvironment search attribute
   * and the end of its Web UI summary. @default the workflow ID
   */
  environment?: string;
}

/**
 * Starts (or attaches to) a provision and returns its handle. Rejects with ProvisionConflictError when
 * the workflow ID's open run, or its run that succeeded, was started with a different request.
 */
export async function startProvision(client: Client, request: ProvisionRequest, options: StartOptions): Promise<ProvisionHandle> {
  try {
    const environment = options.environment ?? options.workflowId;
    return await client.workflow.start<typeof provisionInstance>(WorkflowType.provisionInstance, {
      args: [request],
      workflowId: options.workflowId,
      taskQueue: options.taskQueue ?? temporalSettings().taskQueue,
      staticSummary: provisionSummary(request, environment),
      typedSearchAttributes: [{ key: STAGELY_ENVIRONMENT, value: environment }],
      // Open run with this ID, or a closed one that did not fail or get cancelled (so a successful
      // provision is never doubled by a caller that retries its start): refused here, then attached
      // to below if it asked for the same VM. (FAIL rather than USE_EXISTING, so that only an attach
      // pays for reading the run's request.)
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return attach(client, options.workflowId, request);
}

/** The handle of the workflow ID's current run, if that run was started with the same request. */
async function attach(client: Client, workflowId: string, request: ProvisionRequest): Promise<ProvisionHandle> {
  const { runId, status } = await client.workflow.getHandle(workflowId).describe();
  const fields = differingFields(await startedWith(client, workflowId, runId), request);
  if (fields.length > 0) throw new ProvisionConflictError(workflowId, runId, status.name, fields);
  return client.workflow.getHandle<typeof provisionInstance>(workflowId, runId);
}

/**
 * The request a run was started with: the input of its first history event, decoded with the client's
 * codec (so it needs the payload key the run was started under, as reading its result does).
 */
async function startedWith(client: Client, workflowId: string, runId: string): Promise<unknown> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  let payloads = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  const [first] = payloads;
  return first === undefined ? undefined : payloadConverter.fromPayload(first);
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

/** Waits for a provision's result; rejects with WorkflowFailedError (see findApplicationFailure). */
export async function getProvisionResult(client: Client, workflowId: string): Promise<ProvisionResult> {
  return getProvisionHandle(client, workflowId).result();
}

/** The `status` query: phase, instance id once known, polls made, deadline. Works on closed runs too. */
export async function getProvisionStatus(client: Client, workflowId: string): Promise<ProvisionStatus> {
  return getProvisionHandle(client, workflowId).query<ProvisionStatus>(STATUS_QUERY);
}

/**
 * Asks a provision to stop. The run terminates whatever it launched before it ends as cancelled;
 * wait for that with getProvisionResult (it rejects with a WorkflowFailedError caused by CancelledFailure).
 */
export async function cancelProvision(client: Client, workflowId: string): Promise<void> {
  await getProvisionHandle(client, workflowId).cancel();
}

/**
 * Terminates an instance through the teardown workflow, which retries until EC2 confirms. Idempotent:
 * running it twice (or for an instance that is gone) succeeds, with `alreadyGone: true`.
 */
export async function terminateInstance(client: Client, request: TeardownRequest, options: { taskQueue?: string } = {}): Promise<TeardownResult> {
  const region = request.region ?? 'us-east-1';
  return client.workflow.execute<typeof teardownWorkflow>(WorkflowType.terminateInstance, {
    args: [request],
    workflowId: `terminate-${region}-${request.instanceId}`,
    taskQueue: options.taskQueue ?? temporalSettings().taskQueue,
    // A teardown already running for this instance: wait for that one.
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Terminate ${request.instanceId} in ${region}`,
  });
}

/**
 * One instance's state as EC2 reports it now, read by the worker (the only holder of AWS credentials).
 * Rejects with a WorkflowFailedError whose ApplicationFailure is InstanceNotFound when EC2 does not
 * know the id in that region (including, briefly, an instance launched a moment ago), and InvalidSpec
 * for a malformed id. Concurrent calls for the same instance share one run, and so one EC2 read.
 */
export async function getInstanceStatus(client: Client, request: InstanceStatusRequest, options: { taskQueue?: string } = {}): Promise<InstanceStatusResult> {
  const region = request.region ?? DEFAULT_REGION;
  return client.workflow.execute<typeof statusWorkflow>(WorkflowType.getInstanceStatus, {
    args: [request],
    workflowId: `instance-status-${region}-${request.instanceId}`,
    taskQueue: options.taskQueue ?? temporalSettings().taskQueue,
    // A read: a call already open for this instance answers this one too.
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Status of ${request.instanceId} in ${region}`,
  });
}

/** Checks the worker's AWS credentials (DescribeRegions); rejects with InvalidCredentials when AWS refuses them. */
export async function validateCredentials(client: Client, options: { region?: string; taskQueue?: string } = {}): Promise<CredentialsCheck> {
  return client.workflow.execute<typeof credentialsWorkflow>(WorkflowType.validateCredentials, {
    args: [options.region === undefined ? {} : { region: options.region }],
    workflowId: `validate-credentials-${randomUUID()}`,
    taskQueue: options.taskQueue ?? temporalSettings().taskQueue,
    staticSummary: `Validate the worker's AWS credentials${options.region ? ` in ${options.region}` : ''}`,
  });
}

export type LeaseHandle = WorkflowHandle<typeof vmLease>;

/**
 * Starts a lease (docs/leases.md), or attaches to the open one under the same workflow ID. Returns at
 * once; waitLeaseReady blocks until its VM is ready. Once a lease has closed, its ID starts a new one.
 */
export async function startLease(client: Client, request: LeaseRequest, options: StartOptions): Promise<LeaseHandle> {
  const environment = options.environment ?? options.workflowId;
  return client.workflow.start<typeof vmLease>(WorkflowType.vmLease, {
    args: [request],
    workflowId: options.workflowId,
    taskQueue: options.taskQueue ?? temporalSettings().taskQueue,
    staticSummary: leaseSummary(request, environment),
    typedSearchAttributes: [{ key: STAGELY_ENVIRONMENT, value: environment }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/**
 * Blocks until the lease's VM is ready and returns it (at once if it already is). Rejects with a
 * WorkflowUpdateFailedError whose cause carries the provision's failure type, or LeaseEnded.
 */
export async function waitLeaseReady(client: Client, workflowId: string): Promise<ProvisionResult> {
  return client.workflow.getHandle(workflowId).executeUpdate<ProvisionResult, []>(LeaseUpdate.waitReady);
}

/** The lease now expires `ttl` from now (at most 30 days after it started); refused out of bounds. */
export async function extendLease(client: Client, workflowId: string, ttl: string | number): Promise<ExtendResult> {
  return client.workflow.getHandle(workflowId).executeUpdate<ExtendResult, [{ ttl: string | number }]>(LeaseUpdate.extend, { args: [{ ttl }] });
}

/**
 * Ends the lease: its VM is terminated, and this returns the lease's result once EC2 confirms.
 * Idempotent: on a lease that has already completed, it returns that lease's result.
 */
export async function destroyLease(client: Client, workflowId: string, reason?: string): Promise<LeaseResult> {
  const handle = client.workflow.getHandle<typeof vmLease>(workflowId);
  try {
    return await handle.executeUpdate<LeaseResult, [{ reason?: string }]>(LeaseUpdate.destroy, { args: [reason === undefined ? {} : { reason }] });
  } catch (error) {
    // A closed workflow takes no update; a lease that completed has its result.
    if ((await handle.describe()).status.name !== 'COMPLETED') throw error;
    return handle.result();
  }
}

/** The lease's `status` query: phase, current VM, expiry, replacements, how it ended. Works on closed leases too. */
export async function getLeaseStatus(client: Client, workflowId: string): Promise<LeaseStatus> {
  return client.workflow.getHandle(workflowId).query<LeaseStatus>(STATUS_QUERY);
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
