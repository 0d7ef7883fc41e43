/**
 * The one place AWS errors become Temporal failures.
 *
 * The SDK puts EC2's error code in `error.name`. Each code family maps to a stable failure `type`
 * (see FailureType): permanent problems are non-retryable so a run fails fast with an actionable
 * message; throttling, server errors, network trouble and a failed credential refresh stay retryable
 * and Temporal backs off. docs/retries.md lists the classes.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, TransientFailureType } from '../common/failures';

/** EC2's own rejection of the credentials or their permissions: retrying with the same ones cannot help. */
const CREDENTIAL_CODES = new Set([
  'AuthFailure',
  'AuthFailure.ServiceLinkedRoleCreationNotPermitted',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'OptInRequired',
  'Blocked',
]);

/**
 * Credentials that were not to be had just then, or had gone stale: the SDK failed to fetch them
 * locally (an instance or container credential endpoint timing out mid-refresh throws
 * CredentialsProviderError, with no answer from EC2 at all), or EC2 found the session token expired
 * or the request signed too long ago. The next attempt fetches credentials and signs afresh, so these
 * are retried within the activity's budget instead of ending every run that shared the call.
 */
const CREDENTIAL_REFRESH_CODES = new Set(['CredentialsProviderError', 'ExpiredToken', 'RequestExpired']);

const QUOTA_CODES = new Set([
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'MaxSpotInstanceCountExceeded',
  'AddressLimitExceeded',
  'ResourceLimitExceeded',
  'PendingVerification',
]);

const CAPACITY_CODES = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientAddressCapacity',
  'InsufficientFreeAddressesInSubnet',
  'SpotMaxPriceTooLow',
  'UnfulfillableCapacity',
]);

const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'SlowDown',
  'EC2ThrottledException',
]);

const SERVER_CODES = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable']);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

export interface Classification {
  type: FailureType | TransientFailureType;
  retryable: boolean;
  /** EC2's error code, or the network error code, when there is one. */
  code: string;
}

interface AwsLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  $response?: { statusCode?: unknown };
}

/**
 * Classifies what the AWS SDK throws. Order matters: known codes first, then HTTP status, then
 * "no answer at all" (network), and whatever is left is a 4xx refusal, i.e. a configuration problem.
 * Returns undefined for anything that is not an AWS or network error (a bug, say).
 */
export function classifyAwsError(error: unknown): Classification | undefined {
  const e = (typeof error === 'object' && error !== null ? error : {}) as AwsLikeError;
  const name = typeof e.name === 'string' ? e.name : '';
  const nodeCode = typeof e.code === 'string' ? e.code : '';
  const status = httpStatus(e);

  if (CREDENTIAL_REFRESH_CODES.has(name)) return { type: TransientFailureType.CredentialsUnavailable, retryable: true, code: name };
  if (CREDENTIAL_CODES.has(name)) return { type: FailureType.InvalidCredentials, retryable: false, code: name };
  if (QUOTA_CODES.has(name)) return { type: FailureType.QuotaExceeded, retryable: false, code: name };
  if (CAPACITY_CODES.has(name)) return { type: FailureType.InsufficientCapacity, retryable: false, code: name };
  if (THROTTLING_CODES.has(name) || status === 429) return { type: TransientFailureType.Ec2Throttled, retryable: true, code: name };
  if (SERVER_CODES.has(name) || (status !== undefined && status >= 500)) {
    return { type: TransientFailureType.Ec2Unavailable, retryable: true, code: name };
  }
  const sdkError = e.$metadata !== undefined || e.$fault !== undefined;
  if (NETWORK_CODES.has(name) || NETWORK_CODES.has(nodeCode) || (sdkError && status === undefined && e.$fault === undefined)) {
    // No HTTP answer at all (the SDK wraps socket errors without a status): EC2 may never have seen it.
    return { type: TransientFailureType.Ec2Unreachable, retryable: true, code: nodeCode || name };
  }
  if (!sdkError) return undefined;
  // EC2 answered and refused the request (4xx): InvalidParameterValue, InvalidAMIID.NotFound, Unsupported...
  // Retrying the same request cannot succeed.
  return { type: FailureType.InvalidConfiguration, retryable: false, code: name };
}

