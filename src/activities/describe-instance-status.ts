import { DescribeInstanceStatusCommand, type InstanceStatus as Ec2InstanceStatus } from '@aws-sdk/client-ec2';
import { toInstanceState, type InstanceState } from '../common/instance-state';
import type { AwsClients } from './aws-clients';
import type { InstanceRef } from './describe-instance';
import { abortSignal } from './cancellation-and-heartbeats';
import { isInstanceNotFound, toApplicationFailure } from './ec2-errors';
import type { StatusCheckBatcher } from './status-check-batcher';

/** EC2's status checks of one instance, as the readiness wait reads them. */
export interface StatusChecks {
  instanceId: string;
  state: InstanceState;
  /** The instance status check: "ok", "initializing", "impaired", "insufficient-data", "not-applicable"; "unknown" when EC2 gave none. */
  instance: string;
  /** The system status check, in the same terms. */
  system: string;
  /** When the answer came (ms since the epoch, the worker's clock); the workflow times its next poll from it. */
  checkedAt: number;
}

/**
 * Reads an instance's status checks (DescribeInstanceStatus). Returns null when EC2 does not list the
 * instance yet; the caller polls again. With a batcher, concurrent reads share calls.
 */
export async function describeInstanceStatus(clients: AwsClients, ref: InstanceRef, batcher?: StatusCheckBatcher): Promise<StatusChecks | null> {
  const { region, instanceId } = ref;
  let status: Ec2InstanceStatus | null;
  try {
    status = batcher !== undefined ? await batcher.status(region, instanceId) : await describeAlone(clients, ref);
  } catch (error) {
    if (isInstanceNotFound(error)) return null;
    throw toApplicationFailure(error, `DescribeInstanceStatus ${instanceId}`);
  }
  if (status === null) return null;
  return {
    instanceId,
    state: toInstanceState(status.InstanceState?.Name),
    instance: status.InstanceStatus?.Status ?? 'unknown',
    system: status.SystemStatus?.Status ?? 'unknown',
    checkedAt: Date.now(),
  };
}

async function describeAlone(clients: AwsClients, { region, instanceId }: InstanceRef): Promise<Ec2InstanceStatus | null> {
  const command = new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true });
  const output = await clients.ec2(region).send(command, { abortSignal: abortSignal() });
  return output.InstanceStatuses?.find((s) => s.InstanceId === instanceId) ?? null;
}
