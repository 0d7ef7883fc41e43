import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { isGone, toInstanceState, type InstanceState } from '../common/instance-state';
import { nextPollAt } from '../common/poll-ticks';
import type { AwsClients } from './aws-clients';
import type { DescribeBatcher, PollSchedule } from './describe-batcher';
import { abortSignal } from './ec2-context';
import { isInstanceNotFound, toApplicationFailure } from './ec2-errors';
import { seam } from './test-seam';

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

export interface InstanceStatus {
  instanceId: string;
  state: InstanceState;
  publicIp?: string;
  privateIp?: string;
  /** ISO-8601. */
  launchedAt?: string;
  /** Whether EC2 reports the instance as spot (InstanceLifecycle). */
  spot: boolean;
  /**
   * When the poll had its answer (ms since the epoch, the worker's clock). A workflow's clock stands
   * still while its local activity runs, so the workflow times its next poll from this instead.
   */
  checkedAt?: number;
}

/**
 * Reads one instance. Returns null when EC2 does not know the id: right after RunInstances that means
 * "not visible yet" (EC2 is eventually consistent), so callers keep polling within their deadline.
 * With a batcher, concurrent reads share DescribeInstances calls; without one, each makes its own.
 */
export async function describeInstance(clients: AwsClients, request: PollRequest, batcher?: DescribeBatcher): Promise<InstanceStatus | null> {
  const { region, instanceId, dueAt, intervalMs } = request;
  const ref = { region, instanceId };
  const schedule = dueAt !== undefined && intervalMs !== undefined ? { dueAt, intervalMs } : undefined;
  await seam('in-poll', { instanceId });
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

/** EC2's view of one instance, as the workflow needs it. */
export function toStatus(instanceId: string, instance: Instance): InstanceStatus {
  const status: InstanceStatus = {
    instanceId,
    state: toInstanceState(instance.State?.Name),
    spot: instance.InstanceLifecycle === 'spot',
  };
  if (instance.PublicIpAddress) status.publicIp = instance.PublicIpAddress;
  if (instance.PrivateIpAddress) status.privateIp = instance.PrivateIpAddress;
  if (instance.LaunchTime instanceof Date) status.launchedAt = instance.LaunchTime.toISOString();
  return status;
}
