import { paginateDescribeInstances } from '@aws-sdk/client-ec2';
import type { NotJudgedInstance } from '../common/reaping';
import { MANAGED_TAG, NAMESPACE_ID_TAG } from '../common/tags';
import type { AwsClients } from './aws-clients';
import { abortSignal } from './cancellation-and-heartbeats';
import { toApplicationFailure } from './ec2-errors';
import { LIVE_STATES, toManaged, type ManagedInstance, type TaggedManagedInstance } from './instance-status';

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

async function listRegion(clients: AwsClients, region: string): Promise<TaggedManagedInstance[]> {
  const found: TaggedManagedInstance[] = [];
  const pages = paginateDescribeInstances(
    { client: clients.ec2(region), pageSize: 1000 },
    {
      Filters: [
        { Name: `tag:${MANAGED_TAG}`, Values: ['true'] },
        { Name: 'instance-state-name', Values: LIVE_STATES },
      ],
    },
    { abortSignal: abortSignal() },
  );
  try {
    for await (const page of pages) {
      for (const instance of page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
        const managed = toManaged(region, instance);
        if (managed !== undefined) found.push(managed);
      }
    }
  } catch (error) {
    throw toApplicationFailure(error, `DescribeInstances of managed instances in ${region}`);
  }
  return found;
}
