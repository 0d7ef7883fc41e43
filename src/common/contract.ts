/**
 * The JSON contract the Stagely backend (Go) and the `temporal` CLI rely on. Change it only in ways
 * an old caller still understands: add optional fields, never rename or retype one.
 */
import type { ImageSource } from './images';
import type { Architecture, Size } from './instance-types';
import type { InstanceState } from './instance-state';
import type { Problem } from './field-checks';

/** The task queue workers poll and callers start on, unless configured otherwise. */
export const DEFAULT_TASK_QUEUE = 'stagely-provisioning';

/** Workflow type names, as the backend starts them. */
export const WorkflowType = {
  provisionInstance: 'provisionInstance',
  terminateInstance: 'terminateInstance',
  validateCredentials: 'validateCredentials',
  /** One instance's state, read through the worker (which alone holds AWS credentials). */
  getInstanceStatus: 'getInstanceStatus',
  /** The orphan reaper, normally started by the `stagely-reap-orphans` schedule. */
  reapOrphans: 'reapOrphans',
  /** Holds one VM for a preview environment's whole life (docs/leases.md). */
  vmLease: 'vmLease',
} as const;

/** Name of the query that reports a provision's progress. */
export const STATUS_QUERY = 'status';

/** An EC2 image id: "ami-" and 8 or 17 hex digits. @pattern ^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$ */
export type ImageId = string;
/** An EC2 subnet id: "subnet-" and 8 or 17 hex digits. @pattern ^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$ */
export type SubnetId = string;
/** An EC2 security group id: "sg-" and 8 or 17 hex digits. @pattern ^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$ */
export type SecurityGroupId = string;
/** An AWS region code the worker knows (src/common/regions.ts lists them), e.g. "us-east-1". */
export type Region = string;
/**
 * A duration: a number of milliseconds, or a string of `<number><unit>` parts with units ms, s, m, h
 * ("5s", "1m30s", Go's "5m0s"); a string of digits only is milliseconds.
 */
export type Duration = string | number;

/** Input of `provisionInstance`: plain JSON, one argument. Unknown fields are refused. */
export interface ProvisionRequest {
  size: Size;
  architecture: Architecture;
  /** @default "us-east-1" */
  region?: Region;
  /** Launch on the spot market. @default false */
  spotInstance?: boolean;
  /**
   * What to do when AWS has no spot capacity (or price) for a spot request: launch on-demand
   * instead, or try the spot market only. @default "on-demand"
   */
  spotFallback?: 'on-demand' | 'none';
  /** Launch this image instead of resolving Ubuntu 22.04 for the region. */
  imageId?: ImageId;
  /**
   * Cloud-init user data, raw (the worker base64-encodes it). At most 16 KiB: 16384 bytes of UTF-8
   * (the schema can only bound code points). Empty is the same as none.
   * @maxLength 16384
   */
  userData?: string;
  /**
   * Extra tags on the instance; `Name` defaults to "stagely-vm". Keys are 1 to 128 characters and
   * must not start with "aws:" or "stagely:" (any case); values are at most 256 characters; at most
   * 45 tags counting `Name` (Stagely adds five of its own; EC2 allows 50).
   * @propertyNames {"minLength": 1, "maxLength": 128}
   * @maxProperties 45
   */
  tags?: Record<string, TagValue>;
  /** One subnet to launch into. Give subnetId or subnetIds, not both. */
  subnetId?: SubnetId;
  /**
   * Subnets to try in order, one per availability zone, when the first has no capacity. One to six,
   * each listed once. Give subnetId or subnetIds, not both.
   * @minItems 1
   * @maxItems 6
   * @uniqueItems true
   */
  subnetIds?: SubnetId[];
  /**
   * Up to 16 security groups, each listed once. Left out: the VPC's default group.
   * @maxItems 16
   * @uniqueItems true
   */
  securityGroupIds?: SecurityGroupId[];
  /**
   * Encrypted gp3 root volume size in GiB, a whole number from 8 to 1024. Left out: 20 (small),
   * 40 (medium), 80 (large).
   * @asType integer
   * @minimum 8
   * @maximum 1024
   */
  rootVolumeGiB?: number;
  /**
   * How long to wait for a public IP, counted from launch: "5m" or milliseconds; from 10s to 1h.
   * @default "5m"
   */
  ipWaitTimeout?: Duration;
  /** How often to look for the public IP (and, with `readiness`, to check): "5s" or milliseconds; from 1s to 1m. @default "5s" */
  pollInterval?: Duration;
  /** Wait, after the public IP, until the VM is usable (docs/readiness.md). Absent: done at the IP. */
  readiness?: ReadinessRequest;
}

