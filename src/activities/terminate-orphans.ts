import { log } from '@temporalio/activity';
import type { AwsClients } from './aws-clients';
import { terminateInstance, type TerminationResult } from './terminate-instance';

export interface OrphanBatch {
  region: string;
  /** Each with the reason it is reaped, for the worker's log. */
  instances: { instanceId: string; reason: string }[];
}

/**
 * Terminates a batch of orphans in one region, one idempotent TerminateInstances call each (a
 * shared call would fail whole when one id has gone meanwhile). A retry repeats the batch harmlessly.
 */
export async function terminateOrphans(clients: AwsClients, { region, instances }: OrphanBatch): Promise<TerminationResult[]> {
  const results: TerminationResult[] = [];
  for (const { instanceId, reason } of instances) {
    const result = await terminateInstance(clients, { region, instanceId });
    log.info('Reaped orphaned instance', { region, instanceId, reason, alreadyGone: result.alreadyGone });
    results.push(result);
  }
  return results;
}
