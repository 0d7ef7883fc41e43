/**
 * reapOrphans: terminates Stagely-managed instances that no run holds (their provisioning run and its
 * workflow's newest run failed, were cancelled, terminated or timed out, completed holding another
 * instance, or are unknown to Temporal) once they are older than a grace period, and the instances of
 * runs stuck open past the open-run limit. A provision terminates what it launched when it fails; this
 * catches what that misses (a compensation that gave up, a worker lost mid-launch, a run terminated by
 * an operator, which runs no compensation at all, a workflow task that fails for ever). Only this
 * namespace's instances are judged (docs/reaper.md). Runs on a Temporal Schedule (`npm run
 * schedules`); `dryRun` only lists.
 *
 * The decisions are src/common/reaping.ts; this file gathers the facts and acts on them.
 */
import { ApplicationFailure, log, type ActivityOptions } from '@temporalio/workflow';
import type { ManagedInstance, RunDetail } from '../activities';
import { FailureType } from '../common/failures';
import { formatDuration } from '../common/durations';
import { describeProblems } from '../common/field-checks';
import {
  KEEP_CODES,
  reapDecision,
  runRefFromTags,
  type KeepCode,
  type ReapedInstance,
  type ReapReport,
  type ReapRequest,
  type RunRef,
  type RunStatus,
  type StuckRun,
} from '../common/reaping';
import { REAP_REQUEST, validateReapRequest } from '../common/validate-reap-request';
import { call } from './activity-profiles';

/** Listing and run lookups: reads, each bounded; a failure reaps nothing and the next run tries again. */
const SCAN: ActivityOptions = {
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
};

/** A batch of terminations; the EC2 call budget may pace a large one, so allow minutes. */
const REAP: ActivityOptions = {
  startToCloseTimeout: '5m',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};

/** Runs looked up per activity, and instances terminated per activity: keeps the history short. */
const LOOKUP_BATCH = 100;
const TERMINATE_BATCH = 50;

export async function reapOrphans(request?: ReapRequest): Promise<ReapReport> {
  const checked = validateReapRequest(request);
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidSpec,
      message: describeProblems(REAP_REQUEST, checked.problems),
      nonRetryable: true,
      details: [{ problems: checked.problems }],
    });
  }
  const { graceMs, dryRun, openRunLimitMs } = checked.spec;

  const where = checked.spec.regions?.join(', ') ?? "the worker's regions";
  const listed = await call(SCAN, `List Stagely-managed instances in ${where}`).listManagedInstances(
    checked.spec.regions === undefined ? {} : { regions: checked.spec.regions },
  );

  // Results recorded before namespace IDs and newest-run lookups lack these fields; a reaper run that
  // was in flight across the deploy replays them and judges as it did then.
  const notJudged = listed.notJudged ?? [];
  for (const entry of notJudged) {
    log.warn('Not judging a managed instance without a namespace ID tag', { region: entry.region, instanceId: entry.instanceId, reason: entry.reason });
  }

  const { statuses, details, retentionMs } = await lookUpRuns(listed.instances);
  const now = Date.now();
  const reaped: ReapedInstance[] = [];
  const stuckRuns = new Map<string, StuckRun>();
  const kept = Object.fromEntries(KEEP_CODES.map((code) => [code, 0])) as Record<KeepCode, number>;
  for (const instance of listed.instances) {
    const ref = runRefFromTags(instance.workflowId, instance.runId);
    const runStatus: RunStatus = ref === undefined ? 'NO_RUN_TAGS' : (statuses.get(refKey(ref)) ?? 'UNKNOWN');
    const detail = ref === undefined ? undefined : details.get(refKey(ref));
    const decision = reapDecision({
      launchTime: instance.launchedAt,
      runStatus,
      now,
      graceMs,
      openRunLimitMs,
      instanceId: instance.instanceId,
      ...(retentionMs !== undefined && { retentionMs }),
      ...(instance.workflowId !== undefined && { workflowId: instance.workflowId }),
      ...(ref !== undefined && { runId: ref.runId }),
      ...(detail?.instanceId !== undefined && { runInstanceId: detail.instanceId }),
      ...(detail?.newest !== undefined && { newest: detail.newest }),
      ...(detail?.lease !== undefined && { lease: detail.lease }),
    });
    // Not `workflowId`/`runId`: those keys name the reaper's own run in every workflow log line.
    const facts = {
      region: instance.region,
      instanceId: instance.instanceId,
      ...(instance.workflowId !== undefined && { provisionWorkflowId: instance.workflowId }),
      ...(instance.runId !== undefined && { provisionRunId: instance.runId }),
      runStatus,
    };
    if (!decision.reap) {
      kept[decision.code]++;
      // Worth a look: an orphan the reaper will not touch, for a reason other than its youth.
      if (decision.code === 'run-may-have-expired' || decision.code === 'workflow-id-truncated' || decision.code === 'status-unclear') {
        log.warn('Keeping a managed instance the reaper cannot judge', { ...facts, reason: decision.reason });
      }
      continue;
    }
    if (decision.stuckRun !== undefined && ref !== undefined) {
      const { runId, runStatus: stuckStatus } = decision.stuckRun;
      const stuck = stuckRuns.get(runId) ?? { workflowId: ref.workflowId, runId, runStatus: stuckStatus, instanceIds: [] };
      stuck.instanceIds.push(instance.instanceId);
      stuckRuns.set(runId, stuck);
      log.warn('A provisioning run is stuck open past the open-run limit', { ...facts, stuckRunId: runId, reason: decision.reason });
    }
    log.info(dryRun ? 'Dry run: would reap orphaned instance' : 'Reaping orphaned instance', { ...facts, reason: decision.reason });
    const entry: ReapedInstance = { region: instance.region, instanceId: instance.instanceId, runStatus, code: decision.code, reason: decision.reason };
    if (instance.workflowId !== undefined) entry.workflowId = instance.workflowId;
    if (instance.runId !== undefined) entry.runId = instance.runId;
    if (instance.launchedAt !== undefined) entry.launchedAt = instance.launchedAt;
    reaped.push(entry);
  }

  if (!dryRun) await terminate(reaped);

  const report: ReapReport = {
    dryRun,
    regions: listed.regions,
    gracePeriod: formatDuration(graceMs),
    openRunLimit: formatDuration(openRunLimitMs),
    namespaceId: listed.namespaceId,
    scanned: listed.instances.length,
    reaped,
    kept,
    stuckRuns: [...stuckRuns.values()],
    notJudged,
    otherNamespaces: listed.otherNamespaces ?? 0,
  };
  log.info(dryRun ? 'Dry run finished; nothing was terminated' : 'Reaping finished', {
    scanned: report.scanned,
    reaped: reaped.length,
    stuckRuns: report.stuckRuns.length,
    notJudged: report.notJudged.length,
    otherNamespaces: report.otherNamespaces,
    regions: report.regions,
  });
  return report;
}