/** What "ready" means for a provision: each check given must pass, within `timeout` of the IP. */
export interface ReadinessRequest {
  /** Wait for EC2's instance and system status checks to be "ok" (minutes on real EC2). @default false */
  statusChecks?: boolean;
  /**
   * Wait until a TCP connection to this port of the instance is accepted.
   * @minimum 1
   * @maximum 65535
   * @asType integer
   */
  tcpPort?: number;
  /** Which of the instance's addresses the TCP check connects to. @default "public" */
  address?: 'public' | 'private';
  /** How long the checks may take, counted from the public IP: "10m" or milliseconds (30s-1h). @default "10m" */
  timeout?: Duration;
}

/** What a ready provision passed (the result's `readiness`). */
export interface ReadinessResult {
  /** Present when the request asked for status checks: both were "ok". */
  statusChecks?: 'ok';
  /** Present when the request asked for a TCP check: the port that accepted a connection. */
  tcpPort?: number;
  /** The address the TCP check connected to ("public" or "private"). */
  address: 'public' | 'private';
}

/** Details of a `NotReady` failure: what the checks saw last. */
export interface NotReadyDetails {
  /** EC2's last instance and system status ("initializing", "impaired", ...), when status checks were asked for and seen. */
  statusChecks?: { instance: string; system: string };
  /** Why the last TCP connection failed, when a TCP check was asked for. */
  lastTcpError?: string;
  /** The last 4 KiB of the instance's console output, decoded; absent when EC2 had none or the call failed. */
  consoleOutputTail?: string;
}

/** A tag value: at most 256 characters. @maxLength 256 */
export type TagValue = string;

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
  /** When every readiness check had passed (ISO-8601); present when the request asked for `readiness`. */
  readyAt?: string;
  /** What was checked; present when the request asked for `readiness`. */
  readiness?: ReadinessResult;
}

export type ProvisionPhase =
  | 'validating'
  /** Waiting for the worker's start admission: nothing is launched yet (docs/operations.md). */
  | 'waiting-for-admission'
  | 'resolving-image'
  | 'launching'
  | 'waiting-for-ip'
  | 'waiting-for-ready'
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
  /** When the wait for readiness gives up (ISO-8601); set once it has begun. */
  readyDeadline?: string;
}

/**
 * Result of `getInstanceStatus`: one instance as EC2 describes it now. `state` folds EC2's six states
 * into four (stopping counts as stopped, shutting-down as terminated); `ec2State` is EC2's own name.
 */
export interface InstanceStatusResult {
  instanceId: string;
  state: InstanceState;
  /** EC2's state name: pending, running, stopping, stopped, shutting-down, terminated ("unknown" if EC2 gave none). */
  ec2State: string;
  publicIp?: string;
  privateIp?: string;
  /** e.g. "t3.small". */
  instanceType?: string;
  /** ISO-8601; EC2 resets it when a stopped instance starts again. */
  launchedAt?: string;
}

/** Input of the `validateCredentials` workflow. */
export interface CredentialsRequest {
  /** Where to ask AWS. Left out: the worker's AWS_REGION. */
  region?: Region;
}

/** Result of the `validateCredentials` workflow. */
export interface CredentialsCheck {
  region: string;
  /** Regions the credentials can see (a sanity check that the answer is real). */
  regionCount: number;
}

/**
 * `details[0]` of an InvalidSpec failure of `provisionInstance` or `terminateInstance`: every problem
 * found (at most 10; the last then says how many more there were).
 */
export interface InvalidSpecDetails {
  problems: Problem[];
}

/** `details[0]` of an InsufficientCapacity failure: every launch attempt, each refused for capacity. */
export interface InsufficientCapacityDetails {
  attempts: LaunchAttempt[];
}

/**
 * `details[0]` of a failure translated from an AWS error (InvalidCredentials, QuotaExceeded,
 * InvalidConfiguration, InsufficientCapacity of one launch, and the transient types).
 */
export interface AwsErrorDetails {
  /** The EC2 error code, e.g. "InsufficientInstanceCapacity". */
  awsErrorCode?: string;
  /** The HTTP status of AWS's answer. */
  httpStatus?: number;
  /** AWS's request id, for AWS support. */
  requestId?: string;
}
