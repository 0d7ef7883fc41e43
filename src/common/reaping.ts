/**
 * The orphan reaper's rules: which Stagely-managed instances to terminate, and why. Pure, so the
 * `reapOrphans` workflow can decide deterministically and a unit test can check every case.
 *
 * An instance is an orphan when the provisioning run that launched it (its `stagely:run-id` tag)
 * ended without success, or when no such run exists. A run that completed handed its instance to
 * Stagely, which tears it down itself: the reaper never touches it. Whenever the answer is not
 * certain, the instance is kept; a leaked VM costs money, a wrongly terminated one costs a preview.
 */
import { describeType, formatDuration, parseDuration, quote } from './durations';
import { isKnownRegion } from './regions';

/** How long after launch an orphan is left alone. @default 30 minutes */
export const DEFAULT_REAP_GRACE_MS = 30 * 60_000;
/** Bounds for `gracePeriod`: 0 (tests, emergencies) to 7 days. */
export const REAP_GRACE_BOUNDS_MS = { min: 0, max: 7 * 24 * 3_600_000 } as const;

/**
 * How far before the namespace's retention period a missing run stops counting as an orphan's. Runs
 * close after their instance launched, and Temporal deletes a run only a retention period after it
 * closed; so a run missing while its instance is younger than that was never in this namespace.
 * Older than that, the run may have completed and been deleted: keep. The margin absorbs clock skew
 * between EC2 and Temporal and a retention shortened since.
 */
export const RETENTION_MARGIN_MS = 60 * 60_000;

/** EC2 tag values are at most 256 characters; provenanceTags cuts longer workflow IDs to that. */
const MAX_TAG_VALUE = 256;

/** Temporal run IDs are UUIDs; the server refuses anything else. */
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Input of the `reapOrphans` workflow. Every field is optional. */
export interface ReapRequest {
  /** Regions to scan. @default the worker's STAGELY_REAPER_REGIONS, else its AWS_REGION */
  regions?: string[];
  /** How long after launch an orphan is left alone: "30m" or milliseconds. @default "30m" */
  gracePeriod?: string | number;
  /** List what would be terminated; terminate nothing. @default false */
  dryRun?: boolean;
}

export interface ReapSpec {
  /** Undefined: the worker's configured regions. */
  regions?: string[];
  graceMs: number;
  dryRun: boolean;
}

export type ReapCheck = { ok: true; spec: ReapSpec } | { ok: false; problems: string[] };

export function validateReapRequest(input: unknown): ReapCheck {
  if (input === undefined || input === null) return { ok: true, spec: { graceMs: DEFAULT_REAP_GRACE_MS, dryRun: false } };
  if (typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, problems: [`(request): must be a JSON object (got ${describeType(input)})`] };
  }
  const fields = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(fields)) {
    if (!['regions', 'gracePeriod', 'dryRun'].includes(key)) problems.push(`${key}: unknown field; allowed fields are regions, gracePeriod, dryRun`);
  }

  let regions: string[] | undefined;
  if (fields.regions !== undefined) {
    if (!Array.isArray(fields.regions) || fields.regions.length === 0) {
      problems.push('regions: must be a non-empty array of AWS region codes; omit it for the worker\'s regions');
    } else {
      regions = [];
      for (const region of fields.regions as unknown[]) {
        if (typeof region !== 'string' || !isKnownRegion(region)) problems.push(`regions: ${quote(region)} is not an AWS region`);
        else if (regions.includes(region)) problems.push(`regions: ${quote(region)} is named twice`);
        else regions.push(region);
      }
    }
  }

  let graceMs = DEFAULT_REAP_GRACE_MS;
  if (fields.gracePeriod !== undefined) {
    const parsed = parseDuration(fields.gracePeriod);
    const { min, max } = REAP_GRACE_BOUNDS_MS;
    if (!parsed.ok) problems.push(`gracePeriod: ${parsed.reason}`);
    else if (parsed.ms < min || parsed.ms > max) problems.push(`gracePeriod: must be between 0 and ${formatDuration(max)}`);
    else graceMs = parsed.ms;
  }

  if (fields.dryRun !== undefined && typeof fields.dryRun !== 'boolean') {
    problems.push(`dryRun: must be true or false (got ${describeType(fields.dryRun)})`);
  }

  if (problems.length > 0) return { ok: false, problems };
  const spec: ReapSpec = { graceMs, dryRun: fields.dryRun === true };
  if (regions !== undefined) spec.regions = regions;
  return { ok: true, spec };
}

export function describeReapProblems(problems: readonly string[]): string {
  return `Invalid reapOrphans request (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}. Nothing was terminated.`;
}

/** A provisioning run, as an instance's tags name it. */
export interface RunRef {
  workflowId: string;
  runId: string;
}

/**
 * The run an instance's tags point at, or undefined when the tags are missing or cannot name a run
 * (a run ID that is not a UUID). Only Stagely sets `stagely:` tags, all of them in the launch call.
 */
export function runRefFromTags(workflowId: string | undefined, runId: string | undefined): RunRef | undefined {
  if (!workflowId || !runId || !RUN_ID.test(runId)) return undefined;
  return { workflowId, runId };
}

/**
 * What Temporal said about a run: its status name (as the client reports it), `NOT_FOUND`, or
 * `NO_RUN_TAGS` when the instance names no run at all.
 */
