/**
 * The JSON contract the Stagely backend (Go) and the `temporal` CLI rely on. Change it only in ways
 * an old caller still understands: add optional fields, never rename or retype one.
 */
import type { Architecture, Size } from './instance-types';
import type { InstanceState } from './instance-state';

/** The task queue workers poll and callers start on, unless configured otherwise. */
export const DEFAULT_TASK_QUEUE = 'stagely-provisioning';

/** Workflow type names, as the backend starts them. */
export const WorkflowType = {
  provisionInstance: 'provisionInstance',
  validateCredentials: 'validateCredentials',
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
  /** Cloud-init user data, raw (the worker base64-encodes it). At most 16 KiB. */
  userData?: string;
  /** Extra tags on the instance; `Name` defaults to "stagely-vm". */
  tags?: Record<string, string>;
  subnetId?: string;
  securityGroupIds?: string[];
  /** How long to wait for a public IP, counted from launch: "5m" or milliseconds. @default "5m" */
  ipWaitTimeout?: string | number;
  /** How often to look for the public IP: "5s" or milliseconds. @default "5s" */
  pollInterval?: string | number;
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
}

export type ProvisionPhase =
  | 'validating'
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