interface RunsFound {
  statuses: Map<string, RunStatus>;
  details: Map<string, RunDetail>;
  retentionMs?: number;
}

/** The status of every distinct run the instances name, and its workflow's newest run, a batch per activity. */
async function lookUpRuns(instances: readonly ManagedInstance[]): Promise<RunsFound> {
  const refs = new Map<string, RunRef>();
  for (const instance of instances) {
    const ref = runRefFromTags(instance.workflowId, instance.runId);
    if (ref !== undefined) refs.set(refKey(ref), ref);
  }
  const unique = [...refs.values()];
  const statuses = new Map<string, RunStatus>();
  const details = new Map<string, RunDetail>();
  let retentionMs: number | undefined;
  for (let start = 0; start < unique.length; start += LOOKUP_BATCH) {
    const batch = unique.slice(start, start + LOOKUP_BATCH);
    const lookup = await call(SCAN, `Look up ${batch.length} provisioning run${batch.length === 1 ? '' : 's'} in Temporal`).describeRuns(batch);
    batch.forEach((ref, i) => {
      statuses.set(refKey(ref), lookup.statuses[i] ?? 'UNKNOWN');
      const detail = lookup.runs?.[i];
      if (detail !== undefined) details.set(refKey(ref), detail);
    });
    retentionMs = lookup.retentionMs;
  }
  return retentionMs === undefined ? { statuses, details } : { statuses, details, retentionMs };
}

async function terminate(reaped: readonly ReapedInstance[]): Promise<void> {
  const byRegion = new Map<string, ReapedInstance[]>();
  for (const entry of reaped) byRegion.set(entry.region, [...(byRegion.get(entry.region) ?? []), entry]);
  for (const [region, entries] of byRegion) {
    for (let start = 0; start < entries.length; start += TERMINATE_BATCH) {
      const batch = entries.slice(start, start + TERMINATE_BATCH);
      await call(REAP, `Terminate ${batch.length} orphaned instance${batch.length === 1 ? '' : 's'} in ${region}`).terminateOrphans({
        region,
        instances: batch.map(({ instanceId, reason }) => ({ instanceId, reason })),
      });
    }
  }
}

function refKey({ workflowId, runId }: RunRef): string {
  return `${runId}/${workflowId}`;
}
