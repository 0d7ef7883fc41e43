import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { MANAGED_TAG, NAMESPACE_TAG, RUN_ID_TAG, WORKFLOW_ID_TAG } from '../common/tags';
import type { AwsClients } from './aws-clients';
import { abortSignal } from './ec2-context';
import { toApplicationFailure } from './ec2-errors';

/** A Stagely-managed instance, as the reaper needs to judge it. */
export interface ManagedInstance {
  region: string;
  instanceId: string;
  /** EC2's state name: pending, running, stopping or stopped. */
  state: string;
  /** ISO-8601; EC2 resets it when a stopped instance starts again. */
  launchedAt?: string;
  /** The `stagely:workflow-id` and `stagely:run-id` tags, as found. */
  workflowId?: string;
  runId?: string;
}

/**
 * States worth reaping: anything not already on its way out (shutting-down, terminated), including
 * stopped instances, whose volumes still cost money.
 */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/**
 * Every live instance tagged `stagely:managed=true` in the regions, page by page, but those another
 * Temporal namespace launched (their `stagely:namespace` tag names it): only that namespace's reaper
 * can tell whether their runs succeeded.
 */
export async function listManagedInstances(clients: AwsClients, regions: readonly string[], namespace: string): Promise<ManagedInstance[]> {
  const perRegion = await Promise.all(regions.map((region) => listRegion(clients, region, namespace)));
  return perRegion.flat();
}

async function listRegion(clients: AwsClients, region: string, namespace: string): Promise<ManagedInstance[]> {
  const found: ManagedInstance[] = [];
  let nextToken: string | undefined;
  do {
    let output;
    try {
      output = await clients.ec2(region).send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${MANAGED_TAG}`, Values: ['true'] },
            { Name: 'instance-state-name', Values: LIVE_STATES },
          ],
          MaxResults: 1000,
          NextToken: nextToken,
        }),
        { abortSignal: abortSignal() },
      );
    } catch (error) {
      throw toApplicationFailure(error, `DescribeInstances of managed instances in ${region}`);
    }
    for (const instance of output.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
      const managed = toManaged(region, instance, namespace);
      if (managed !== undefined) found.push(managed);
    }
    nextToken = output.NextToken || undefined;
  } while (nextToken !== undefined);
  return found;
}

function toManaged(region: string, instance: Instance, namespace: string): ManagedInstance | undefined {
  const state = instance.State?.Name;
  // The filters should guarantee both; an emulator or a future API that ignores one must not widen the net.
  if (!instance.InstanceId || state === undefined || !LIVE_STATES.includes(state)) return undefined;
  const tag = (key: string): string | undefined => instance.Tags?.find((t) => t.Key === key)?.Value;
  if (tag(MANAGED_TAG) !== 'true') return undefined;
  const launchedFrom = tag(NAMESPACE_TAG);
  if (launchedFrom !== undefined && launchedFrom !== namespace) return undefined;
  const managed: ManagedInstance = { region, instanceId: instance.InstanceId, state };
  if (instance.LaunchTime instanceof Date) managed.launchedAt = instance.LaunchTime.toISOString();
  const workflowId = tag(WORKFLOW_ID_TAG);
  const runId = tag(RUN_ID_TAG);
  if (workflowId !== undefined) managed.workflowId = workflowId;
  if (runId !== undefined) managed.runId = runId;
  return managed;
}
