/**
 * Which launch failures refuse one candidate (market, type, subnet) rather than the whole request,
 * and which failure type a provision ends with when every candidate was refused. Pure: the workflow
 * decides from the failure the launch activity threw (its type, message and `details[0].awsErrorCode`).
 */
import { FailureType } from './failures';

/**
 * - `capacity`: AWS has no room (or spot price) for this candidate now; another may have, and a later
 *   retry of the same request may succeed.
 * - `not-offered`: the type is not offered in that zone (`Unsupported`) or unknown in the region;
 *   another subnet or alternate type may be, but retrying the same candidate cannot succeed.
 * - `spot-quota`: the account's spot instance limit (`MaxSpotInstanceCountExceeded`); it is account-wide,
 *   so no other spot candidate can launch either, but on-demand can.
 */
export type RefusalKind = 'capacity' | 'not-offered' | 'spot-quota';

export interface Refusal {
  kind: RefusalKind;
  /** The AWS code, recorded as the attempt's outcome. */
  code: string;
}

/** What the workflow reads off the ApplicationFailure the launch activity threw. */
export interface LaunchFailure {
  type?: string | null;
  message: string;
  awsErrorCode?: string;
}

/**
 * EC2 answers `Unsupported` for a type not offered in the subnet's zone. Moto, with instance type
 * validation on, answers `InvalidInstanceType.NotFound` for an unknown type; `InvalidInstanceType` is
 * in EC2's list of error codes.
 */
const NOT_OFFERED_CODES = new Set(['Unsupported', 'InvalidInstanceType', 'InvalidInstanceType.NotFound']);

/**
 * EC2 refuses an unknown type with its generic code and names the parameter in the message ("Invalid
 * value 'c9z.large' for InstanceType."); other InvalidParameterValue answers (user data, an architecture
 * that does not match the image) are about the request and end it.
 */
const UNKNOWN_TYPE_MESSAGE = /\bfor InstanceType\b/;

/** The refusal this launch failure is, or undefined when it is about the request, not the candidate. */
export function launchRefusal(failure: LaunchFailure, spot: boolean): Refusal | undefined {
  const code = failure.awsErrorCode;
  if (failure.type === FailureType.InsufficientCapacity) return { kind: 'capacity', code: code ?? failure.type };
  if (spot && code === 'MaxSpotInstanceCountExceeded') return { kind: 'spot-quota', code };
  if (failure.type !== FailureType.InvalidConfiguration || code === undefined) return undefined;
  if (NOT_OFFERED_CODES.has(code) || (code === 'InvalidParameterValue' && UNKNOWN_TYPE_MESSAGE.test(failure.message))) {
    return { kind: 'not-offered', code };
  }
  return undefined;
}

/**
 * The failure type of a provision whose every candidate was refused, from the refusals in order:
 * - the spot limit ended it (nothing tried after it): `QuotaExceeded`;
 * - any candidate refused for capacity: `InsufficientCapacity`, because retrying later can succeed,
 *   even when other candidates were not offered (the message and details name each attempt);
 * - otherwise every refusal says the request cannot launch as configured: `InvalidConfiguration`.
 */
export function exhaustedFailureType(kinds: readonly RefusalKind[]): FailureType {
  if (kinds[kinds.length - 1] === 'spot-quota') return FailureType.QuotaExceeded;
  if (kinds.length === 0 || kinds.includes('capacity')) return FailureType.InsufficientCapacity;
  return FailureType.InvalidConfiguration;
}
