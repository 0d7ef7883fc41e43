import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { isGone } from '../common/instance-state';
import { nextPollAt } from '../common/poll-ticks';
import type { PauseHook } from '.';
import type { AwsClients } from './aws-clients';
import type { DescribeBatcher, PollSchedule } from './describe-batcher';
import { abortSignal } from './cancellation-and-heartbeats';
import { isInstanceNotFound, toApplicationFailure } from './ec2-errors';
import { toStatus, type InstanceStatus } from './instance-status';

/** Which instance, where: instance ids are regional. */
export interface InstanceRef {
  region: string;
  instanceId: string;
}

/**
 * A poll: the instance, and, from a workflow polling on shared ticks, the tick it is for and its
 * interval, so the worker can foresee its next poll (describe-batcher.ts).
 */
export interface PollRequest extends InstanceRef, Partial<PollSchedule> {
  /**
   * A lease's watch (workflows/vm-lease.ts): the run polls again on its next tick whatever it sees,
   * until the instance is gone, where a provision stops at the first public IP.
   */
  watch?: boolean;
}

/**
 * Reads one instance. Returns null when EC2 does not know the id: right after RunInstances that means
 * "not visible yet" (EC2 is eventually consistent), so callers keep polling within their deadline.
 * With a batcher, concurrent reads share DescribeInstances calls; without one, each makes its own.
 */
export async function describeInstance(clients: AwsClients, request: PollRequest, batcher?: DescribeBatcher, pauseAt?: PauseHook): Promise<InstanceStatus | null> {
  const { region, instanceId, dueAt, intervalMs } = request;
  const ref = { region, instanceId };
  const schedule = dueAt !== undefined && intervalMs !== undefined ? { dueAt, intervalMs } : undefined;
  await pauseAt?.('in-poll', { instanceId });
  try {
    const status = batcher !== undefined ? await batcher.describe(ref, schedule, abortSignal()) : await describeAlone(clients, ref);
    const checkedAt = Date.now();
    if (batcher !== undefined && schedule !== undefined && (status === null || ((request.watch === true || !status.publicIp) && !isGone(status.state)))) {
      // The run will poll again on the tick the workflow works out from the same answer time.
      batcher.expect(ref, nextPollAt(schedule.dueAt, checkedAt, schedule.intervalMs), schedule.intervalMs);
    }
    return status === null ? null : { ...status, checkedAt };
  } catch (error) {
    if (isInstanceNotFound(error)) return null;
    throw toApplicationFailure(error, `DescribeInstances ${instanceId}`);
  }
}

async function describeAlone(clients: AwsClients, { region, instanceId }: InstanceRef): Promise<InstanceStatus | null> {
  const output = await clients.ec2(region).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: abortSignal() });
  const instance = output.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  return instance === undefined ? null : toStatus(instanceId, instance);
}
