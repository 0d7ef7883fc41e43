/**
 * Finds what a launch token launched (its `stagely:provision-token` tag) and, after a launch whose
 * outcome is unknown, terminates it: the sweep that keeps an unknown outcome from leaking a VM.
 */
import { paginateDescribeInstances, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { TransientFailureType } from '../common/failures';
import { PROVISION_TOKEN_TAG } from '../common/tags';
import type { AwsClients } from './aws-clients';
import { abortSignal } from './cancellation-and-heartbeats';
import { toApplicationFailure, type FailureOptions } from './ec2-errors';
import { isShuttingDown, toStatus, type InstanceStatus } from './instance-status';

/** Every instance launched with this token (its tag), in any state but long gone. */
export async function findLaunchedBy(clients: AwsClients, region: string, clientToken: string, failure: FailureOptions = {}): Promise<InstanceStatus[]> {
  const found: InstanceStatus[] = [];
  const pages = paginateDescribeInstances(
    { client: clients.ec2(region) },
    { Filters: [{ Name: `tag:${PROVISION_TOKEN_TAG}`, Values: [clientToken] }] },
    { abortSignal: abortSignal() },
  );
  try {
    for await (const page of pages) {
      for (const instance of page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
        if (instance.InstanceId) found.push(toStatus(instance.InstanceId, instance));
      }
    }
  } catch (error) {
    throw toApplicationFailure(error, `DescribeInstances by ${PROVISION_TOKEN_TAG}`, failure);
  }
  return found;
}

export interface TokenSweep {
  region: string;
  clientToken: string;
}

/**
 * Compensation for a launch whose outcome is unknown (its activity failed after EC2 may have accepted
 * the call): terminates whatever carries the token and returns the ids. Throws (retryably, whatever
 * the error) until EC2 reports each one shutting down, so the workflow's retry policy keeps at it.
 */
export async function terminateLaunchedBy(clients: AwsClients, { region, clientToken }: TokenSweep): Promise<string[]> {
  const live = (await findLaunchedBy(clients, region, clientToken, { retryAll: true })).filter((i) => i.state !== 'terminated');
  if (live.length === 0) return [];
  const ids = live.map((i) => i.instanceId);
  log.warn('A launch whose outcome was unknown did start instances; terminating them', { instanceIds: ids });
  let output;
  try {
    output = await clients.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: ids }), { abortSignal: abortSignal() });
  } catch (error) {
    throw toApplicationFailure(error, `TerminateInstances ${ids.join(', ')}`, { retryAll: true });
  }
  const unconfirmed = ids.filter((id) => !isShuttingDown(output.TerminatingInstances?.find((t) => t.InstanceId === id)?.CurrentState?.Name));
  if (unconfirmed.length > 0) {
    throw ApplicationFailure.retryable(`EC2 did not confirm the termination of ${unconfirmed.join(', ')}`, TransientFailureType.Ec2Unavailable);
  }
  return ids;
}
