import { Context } from '@temporalio/activity';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { WorkflowType } from '../common/contract';
import type { LeaseFacts, NewestRun, RunRef, RunStatus } from '../common/reaping';
import { INSTANCE_ID } from '../common/visibility';

export interface RunLookup {
  /** One status per ref, in the same order. */
  statuses: RunStatus[];
  /** What else Temporal said about each ref's run, in the same order. */
  runs: RunDetail[];
  /** The namespace's retention period; absent when Temporal did not say. */
  retentionMs?: number;
}

export interface RunDetail {
  /** The run's InstanceId search attribute: the instance it launched last. */
  instanceId?: string;
  /** The newest run of the ref's workflow ID, when that is another run (a reset's, or a new start's). */
  newest?: NewestRun;
  /** The lease that started the run as its child, when a `vmLease` did. */
  lease?: LeaseFacts;
}

/** Describes at a time: enough to be quick, few enough not to crowd the worker's connection. */
const CONCURRENCY = 10;

/**
 * The status of each provisioning run, and of the newest run of its workflow ID, through the worker's
 * own Temporal client (the activity context's), so the reaper needs no second connection or settings.
 * A run Temporal does not know is NOT_FOUND; any other error (Temporal unreachable, permissions) is
 * thrown, so the activity retries and nothing is reaped on a guess.
 */
export async function describeRuns(refs: readonly RunRef[], client: Client = Context.current().client): Promise<RunLookup> {
  const namespace = client.options.namespace;
  const described = await client.workflowService.describeNamespace({ namespace });
  const tagged = await inParallel(refs, (ref) => describeRun(client, ref.workflowId, ref.runId));
  const workflowIds = [...new Set(refs.map((ref) => ref.workflowId))];
  const newest = await inParallel(workflowIds, (workflowId) => describeRun(client, workflowId));
  const newestOf = new Map(workflowIds.map((id, i) => [id, newest[i]]));
  const leases = await inParallel(tagged, (run) => describeLease(client, run.parent));
  const lookup: RunLookup = {
    statuses: tagged.map((run) => run.status),
    runs: refs.map((ref, i) => {
      const detail: RunDetail = {};
      const run = tagged[i];
      if (run?.instanceId !== undefined) detail.instanceId = run.instanceId;
      const latest = newestOf.get(ref.workflowId);
      if (latest?.runId !== undefined && latest.runId !== ref.runId) {
        detail.newest = { runId: latest.runId, status: latest.status, ...(latest.instanceId !== undefined && { instanceId: latest.instanceId }) };
      }
      const lease = leases[i];
      if (run?.parent !== undefined && lease?.type === WorkflowType.vmLease) detail.lease = { workflowId: run.parent.workflowId, status: lease.status };
      return detail;
    }),
  };
  const retentionMs = optionalTsToMs(described.config?.workflowExecutionRetentionTtl);
  if (retentionMs !== undefined && retentionMs > 0) lookup.retentionMs = retentionMs;
  return lookup;
}

interface Described {
  status: RunStatus;
  /** Absent when the run was not found. */
  runId?: string;
  instanceId?: string;
  /** The workflow type; absent when the run was not found. */
  type?: string;
  /** The run that started this one as its child. */
  parent?: RunRef;
}

/**
 * The status of the lease a child run's parent belongs to: the parent run's own when it closed without
 * continuing as new, else that of its workflow ID's newest run (where the lease carries on). Only the
 * parent's type says whether it is a lease; no parent, no lookup.
 */
async function describeLease(client: Client, parent: RunRef | undefined): Promise<Described> {
  if (parent === undefined) return { status: 'NOT_FOUND' };
  const run = await describeRun(client, parent.workflowId, parent.runId);
  if (run.type !== WorkflowType.vmLease || run.status !== 'CONTINUED_AS_NEW') return run;
  return { ...(await describeRun(client, parent.workflowId)), type: run.type };
}

/** One run, or without a run ID the workflow ID's newest run. */
async function describeRun(client: Client, workflowId: string, runId?: string): Promise<Described> {
  let description: WorkflowExecutionDescription;
  try {
    description = await client.workflow.getHandle(workflowId, runId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { status: 'NOT_FOUND' };
    throw error;
  }
  const run: Described = { status: description.status.name, runId: description.runId, type: description.type };
  const { workflowId: parentId, runId: parentRunId } = description.parentExecution ?? {};
  if (parentId && parentRunId) run.parent = { workflowId: parentId, runId: parentRunId };
  const instanceId = description.typedSearchAttributes.get(INSTANCE_ID);
  if (typeof instanceId === 'string' && instanceId !== '') run.instanceId = instanceId;
  return run;
}

/** `describe` over every item, CONCURRENCY at a time, results in order. */
async function inParallel<T>(items: readonly T[], describe: (item: T) => Promise<Described>): Promise<Described[]> {
  const results = new Array<Described>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index];
      if (item !== undefined) results[index] = await describe(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}
