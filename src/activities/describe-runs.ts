import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { RunRef, RunStatus } from '../common/reaping';

export interface RunLookup {
  /** One status per ref, in the same order. */
  statuses: RunStatus[];
  /** The namespace's retention period; absent when Temporal did not say. */
  retentionMs?: number;
}

/** Describes at a time: enough to be quick, few enough not to crowd the worker's connection. */
const CONCURRENCY = 10;

/**
 * The status of each provisioning run, through the worker's own Temporal client (the activity
 * context's), so the reaper needs no second connection or settings. A run Temporal does not know is
 * NOT_FOUND; any other error (Temporal unreachable, permissions) is thrown, so the activity retries
 * and nothing is reaped on a guess.
 */
export async function describeRuns(refs: readonly RunRef[], client: Client = Context.current().client): Promise<RunLookup> {
  const namespace = client.options.namespace;
  const described = await client.workflowService.describeNamespace({ namespace });
  const statuses: RunStatus[] = new Array<RunStatus>(refs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < refs.length) {
      const index = next++;
      const ref = refs[index];
      if (ref !== undefined) statuses[index] = await runStatus(client, ref);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, refs.length) }, worker));
  const lookup: RunLookup = { statuses };
  const retentionMs = optionalTsToMs(described.config?.workflowExecutionRetentionTtl);
  if (retentionMs !== undefined && retentionMs > 0) lookup.retentionMs = retentionMs;
  return lookup;
}

async function runStatus(client: Client, { workflowId, runId }: RunRef): Promise<RunStatus> {
  try {
    const description = await client.workflow.getHandle(workflowId, runId).describe();
    return description.status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'NOT_FOUND';
    throw error;
  }
}