const ADVICE: Readonly<Record<Classification['type'], string>> = {
  InvalidCredentials:
    "Check the worker's AWS credentials (environment, profile or role) and that its IAM policy allows this EC2 action.",
  QuotaExceeded: 'Terminate unused instances or request a higher limit in AWS Service Quotas, then retry.',
  InsufficientCapacity: 'AWS has no capacity for this request right now; retry later, or use on-demand or another size.',
  InvalidConfiguration: 'Check the instance type, image, subnet and security groups for this region.',
  InvalidSpec: 'Fix the request.',
  PublicIpTimeout: 'Retry the provision.',
  InstanceLost: 'Retry the provision.',
  NotReady: "Read the console output in the failure's details (a failed cloud-init shows there), then retry.",
  InstanceNotFound: 'Check the instance id and region; an instance launched moments ago may not be visible yet.',
  Ec2Throttled: 'Temporal retries this with backoff.',
  Ec2Unavailable: 'Temporal retries this with backoff.',
  Ec2Unreachable: 'Check that the worker can reach the EC2 endpoint; Temporal retries this with backoff.',
  CredentialsUnavailable:
    "Temporal retries this with backoff; if it lasts, check the worker's credential source (instance or task role endpoint, profile, environment).",
};

export interface FailureOptions {
  /**
   * Retry whatever the class: for compensation, where giving up hands a running VM to the reaper, so
   * even an AuthFailure (a credential refresh that went wrong) is tried again within the budget.
   * @default false
   */
  retryAll?: boolean;
}

/**
 * Wraps an AWS SDK error as an ApplicationFailure with a stable type. Anything else (a bug in this
 * code, say) is returned as it is: Temporal retries it within the activity's bounds and shows its
 * class, which is more honest than dressing it up as an AWS condition.
 * @param action what the activity was doing, for the message ("RunInstances t3.small in us-east-1")
 */
export function toApplicationFailure(error: unknown, action: string, options: FailureOptions = {}): Error {
  if (error instanceof ApplicationFailure) return error;
  const classification = classifyAwsError(error);
  if (classification === undefined) return error instanceof Error ? error : new Error(`${action} failed: ${String(error)}`);
  const { type, code } = classification;
  const retryable = classification.retryable || options.retryAll === true;
  const e = (typeof error === 'object' && error !== null ? error : {}) as AwsLikeError;
  const awsMessage = typeof e.message === 'string' && e.message !== '' ? e.message : 'no message';
  const message = `${action} failed: ${code ? `${code}: ` : ''}${awsMessage}. ${ADVICE[type]}`;
  const requestId = typeof e.$metadata?.requestId === 'string' ? e.$metadata.requestId : undefined;
  const attempt = activityAttempt();
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: !retryable,
    details: [{ awsErrorCode: code || undefined, httpStatus: httpStatus(e), requestId }],
    cause: error instanceof Error ? error : undefined,
    // Temporal's retry policy backs off exponentially but in lockstep; jitter spreads a burst of
    // throttled workers apart so they do not come back to the same empty token bucket together.
    ...(retryable && attempt !== undefined && { nextRetryDelay: jitteredBackoffMs(attempt) }),
  });
}

/** Backoff before retry `attempt + 1`: exponential from 1 s, capped at 30 s, with "equal jitter" (half fixed, half random). */
export function jitteredBackoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** The running activity's attempt number, or undefined outside an activity (unit tests, scripts). */
function activityAttempt(): number | undefined {
  try {
    return Context.current().info.attempt;
  } catch {
    return undefined;
  }
}

/** True when EC2 says the instance id does not exist (or is not visible yet: EC2 is eventually consistent). */
export function isInstanceNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as AwsLikeError).name === 'InvalidInstanceID.NotFound';
}

function httpStatus(e: AwsLikeError): number | undefined {
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
