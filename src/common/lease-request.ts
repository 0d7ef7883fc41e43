/**
 * Validation of the `vmLease` input and of its `extend` and `destroy` updates: the same rules and
 * message style as a provision request (field-checks.ts), whose checks it reuses. Pure, so the
 * workflow, its update validators, the CLI and tests share it.
 */
import { describeType, formatDuration, parseDuration, quote } from './durations';
import type { DestroyRequest, LeaseRequest } from './lease-contract';
import { checkDuration, describeProblems, fieldName, isPlainObject, listed, type Problem as SpecProblem, type ProblemSubject, type Report } from './field-checks';
import { validateProvisionRequest } from './validate-provision-request';

export const DEFAULT_LEASE_TTL_MS = 24 * 3_600_000;
/** A lease lasts at least a minute and at most 30 days from its start (extensions included). */
export const LEASE_TTL_BOUNDS_MS = { min: 60_000, max: 30 * 24 * 3_600_000 } as const;
export const DEFAULT_WATCH_INTERVAL_MS = 60_000;
export const WATCH_INTERVAL_BOUNDS_MS = { min: 10_000, max: 3_600_000 } as const;
/** Lost VMs a lease with `onInstanceLost: "replace"` replaces before it ends as lost. */
export const MAX_REPLACEMENTS = 3;
export const MAX_REASON_LENGTH = 500;

export const ON_INSTANCE_LOST = ['end', 'replace'] as const;
export type OnInstanceLost = (typeof ON_INSTANCE_LOST)[number];

export interface LeaseSpec {
  /** The request as the caller gave it: each child provision gets it unchanged. */
  instance: LeaseRequest['instance'];
  /** The instance's region, from the validated request (for terminations and watches). */
  region: string;
  ttlMs: number;
  onInstanceLost: OnInstanceLost;
  watchIntervalMs: number;
}

export type LeaseCheck = { ok: true; spec: LeaseSpec } | { ok: false; problems: SpecProblem[] };

const KNOWN_FIELDS: readonly (keyof LeaseRequest)[] = ['instance', 'ttl', 'onInstanceLost', 'watchInterval'];

export function validateLeaseRequest(input: unknown): LeaseCheck {
  const problems: SpecProblem[] = [];
  const problem: Report = (field, message) => {
    problems.push({ field, message });
  };
  if (!isPlainObject(input)) {
    problem('(request)', `must be a JSON object with at least "instance" (got ${describeType(input)})`);
    return { ok: false, problems };
  }
  for (const key of Object.keys(input)) {
    if (!(KNOWN_FIELDS as readonly string[]).includes(key)) {
      const meant = KNOWN_FIELDS.find((known) => known.toLowerCase() === key.toLowerCase());
      problem(
        fieldName(key),
        meant ? `unknown field; field names are case-sensitive, did you mean "${meant}"?` : `unknown field; allowed fields are ${KNOWN_FIELDS.join(', ')}`,
      );
    }
  }

  let region: string | undefined;
  if (input.instance === undefined) {
    problem('instance', 'is required: the provisionInstance request of the VM to hold, e.g. {"size":"small","architecture":"arm64"}');
  } else {
    const checked = validateProvisionRequest(input.instance);
    if (checked.ok) region = checked.spec.region;
    else for (const p of checked.problems) problem(p.field === '(request)' ? 'instance' : `instance.${p.field}`, p.message);
  }

  const ttlMs = checkDuration(input.ttl, 'ttl', DEFAULT_LEASE_TTL_MS, LEASE_TTL_BOUNDS_MS, problem);
  const watchIntervalMs = checkDuration(input.watchInterval, 'watchInterval', DEFAULT_WATCH_INTERVAL_MS, WATCH_INTERVAL_BOUNDS_MS, problem);
  let onInstanceLost: OnInstanceLost | undefined = 'end';
  if (input.onInstanceLost !== undefined) {
    onInstanceLost = ON_INSTANCE_LOST.find((choice) => choice === input.onInstanceLost);
    if (onInstanceLost === undefined) problem('onInstanceLost', `must be one of "end", "replace" (got ${quote(input.onInstanceLost)})`);
  }

  if (problems.length > 0 || region === undefined || ttlMs === undefined || watchIntervalMs === undefined || onInstanceLost === undefined) {
    return { ok: false, problems: listed(problems) };
  }
  return { ok: true, spec: { instance: input.instance as LeaseRequest['instance'], region, ttlMs, onInstanceLost, watchIntervalMs } };
}

