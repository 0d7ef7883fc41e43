/**
 * What the activities make of an EC2 instance: the status a run polls for, the reaper's view of a
 * managed instance, and whether EC2 says its billing stops. Every field of EC2's answer is optional:
 * each is checked, none asserted.
 */
import type { Instance } from '@aws-sdk/client-ec2';
import { toInstanceState, type InstanceState } from '../common/instance-state';
import { LEGACY_NAMESPACE_TAG, MANAGED_TAG, NAMESPACE_ID_TAG, RUN_ID_TAG, WORKFLOW_ID_TAG } from '../common/tags';

export interface InstanceStatus {
  instanceId: string;
  state: InstanceState;
  /** EC2's own state name (`stopping`, `shutting-down`, ...), which `state` folds; absent when EC2 gave none. */
  ec2State?: string;
  instanceType?: string;
  publicIp?: string;
  privateIp?: string;
  /** ISO-8601. */
  launchedAt?: string;
  /** Whether EC2 reports the instance as spot (InstanceLifecycle). */
  spot: boolean;
  /**
   * When the poll had its answer (ms since the epoch, the worker's clock). A workflow's clock stands
   * still while its local activity runs, so the workflow times its next poll from this instead.
   */
  checkedAt?: number;
}

/** EC2's view of one instance, as the workflow needs it. */
export function toStatus(instanceId: string, instance: Instance): InstanceStatus {
  const status: InstanceStatus = {
    instanceId,
    state: toInstanceState(instance.State?.Name),
    spot: instance.InstanceLifecycle === 'spot',
  };
  if (instance.State?.Name) status.ec2State = instance.State.Name;
  if (instance.InstanceType) status.instanceType = instance.InstanceType;
  if (instance.PublicIpAddress) status.publicIp = instance.PublicIpAddress;
  if (instance.PrivateIpAddress) status.privateIp = instance.PrivateIpAddress;
  if (instance.LaunchTime instanceof Date) status.launchedAt = instance.LaunchTime.toISOString();
  return status;
}

/** EC2's own word that billing stops: the instance is shutting down or terminated. */
export function isShuttingDown(ec2StateName: string | undefined): boolean {
  return ec2StateName === 'shutting-down' || ec2StateName === 'terminated';
}

/** A Stagely-managed instance, as the reaper needs to judge it. */
export interface ManagedInstance {
  region: string;
  instanceId: string;
  /** EC2's state name: pending, running, stopping or stopped. */
  state: string;
  /** ISO-8601; EC2 resets it when a stopped instance starts again. */
  launchedAt?: string;
  /** The `stagely:workflow-id` and `stagely:run-id` tags, as found. */
  workflowId?: string;
  runId?: string;
}

/** A managed instance with the namespace tags it carries. */
export type TaggedManagedInstance = ManagedInstance & { namespaceId?: string; legacyNamespace?: string };

/**
 * States worth reaping: anything not already on its way out (shutting-down, terminated), including
 * stopped instances, whose volumes still cost money.
 */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** The instance as the reaper sees it, or undefined unless it is live and tagged `stagely:managed=true`. */
export function toManaged(region: string, instance: Instance): TaggedManagedInstance | undefined {
  const state = instance.State?.Name;
  // The filters should guarantee both; an emulator or a future API that ignores one must not widen the net.
  if (!instance.InstanceId || state === undefined || !LIVE_STATES.includes(state)) return undefined;
  const tag = (key: string): string | undefined => instance.Tags?.find((t) => t.Key === key)?.Value;
  if (tag(MANAGED_TAG) !== 'true') return undefined;
  const managed: TaggedManagedInstance = { region, instanceId: instance.InstanceId, state };
  if (instance.LaunchTime instanceof Date) managed.launchedAt = instance.LaunchTime.toISOString();
  const workflowId = tag(WORKFLOW_ID_TAG);
  const runId = tag(RUN_ID_TAG);
  const namespaceId = tag(NAMESPACE_ID_TAG);
  const legacyNamespace = tag(LEGACY_NAMESPACE_TAG);
  if (workflowId !== undefined) managed.workflowId = workflowId;
  if (runId !== undefined) managed.runId = runId;
  if (namespaceId !== undefined) managed.namespaceId = namespaceId;
  if (legacyNamespace !== undefined) managed.legacyNamespace = legacyNamespace;
  return managed;
}
