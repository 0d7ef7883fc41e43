/**
 * The JSON contract the Stagely backend (Go) and the `temporal` CLI rely on. Change it only in ways
 * an old caller still understands: add optional fields, never rename or retype one.
 */
import type { ImageSource } from './images';
import type { Architecture, Size } from './instance-types';
import type { InstanceState } from './instance-state';

/** The task queue workers poll and callers start on, unless configured otherwise. */
export const DEFAULT_TASK_QUEUE = 'stagely-provisioning';

/** Workflow type names, as the backend starts them. */
export const WorkflowType = {
  provisionInstance: 'provisionInstance',
  terminateInstance: 'terminateInstance',
  validateCredentials: 'validateCredentials',
  /** The orphan reaper, normally started by the `stagely-reap-orphans` schedule. */
  reapOrphans: 'reapOrphans',
  /** Holds one VM for a preview environment's whole life (docs/leases.md). */
  vmLease: 'vmLease',
} as const;

/** Name of the query that reports a provision's progress. */
export const STATUS_QUERY = 'status';

/** Input of `provisionInstance`: plain JSON, one argument. */
export interface ProvisionRequest {
  size: Size;
  architecture: Architecture;
  /** @default "us-east-1" */
  region?: string;
  /** Launch on the spot market. @default false */
  spotInstance?: boolean;
  /**
   * What to do when AWS has no spot capacity (or price) for a spot request: launch on-demand
   * instead, or try the spot market only. @default "on-demand"
   */
  spotFallback?: 'on-demand' | 'none';
  /** Launch this image instead of resolving Ubuntu 22.04 for the region. */
  imageId?: string;
  /** Cloud-init user data, raw (the worker base64-encodes it). At most 16 KiB. */
  userData?: string;
  /** Extra tags on the instance; `Name` defaults to "stagely-vm". */
  tags?: Record<string, string>;
  /** One subnet to launch into. */
  subnetId?: string;
  /** Subnets to try in order, one per availability zone, when the first has no capacity. */
  subnetIds?: string[];
  securityGroupIds?: string[];
  /** Encrypted gp3 root volume size. @default 20 (small), 40 (medium), 80 (large) */
  rootVolumeGiB?: number;
  /** How long to wait for a public IP, counted from launch: "5m" or milliseconds. @default "5m" */
  ipWaitTimeout?: string | number;
  /** How often to look for the public IP: "5s" or milliseconds. @default "5s" */
  pollInterval?: string | number;
}

/** One launch attempt, as the result and the InsufficientCapacity failure report it. */
export interface LaunchAttempt {
  instanceType: string;
  spot: boolean;
  subnetId?: string;
  /** "launched", or the AWS error code that refused it (e.g. "InsufficientInstanceCapacity"). */
  outcome: string;
  /** The instance the attempt launched. */
  instanceId?: string;
}

/** Result of a successful `provisionInstance`. */
export interface ProvisionResult {
  instanceId: string;
  publicIp: string;
  privateIp: string;
  instanceType: string;
  imageId: string;
  region: string;
  size: Size;
  architecture: Architecture;
  spot: boolean;
  /** ISO-8601. */
  launchedAt: string;
  /** Where `imageId` came from: the request, the SSM parameter, or the static table. */
  imageSource: ImageSource;
  /** The subnet the instance is in, when the request named subnets. */
  subnetId?: string;
  /** Why a spot request ended on-demand, when it did. */
  fallbackReason?: string;
  /** Every launch attempt, in order; the last launched the instance. */
  attempts: LaunchAttempt[];
}

export type ProvisionPhase =
  | 'validating'
  | 'resolving-image'
  | 'launching'
  | 'waiting-for-ip'
  | 'terminating'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

/** Answer of the `status` query. */
export interface ProvisionStatus {
  phase: ProvisionPhase;
  /** Set once EC2 has accepted the launch. */
  instanceId?: string;
  /** DescribeInstances polls made so far. */
  polls: number;
  /** When the wait for a public IP gives up (ISO-8601); set once launched. */
  deadline?: string;
  /** The instance state seen by the latest poll. */
  lastState?: InstanceState;
}

/** Result of the `validateCredentials` workflow. */
export interface CredentialsCheck {
  region: string;
  /** Regions the credentials can see (a sanity check that the answer is real). */
  regionCount: number;
}
