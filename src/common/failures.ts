/**
 * Failure type names: the `type` of every ApplicationFailure this project throws.
 *
 * The contract types end a provision and are what callers branch on (the Go backend matches them with
 * `errors.As(err, &temporal.ApplicationError{})` and `.Type()`). The transient types mark AWS errors
 * that Temporal retries; a caller only sees one if the retry budget of an activity runs out.
 */
export const FailureType = {
  /** The request was malformed; nothing was sent to AWS. Fix the request. */
  InvalidSpec: 'InvalidSpec',
  /** AWS rejected the worker's credentials or their permissions. */
  InvalidCredentials: 'InvalidCredentials',
  /** An account limit (instances, vCPUs, spot requests, addresses) is reached. */
  QuotaExceeded: 'QuotaExceeded',
  /** AWS has no capacity for this instance type (or spot price) right now. */
  InsufficientCapacity: 'InsufficientCapacity',
  /** EC2 rejected a launch parameter: instance type, AMI, subnet, security group. */
  InvalidConfiguration: 'InvalidConfiguration',
  /** No public IP appeared before the deadline; the instance was terminated. */
  PublicIpTimeout: 'PublicIpTimeout',
  /** The instance stopped or terminated before it had a public IP; it was terminated. */
  InstanceLost: 'InstanceLost',
  /**
   * The request's `readiness` checks did not pass before their timeout; the instance was terminated.
   * Details: NotReadyDetails (the last status checks, the last TCP error, the console output's tail).
   */
  NotReady: 'NotReady',
  /**
   * The status call's own failure: EC2 does not know the instance id in that region (never launched,
   * terminated long enough ago to be forgotten, another region, or launched a moment ago and not yet
   * visible: EC2 is eventually consistent).
   */
  InstanceNotFound: 'InstanceNotFound',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** The teardown workflow's own failure: EC2 accepted the termination but never confirmed it. */
export const TERMINATION_UNCONFIRMED = 'TerminationUnconfirmed';

/** A lease's `waitReady` update: the lease ended (destroyed, expired, lost) before it had a ready VM. */
export const LEASE_ENDED = 'LeaseEnded';

/** The reaper's own failure: its worker does not know its namespace's ID, so it cannot judge instances. */
export const NAMESPACE_ID_UNKNOWN = 'NamespaceIdUnknown';

/** Retryable AWS conditions; activities throw these and Temporal retries them with backoff. */
export const TransientFailureType = {
  /** EC2 throttled the call (RequestLimitExceeded and friends). */
  Ec2Throttled: 'Ec2Throttled',
  /** EC2 answered with a server error (5xx) or an unexpected, empty response. */
  Ec2Unavailable: 'Ec2Unavailable',
  /** EC2 could not be reached: connection refused or reset, DNS, time-out. */
  Ec2Unreachable: 'Ec2Unreachable',
  /**
   * The worker could not get fresh AWS credentials (the SDK's credential provider failed, e.g. the
   * instance or container credential endpoint timed out during a refresh), or EC2 found the token or
   * the request's signature time expired. A retry fetches and signs afresh.
   */
  CredentialsUnavailable: 'CredentialsUnavailable',
} as const;
export type TransientFailureType = (typeof TransientFailureType)[keyof typeof TransientFailureType];

/** Every contract failure type, in a stable order (for docs and exhaustive tests). */
export const CONTRACT_FAILURE_TYPES: readonly FailureType[] = Object.values(FailureType);

/**
 * Not a failure of a run: the client library's ProvisionConflictError carries this `type` when
 * `startProvision` finds a run under the workflow ID that was started with a different request.
 */
export const PROVISION_CONFLICT = 'ProvisionConflict';
