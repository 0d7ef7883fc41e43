/**
 * The orphan reaper's rules: which Stagely-managed instances to terminate, and why. Pure, so the
 * `reapOrphans` workflow can decide deterministically and a unit test can check every case.
 *
 * An instance belongs to the run that launched it (its `stagely:run-id` tag) and to the newest run of
 * that workflow ID: `temporal workflow reset` ends the tagged run and hands its instance to a new run
 * that replays the launch. It is kept while either run is open, or while either completed holding it
 * (its InstanceId search attribute names the instance); a run that completed handed its instance to
 * Stagely, which tears it down itself. It is an orphan when neither holds it: the runs ended without
 * success, or completed holding another instance, or do not exist. A run still open long past any
 * legal provision (DEFAULT_OPEN_RUN_LIMIT_MS) is stuck, and its instance is reaped too. Whenever the
 * answer is not certain, the instance is kept; a leaked VM costs money, a wrongly terminated one
 * costs a preview. An instance a lease's child provision handed to the lease is judged by the lease:
 * kept while it is open, an orphan once it has closed in any way.
 */
import { CLEANUP_BUDGET_MS, LAUNCH_BUDGET_MS } from './activity-budgets';
import type { Duration, Region } from './contract';
import { formatDuration } from './durations';
import { IP_WAIT_TIMEOUT_BOUNDS_MS } from './validate-provision-request';
import type { Problem } from './field-checks';

/** How long after launch an orphan is left alone. @default 30 minutes */
export const DEFAULT_REAP_GRACE_MS = 30 * 60_000;
/** Bounds for `gracePeriod`: 0 (tests, emergencies) to 7 days. */
export const REAP_GRACE_BOUNDS_MS = { min: 0, max: 7 * 24 * 3_600_000 } as const;

/**
 * How long after its launch an instance's run may still be open: the longest legal provision after
 * launch (the adopting launch attempt's budget, the longest ipWaitTimeout, then a cleanup's budget:
 * 2h05m), rounded up to the hour for workflow tasks that ran late. A run open longer than that is
 * stuck (a workflow task that fails for ever: non-determinism, an undecodable payload). 3 hours.
 */
export const DEFAULT_OPEN_RUN_LIMIT_MS = Math.ceil((LAUNCH_BUDGET_MS + IP_WAIT_TIMEOUT_BOUNDS_MS.max + CLEANUP_BUDGET_MS) / 3_600_000) * 3_600_000;
/** Bounds for `openRunLimit`: 0 (tests, emergencies) to 7 days, as for the grace period. */
export const OPEN_RUN_LIMIT_BOUNDS_MS = REAP_GRACE_BOUNDS_MS;

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

/** Input of the `reapOrphans` workflow. Every field is optional; unknown fields are refused. */
export interface ReapRequest {
  /**
   * Regions to scan: AWS region codes the worker knows, each named once. Left out: the worker's
   * STAGELY_REAPER_REGIONS, else its AWS_REGION.
   * @minItems 1
   * @uniqueItems true
   */
  regions?: Region[];
  /** How long after launch an orphan is left alone: "30m" or milliseconds; from 0 to 7 days. @default "30m" */
  gracePeriod?: Duration;
  /** List what would be terminated; terminate nothing. @default false */
  dryRun?: boolean;
  /**
   * How long after launch an instance's provisioning run may stay open before it counts as stuck and
   * the instance is reaped: "3h" or milliseconds; from 0 to 7 days (DEFAULT_OPEN_RUN_LIMIT_MS).
   * @default "3h"
   */
  openRunLimit?: Duration;
}

