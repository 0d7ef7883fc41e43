/**
 * The order in which a provision tries to launch: which market, instance type and subnet each
 * attempt uses. Pure, so the workflow replays it identically and tests can read it as a table.
 *
 * - On-demand: the primary type, then its alternates, in the first subnet; then the same in each
 *   further subnet the request lists.
 * - Spot with fallback "on-demand": one spot attempt (primary type, first subnet); if AWS has no spot
 *   capacity or price, the on-demand order above.
 * - Spot with fallback "none": the on-demand order, but every attempt on the spot market.
 */
import type { ProvisionSpec } from './validate-provision-request';
import { instanceTypesFor } from './instance-types';

export interface LaunchCandidate {
  instanceType: string;
  spot: boolean;
  /** Absent: the region's default VPC picks. */
  subnetId?: string;
}

export interface LaunchPlan {
  /** Tried first; empty when the request is on-demand. */
  spot: LaunchCandidate[];
  /** Tried after the spot candidates failed for capacity; empty with spotFallback "none". */
  onDemand: LaunchCandidate[];
}

export function launchPlan(spec: Pick<ProvisionSpec, 'size' | 'architecture' | 'spotInstance' | 'spotFallback' | 'subnetIds'>): LaunchPlan {
  const types = instanceTypesFor(spec.size, spec.architecture);
  const subnets: (string | undefined)[] = spec.subnetIds.length > 0 ? spec.subnetIds : [undefined];
  const every = (spot: boolean): LaunchCandidate[] =>
    subnets.flatMap((subnetId) => types.map((instanceType) => candidate(instanceType, spot, subnetId)));

  if (!spec.spotInstance) return { spot: [], onDemand: every(false) };
  if (spec.spotFallback === 'none') return { spot: every(true), onDemand: [] };
  const [primary] = types;
  return { spot: primary === undefined ? [] : [candidate(primary, true, subnets[0])], onDemand: every(false) };
}

function candidate(instanceType: string, spot: boolean, subnetId: string | undefined): LaunchCandidate {
  return subnetId === undefined ? { instanceType, spot } : { instanceType, spot, subnetId };
}

/** "t3.small spot in subnet-0abc" — for messages and logs. */
export function describeCandidate(c: LaunchCandidate): string {
  return `${c.instanceType} ${c.spot ? 'spot' : 'on-demand'}${c.subnetId ? ` in ${c.subnetId}` : ''}`;
}
