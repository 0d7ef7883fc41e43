import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import type { NotJudgedInstance } from '../common/reaping';
import { LEGACY_NAMESPACE_TAG, MANAGED_TAG, NAMESPACE_ID_TAG, RUN_ID_TAG, WORKFLOW_ID_TAG } from '../common/tags';
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

/** What the reaper found, split by whose it is. */
export interface ManagedListing {
  /** This namespace's instances: the reaper judges these. */
  instances: ManagedInstance[];
  /** Instances without a namespace ID tag: whose they are is unknown, so they are only listed. */
  notJudged: NotJudgedInstance[];
  /** How many carry another namespace's ID. */
  otherNamespaces: number;
}

/**
 * States worth reaping: anything not already on its way out (shutting-down, terminated), including
 * stopped instances, whose volumes still cost money.
 */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/**
 * Every live instance tagged `stagely:managed=true` in the regions, page by page, split by its
 * `stagely:namespace-id` tag: this namespace's (`namespaceId`), another's (only that namespace's reaper
 * can tell whether their runs succeeded; two clusters may both name theirs `default`), or none.
 */
export async function listManagedInstances(clients: AwsClients, regions: readonly string[], namespaceId: string): Promise<ManagedListing> {
  const listing: ManagedListing = { instances: [], notJudged: [], otherNamespaces: 0 };
  const perRegion = await Promise.all(regions.map((region) => listRegion(clients, region)));
  for (const instance of perRegion.flat()) {
    const { namespaceId: launchedFrom, legacyNamespace, ...managed } = instance;
    if (launchedFrom === namespaceId) {
      listing.instances.push(managed);
    } else if (launchedFrom !== undefined) {
      listing.otherNamespaces++;
    } else {
      const { state: _, ...described } = managed;
      const entry: NotJudgedInstance = {
        ...described,
        reason: `it has no ${NAMESPACE_ID_TAG} tag (launched before the tag existed, or not by Stagely), so it may belong to another cluster's namespace`,
      };
      if (legacyNamespace !== undefined) entry.namespace = legacyNamespace;
      listing.notJudged.push(entry);
    }
  }
  return listing;
}

/** A managed instance with the namespace tags it carries. */
type Found = ManagedInstance & { namespaceId?: string; legacyNamespace?: string };

async function listRegion(clients: AwsClients, region: string): Promise<Found[]> {
  const found: Found[] = [];
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
      const managed = toManaged(region, instance);
      if (managed !== undefined) found.push(managed);
    }
    nextToken = output.NextToken || undefined;
  } while (nextToken !== undefined);
  return found;
}

function toManaged(region: string, instance: Instance): Found | undefined {
  const state = instance.State?.Name;
  // The filters should guarantee both; an emulator or a future API that ignores one must not widen the net.
  if (!instance.InstanceId || state === undefined || !LIVE_STATES.includes(state)) return undefined;
  const tag = (key: string): string | undefined => instance.Tags?.find((t) => t.Key === key)?.Value;
  if (tag(MANAGED_TAG) !== 'true') return undefined;
  const managed: Found = { region, instanceId: instance.InstanceId, state };
  if (instance.LaunchTime instanceof Date) managed.launchedAt = instance.LaunchTime.toISOString();
  const workflowId = tag(WORKFLOW_ID_TAG);
  const runId = tag(RUN_ID_TAG);
  const namespaceId = tag(NAMESPACE_ID_TAG);
  const legacyNamespace = tag(LEGACY_NAMESPACE_TAG);
  if (workflowId !== undefined) managed.workflowId = workflowId;
  if (runId !== undefined) managed.runId = runId;
  if (namespaceId !== undefined) managed.namespaceId = namespaceId;
  if (legacyNamespace !== undefined) managed.legacyNamespace = legacyNamespace;
  return managed;
}