/** `details[0]` of the InvalidSpec failure of `reapOrphans`: each problem with the field it is about. */
export interface ReapInvalidSpecDetails {
  problems: Problem[];
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
export type ReapCode =
  | 'run-failed'
  | 'run-cancelled'
  | 'run-terminated'
  | 'run-timed-out'
  | 'run-unknown'
  | 'no-run-tags'
  | 'run-completed-without-it'
  | 'run-open-too-long'
  | 'lease-closed';
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

export type ReapDecision =
  | {
      reap: true;
      code: ReapCode;
      reason: string;
      /** With `run-open-too-long`: the open run that is stuck (the tagged run or its workflow's newest). */
      stuckRun?: { runId: string; runStatus: RunStatus };
    }
  | { reap: false; code: KeepCode; reason: string };

/** What Temporal said about one run, beyond its status. */
export interface RunFacts {
  status: RunStatus;
  /** Its InstanceId search attribute: the instance it launched last, which a completed run holds. */
  instanceId?: string;
}

/** The newest run of a workflow ID, when it is not the tagged run (after a reset, or a new start). */
export interface NewestRun extends RunFacts {
  runId: string;
}

/**
 * The lease (a `vmLease` run) that started the tagged provisioning run as its child. A provision that
 * completed handed its instance to the lease, so the lease judges it: kept while the lease is open,
 * an orphan once it has closed.
 */
export interface LeaseFacts {
  workflowId: string;
  /**
   * The lease's status now: that of its newest run, or of the run that started the child when that run
   * closed without continuing as new. A lease whose workflow ID has since been reused by another lease
   * may still count as open: that keeps the instance, the safe way to be wrong.
   */
  status: RunStatus;
}

export interface ReapFacts {
  /** EC2's LaunchTime (ISO-8601 or epoch ms); undefined when EC2 did not say. */
  launchTime: string | number | undefined;
  /** The status of the run the instance's tags name. */
  runStatus: RunStatus;
  /** Workflow time, epoch ms. */
  now: number;
  graceMs: number;
  /** The namespace's retention period; undefined when Temporal did not say. */
  retentionMs?: number;
  /** The instance's `stagely:workflow-id` tag, to spot one cut at EC2's 256-character limit. */
  workflowId?: string;
  /** The instance judged; with the runs' InstanceId attributes, says whether a completed run holds it. */
  instanceId?: string;
  /** The tagged run's InstanceId search attribute. */
  runInstanceId?: string;
  /** The tagged run's ID, to name it when it is stuck. */
  runId?: string;
  /** The newest run of the workflow ID when it is another run than the tagged one. */
  newest?: NewestRun;
  /** Open runs older than this (after the instance's launch) are stuck; undefined: never. */
  openRunLimitMs?: number;
  /** The lease that started the tagged run, when a lease did. */
  lease?: LeaseFacts;
}

const ORPHAN: Partial<Record<RunStatus, { code: ReapCode; why: string }>> = {
  FAILED: { code: 'run-failed', why: 'its provisioning run failed' },
  CANCELLED: { code: 'run-cancelled', why: 'its provisioning run was cancelled' },
  TERMINATED: { code: 'run-terminated', why: 'its provisioning run was terminated' },
  TIMED_OUT: { code: 'run-timed-out', why: 'its provisioning run timed out' },
  NOT_FOUND: { code: 'run-unknown', why: 'its provisioning run is unknown to Temporal' },
  NO_RUN_TAGS: { code: 'no-run-tags', why: 'it names no provisioning run (no stagely:workflow-id/stagely:run-id tags)' },
};

const OPEN: readonly RunStatus[] = ['RUNNING', 'PAUSED'];
/** Statuses the rules understand; any other answer keeps the instance. */
const KNOWN: readonly RunStatus[] = [...OPEN, 'COMPLETED', 'CONTINUED_AS_NEW', ...(Object.keys(ORPHAN) as RunStatus[])];

/** Whether to terminate one managed instance, with the reason a person reads in the log and report. */
export function reapDecision(facts: ReapFacts): ReapDecision {
  const { runStatus, now, graceMs, newest } = facts;
  const launched = typeof facts.launchTime === 'number' ? facts.launchTime : Date.parse(facts.launchTime ?? '');
  const age = Number.isFinite(launched) ? Math.max(0, now - launched) : undefined;
  const unclear = [runStatus, newest?.status].find((status) => status !== undefined && !KNOWN.includes(status));
  if (unclear !== undefined) return keep('status-unclear', `Temporal reports the run as ${unclear}`);

  // While the tagged run or its workflow's newest run (a reset's) is open, either may hold the instance.
  const openRun = OPEN.includes(runStatus)
    ? { runId: facts.runId ?? '', runStatus, which: 'its provisioning run' }
    : newest !== undefined && OPEN.includes(newest.status)
      ? { runId: newest.runId, runStatus: newest.status, which: `a newer run of its workflow (${newest.runId}, after a reset or a new start)` }
      : undefined;
  if (openRun !== undefined) {
    const { which, runId, runStatus: status } = openRun;
    const limit = facts.openRunLimitMs;
    if (limit === undefined || age === undefined || age < Math.max(limit, graceMs)) return keep('run-open', `${which} is still open`);
    return {
      reap: true,
      code: 'run-open-too-long',
      reason: `${which} is still open ${formatDuration(age)} after the launch, past the ${formatDuration(limit)} limit: it is stuck`,
      stuckRun: { runId, runStatus: status },
    };
  }
  // provisionInstance never continues as new; if a future version does, the new run owns the instance.
  if (runStatus === 'CONTINUED_AS_NEW' || newest?.status === 'CONTINUED_AS_NEW') return keep('run-continued-as-new', 'its provisioning run continued as new');

  if (runStatus === 'COMPLETED' && facts.lease !== undefined) {
    const { workflowId, status } = facts.lease;
    if (OPEN.includes(status)) return keep('run-open', `its lease ${workflowId} is open`);
    // NOT_FOUND cannot mean "closed and deleted": a lease closes after its child, so it outlives it.
    if (!KNOWN.includes(status) || status === 'CONTINUED_AS_NEW' || status === 'NOT_FOUND') return keep('status-unclear', `Temporal reports its lease ${workflowId} as ${status}`);
    return orphanPastGrace({ code: 'lease-closed', why: `its lease ${workflowId} has closed (${status})` }, age, graceMs);
  }

  // A completed run hands the instance it holds to Stagely. One that names no instance (or a caller
  // that did not say which instance this is) might hold this one: keep.
  const runs = [{ which: 'its provisioning run', status: runStatus, instanceId: facts.runInstanceId }];
  if (newest !== undefined) runs.push({ which: `a newer run of its workflow (${newest.runId})`, status: newest.status, instanceId: newest.instanceId });
  for (const { which, status, instanceId } of runs) {
    if (status !== 'COMPLETED') continue;
    if (facts.instanceId === undefined || instanceId === undefined) return keep('run-completed', `${which} completed: the instance belongs to Stagely`);
    if (instanceId === facts.instanceId) return keep('run-completed', `${which} completed holding it: the instance belongs to Stagely`);
  }

  const orphan =
    runStatus === 'COMPLETED'
      ? { code: 'run-completed-without-it' as const, why: `its provisioning run completed holding another instance (${facts.runInstanceId ?? ''})` }
      : ORPHAN[runStatus];
  if (orphan === undefined) return keep('status-unclear', `Temporal reports the run as ${runStatus}`);
  if (runStatus === 'NOT_FOUND' && age !== undefined && age >= graceMs) {
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
  return orphanPastGrace(orphan, age, graceMs);
}

/** An orphan is reaped once EC2 says it launched longer ago than the grace period. */
function orphanPastGrace(orphan: { code: ReapCode; why: string }, age: number | undefined, graceMs: number): ReapDecision {
  if (age === undefined) return keep('launch-time-unknown', `${orphan.why}, but EC2 did not say when it launched`);
  if (age < graceMs) {
    return keep('within-grace', `${orphan.why}, but it launched ${formatDuration(age)} ago, within the ${formatDuration(graceMs)} grace period`);
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

/** A run open past the open-run limit, and the instances reaped because of it. */
export interface StuckRun {
  workflowId: string;
  runId: string;
  runStatus: RunStatus;
  instanceIds: string[];
}

/**
 * A managed instance without a `stagely:namespace-id` tag (launched before the tag existed, or not by
 * Stagely): it may belong to another cluster's namespace of the same name, so it is never reaped.
 */
export interface NotJudgedInstance {
  region: string;
  instanceId: string;
  workflowId?: string;
  runId?: string;
  /** The `stagely:namespace` tag (a namespace name) that instances launched before the ID carry. */
  namespace?: string;
  /** ISO-8601. */
  launchedAt?: string;
  reason: string;
}

/** Result of `reapOrphans`. */
export interface ReapReport {
  dryRun: boolean;
  regions: string[];
  /** The grace period applied, e.g. "30m". */
  gracePeriod: string;
  /** The open-run limit applied, e.g. "3h". */
  openRunLimit: string;
  /** The ID of the namespace whose instances were judged (their `stagely:namespace-id` tag). */
  namespaceId: string;
  /** This namespace's managed instances found that were not already shutting down or terminated. */
  scanned: number;
  /** Terminated (dry run: would be terminated), each with its reason. */
  reaped: ReapedInstance[];
  /** How many were kept, by reason. */
  kept: Record<KeepCode, number>;
  /** Runs open past the open-run limit; their instances are in `reaped` (code run-open-too-long). */
  stuckRuns: StuckRun[];
  /** Managed instances without a namespace ID tag: listed, never reaped. */
  notJudged: NotJudgedInstance[];
  /** Managed instances tagged with another namespace's ID: left to that namespace's reaper. */
  otherNamespaces: number;
}