export const LEASE_REQUEST: ProblemSubject = {
  name: 'lease request',
  advice: 'Fix the request and start the lease again; nothing was launched.',
};

/** One line a person can act on, naming every problem. */
export function describeLeaseProblems(problems: readonly SpecProblem[]): string {
  return describeProblems(LEASE_REQUEST, problems);
}

/**
 * The `extend` update's argument: the new expiry (ms since the epoch), or why it is refused. The lease
 * then expires `ttl` after `now`, which must be at least a minute away and no later than 30 days after
 * the lease started.
 */
export function checkExtend(input: unknown, startedAt: number, now: number): { ok: true; expiresAt: number } | { ok: false; reason: string } {
  if (!isPlainObject(input) || input.ttl === undefined) {
    return { ok: false, reason: `Invalid extend request: must be a JSON object like {"ttl": "24h"} (got ${describeType(input)})` };
  }
  const extra = Object.keys(input).filter((key) => key !== 'ttl');
  if (extra.length > 0) return { ok: false, reason: `Invalid extend request: ${fieldName(extra[0] ?? '')}: unknown field; the only field is ttl` };
  const parsed = parseDuration(input.ttl);
  if (!parsed.ok) return { ok: false, reason: `Invalid extend request: ttl: ${parsed.reason}` };
  const ttlMs = Math.round(parsed.ms);
  const latest = startedAt + LEASE_TTL_BOUNDS_MS.max;
  if (ttlMs < LEASE_TTL_BOUNDS_MS.min) {
    return { ok: false, reason: `Invalid extend request: ttl: must be at least ${formatDuration(LEASE_TTL_BOUNDS_MS.min)} (got ${quote(input.ttl)})` };
  }
  if (now + ttlMs > latest) {
    return {
      ok: false,
      reason: `Invalid extend request: ttl: a lease lasts at most ${formatDuration(LEASE_TTL_BOUNDS_MS.max)} from its start (${new Date(startedAt).toISOString()}), so ttl may be at most ${formatDuration(Math.max(0, latest - now))} now (got ${quote(input.ttl)})`,
    };
  }
  return { ok: true, expiresAt: now + ttlMs };
}

/** The `destroy` update's argument (absent, or `{ "reason"?: string }`), or why it is refused. */
export function checkDestroy(input: unknown): { ok: true; request: DestroyRequest } | { ok: false; reason: string } {
  if (input === undefined || input === null) return { ok: true, request: {} };
  if (!isPlainObject(input)) return { ok: false, reason: `Invalid destroy request: must be a JSON object like {"reason": "PR closed"} (got ${describeType(input)})` };
  const extra = Object.keys(input).filter((key) => key !== 'reason');
  if (extra.length > 0) return { ok: false, reason: `Invalid destroy request: ${fieldName(extra[0] ?? '')}: unknown field; the only field is reason` };
  const { reason } = input as DestroyRequest;
  if (reason === undefined) return { ok: true, request: {} };
  if (typeof reason !== 'string') return { ok: false, reason: `Invalid destroy request: reason: must be a string (got ${describeType(reason)})` };
  if (reason.length > MAX_REASON_LENGTH) return { ok: false, reason: `Invalid destroy request: reason: at most ${MAX_REASON_LENGTH} characters (got ${reason.length})` };
  return { ok: true, request: { reason } };
}
