/**
 * What operators see of a run in the Temporal Web UI: its one-line summary, and the search attributes
 * that let them filter runs (`StagelyEnvironment = "pr-42"`, `InstanceId = "i-0abc..."`).
 *
 * The attributes must be registered with the namespace before a run sets them: the dev server gets
 * them from tools/local-stack.ts, other clusters from `npm run register-search-attributes`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ProvisionRequest } from './contract';
import type { LeaseRequest } from './lease-contract';

/** The environment (preview) a provision is for; set at start, or the workflow ID when a caller did not. */
export const STAGELY_ENVIRONMENT = defineSearchAttributeKey('StagelyEnvironment', SearchAttributeType.KEYWORD);
/** Set once the instance is launched. */
export const INSTANCE_ID = defineSearchAttributeKey('InstanceId', SearchAttributeType.KEYWORD);
/** The instance type actually launched (after any fallback). */
export const INSTANCE_TYPE = defineSearchAttributeKey('InstanceType', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [STAGELY_ENVIRONMENT, INSTANCE_ID, INSTANCE_TYPE] as const;

/** "small/arm64 spot in us-east-1 for pr-42": the run's static summary in the Web UI. */
export function provisionSummary(request: Partial<ProvisionRequest>, environment: string): string {
  const market = request.spotInstance ? 'spot' : 'on-demand';
  return `${String(request.size)}/${String(request.architecture)} ${market} in ${request.region ?? 'us-east-1'} for ${environment}`;
}

/** "Lease for pr-42: small/arm64 on-demand in us-east-1, ttl 24h": a lease's static summary; its current details carry the live expiry. */
export function leaseSummary(request: Partial<LeaseRequest>, environment: string): string {
  const instance = request.instance ?? ({} as Partial<ProvisionRequest>);
  const market = instance.spotInstance ? 'spot' : 'on-demand';
  return `Lease for ${environment}: ${String(instance.size)}/${String(instance.architecture)} ${market} in ${instance.region ?? 'us-east-1'}, ttl ${String(request.ttl ?? '24h')}`;
}
