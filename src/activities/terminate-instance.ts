import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from './aws-clients';
import type { InstanceRef } from './describe-instance';
import { abortSignal } from './ec2-context';
import { isInstanceNotFound, toApplicationFailure } from './ec2-errors';

export interface TerminationResult {
  instanceId: string;
  /** True when the instance was already terminated or unknown to EC2: nothing was left to do. */
  alreadyGone: boolean;
}

/** Terminates an instance; safe to call any number of times. */
export async function terminateInstance(clients: AwsClients, { region, instanceId }: InstanceRef): Promise<TerminationResult> {
  let output;
  try {
    output = await clients.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: abortSignal() });
  } catch (error) {
    if (isInstanceNotFound(error)) return { instanceId, alreadyGone: true };
    throw toApplicationFailure(error, `TerminateInstances ${instanceId}`);
  }
  const change = output.TerminatingInstances?.find((i) => i.InstanceId === instanceId);
  return { instanceId, alreadyGone: change?.PreviousState?.Name === 'terminated' };
}