export type RunStatus =
  | 'COMPLETED'
  | 'RUNNING'
  | 'PAUSED'
  | 'CONTINUED_AS_NEW'
  | 'FAILED'
  | 'CANCELLED'
  | 'TERMINATED'
  | 'TIMED_OUT'
  | 'UNSPECIFIED'
  | 'UNKNOWN'
  | 'NOT_FOUND'
  | 'NO_RUN_TAGS';

/** Why an instance was reaped. */
export type ReapCode = 'run-failed' | 'run-cancelled' | 'run-terminated' | 'run-timed-out' | 'run-unknown' | 'no-run-tags';
/** Why an instance was kept. */
export type KeepCode =
  | 'run-completed'
  | 'run-open'
  | 'run-continued-as-new'
  | 'status-unclear'
  | 'launch-time-unknown'
  | 'within-grace'
  | 'run-may-have-expired'
  | 'workflow-id-truncated';

export const KEEP_CODES: readonly KeepCode[] = [
  'run-completed',
  'run-open',
  'run-continued-as-new',
  'status-unclear',
  'launch-time-unknown',
  'within-grace',
  'run-may-have-expired',
  'workflow-id-truncated',
];

export type ReapDecision = { reap: true; code: ReapCode; reason: string } | { reap: false; code: KeepCode; reason: string };

export interface ReapFacts {
  /** EC2's LaunchTime (ISO-8601 or epoch ms); undefined when EC2 did not say. */
  launchTime: string | number | undefined;
  runStatus: RunStatus;
  /** Workflow time, epoch ms. */
  now: number;
  graceMs: number;
  /** The namespace's retention period; undefined when Temporal did not say. */
  retentionMs?: number;
  /** The instance's `stagely:workflow-id` tag, to spot one cut at EC2's 256-character limit. */
  workflowId?: string;
}

const ORPHAN: Partial<Record<RunStatus, { code: ReapCode; why: string }>> = {
  FAILED: { code: 'run-failed', why: 'its provisioning run failed' },
  CANCELLED: { code: 'run-cancelled', why: 'its provisioning run was cancelled' },
  TERMINATED: { code: 'run-terminated', why: 'its provisioning run was terminated' },
  TIMED_OUT: { code: 'run-timed-out', why: 'its provisioning run timed out' },
  NOT_FOUND: { code: 'run-unknown', why: 'its provisioning run is unknown to Temporal' },
  NO_RUN_TAGS: { code: 'no-run-tags', why: 'it names no provisioning run (no stagely:workflow-id/stagely:run-id tags)' },
};

/** Whether to terminate one managed instance, with the reason a person reads in the log and report. */
export function reapDecision(facts: ReapFacts): ReapDecision {
  const { runStatus, now, graceMs } = facts;
  if (runStatus === 'COMPLETED') return keep('run-completed', 'its provisioning run completed: the instance belongs to Stagely');
  if (runStatus === 'RUNNING' || runStatus === 'PAUSED') return keep('run-open', 'its provisioning run is still open');
  // provisionInstance never continues as new; if a future version does, the new run owns the instance.
  if (runStatus === 'CONTINUED_AS_NEW') return keep('run-continued-as-new', 'its provisioning run continued as new');
  const orphan = ORPHAN[runStatus];
  if (orphan === undefined) return keep('status-unclear', `Temporal reports the run as ${runStatus}`);

  const launched = typeof facts.launchTime === 'number' ? facts.launchTime : Date.parse(facts.launchTime ?? '');
  if (!Number.isFinite(launched)) return keep('launch-time-unknown', `${orphan.why}, but EC2 did not say when it launched`);
  const age = Math.max(0, now - launched);
  if (age < graceMs) {
    return keep('within-grace', `${orphan.why}, but it launched ${formatDuration(age)} ago, within the ${formatDuration(graceMs)} grace period`);
  }
  if (runStatus === 'NOT_FOUND') {
    if (facts.workflowId !== undefined && facts.workflowId.length >= MAX_TAG_VALUE) {
      return keep('workflow-id-truncated', 'its stagely:workflow-id tag may be cut at 256 characters, so the run cannot be looked up');
    }
    if (facts.retentionMs === undefined || age >= facts.retentionMs - RETENTION_MARGIN_MS) {
      return keep(
        'run-may-have-expired',
        `its provisioning run is unknown to Temporal, but it launched ${formatDuration(age)} ago, near or past the namespace's retention period: a completed run may have been deleted`,
      );
    }
  }
  return { reap: true, code: orphan.code, reason: `${orphan.why}; launched ${formatDuration(age)} ago (grace period ${formatDuration(graceMs)})` };
}

function keep(code: KeepCode, reason: string): ReapDecision {
  return { reap: false, code, reason };
}

/** One instance the reaper terminated (or, in a dry run, would have). */
export interface ReapedInstance {
  region: string;
  instanceId: string;
  workflowId?: string;
  runId?: string;
  /** ISO-8601. */
  launchedAt?: string;
  runStatus: RunStatus;
  code: ReapCode;
  reason: string;
}

/** Result of `reapOrphans`. */
export interface ReapReport {
  dryRun: boolean;
  regions: string[];
  /** The grace period applied, e.g. "30m". */
  gracePeriod: string;
  /** Managed instances found that were not already shutting down or terminated. */
  scanned: number;
  /** Terminated (dry run: would be terminated), each with its reason. */
  reaped: ReapedInstance[];
  /** How many were kept, by reason. */
  kept: Record<KeepCode, number>;
}
