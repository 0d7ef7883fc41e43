/**
 * The `vmLease` workflow's JSON contract: its input, result, `status` query and updates. Like
 * contract.ts, it changes only in ways an old caller still understands.
 */
import type { ProvisionRequest, ProvisionResult } from './contract';

/** Names of the lease's updates, as the backend and `temporal workflow update execute` send them. */
export const LeaseUpdate = {
  /** `{ "reason"?: string }`: terminate the VM and end the lease; returns once EC2 confirms. */
  destroy: 'destroy',
  /** `{ "ttl": duration }`: the lease now expires `ttl` from now; returns `{ "expiresAt" }`. */
  extend: 'extend',
  /** No argument: the current ProvisionResult once the VM is ready; fails as the provision did. */
  waitReady: 'waitReady',
} as const;

/** Input of `vmLease`: plain JSON, one argument. */
export interface LeaseRequest {
  /** The VM to hold, as `provisionInstance` takes it (passed to each child provision unchanged). */
  instance: ProvisionRequest;
  /** How long the lease lasts from its start: "24h" or milliseconds, 1m to 720h (30 days). @default "24h" */
  ttl?: string | number;
  /** What to do when the VM is stopped or terminated behind the lease's back. @default "end" */
  onInstanceLost?: 'end' | 'replace';
  /** How often the lease checks that its VM is still there: 10s to 1h. @default "1m" */
  watchInterval?: string | number;
}

export interface DestroyRequest {
  /** Why, for the log and the result (at most 500 characters). */
  reason?: string;
}

export interface ExtendRequest {
  /** The lease's new remaining time, counted from now; the lease may not outlive 30 days from its start. */
  ttl: string | number;
}

export interface ExtendResult {
  /** ISO-8601. */
  expiresAt: string;
}

export type LeasePhase = 'provisioning' | 'ready' | 'replacing' | 'tearing-down' | 'ended';
export type LeaseEnd = 'destroyed' | 'expired' | 'lost' | 'failed';

/** A VM the lease lost and replaced. */
export interface LeaseReplacement {
  /** The lost instance. */
  instanceId: string;
  /** The state the watch saw it in ("stopped", "terminated", or "not-found"). */
  state: string;
  /** ISO-8601. */
  at: string;
}

/** Why a lease's provision failed: the child run's failure type and message. */
export interface LeaseFailure {
  type: string;
  message: string;
}

/** Answer of the lease's `status` query. */
export interface LeaseStatus {
  phase: LeasePhase;
  /** The current VM once it is ready. */
  instance?: ProvisionResult;
  /** ISO-8601. */
  expiresAt: string;
  /** How many lost VMs were replaced (at most 3). */
  replacements: number;
  /** Each replacement, in order. */
  replaced: LeaseReplacement[];
  /** Every instance the lease held, in order. */
  instanceIds: string[];
  endedBy?: LeaseEnd;
  /** The `destroy` reason, when one was given. */
  reason?: string;
  failure?: LeaseFailure;
}

/** Result of `vmLease`. Whatever the end, every VM of the lease is terminated. */
export interface LeaseResult {
  endedBy: LeaseEnd;
  /** The last VM the lease held, or null when none became ready. */
  instance: ProvisionResult | null;
  instanceIds: string[];
  /** ISO-8601. */
  endedAt: string;
  replaced: LeaseReplacement[];
  reason?: string;
  /** With `endedBy: "failed"`: the provision's failure. */
  failure?: LeaseFailure;
}
