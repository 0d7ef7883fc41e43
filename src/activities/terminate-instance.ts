import { TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { abortSignal } from './ec2-context';
import { isInstanceNotFound, toApplicationFailure } from './ec2-errors';

export interface TerminationResult {
  instanceId: string;
  /** True when the instance was already terminated or unknown to EC2: nothing was left to do. */
  alreadyGone: boolean;
}

/** Terminates an instance; safe to call any number of times. */
export async function terminateInstance(ec2: EC2Client, instanceId: string): Promise<TerminationResult> {
  let output;
  try {
    output = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: abortSignal() });
  } catch (error) {
    if (isInstanceNotFound(error)) return { instanceId, alreadyGone: true };
    throw toApplicationFailure(error, `TerminateInstances ${instanceId}`);
  }
  const change = output.TerminatingInstances?.find((i) => i.InstanceId === instanceId);
  return { instanceId, alreadyGone: change?.PreviousState?.Name === 'terminated' };
}
