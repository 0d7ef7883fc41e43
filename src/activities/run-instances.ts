import { RunInstancesCommand, type EC2Client, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { TransientFailureType } from '../common/failures';
import { abortSignal, assertRegion } from './ec2-context';
import { toApplicationFailure } from './ec2-errors';

export interface LaunchRequest {
  region: string;
  instanceType: string;
  imageId: string;
  spot: boolean;
  /** Raw user data; base64-encoded here, at the edge. */
  userData?: string;
  /** Every tag the instance gets, `Name` included. */
  tags: Record<string, string>;
  subnetId?: string;
  securityGroupIds?: string[];
  /**
   * Idempotency token, stable for the workflow run: a retried attempt with the same token returns
   * the instance the first attempt launched instead of launching another (at most 64 ASCII chars).
   */
  clientToken: string;
}

export interface LaunchedInstance {
  instanceId: string;
  /** ISO-8601, from EC2 when it says. */
  launchedAt?: string;
}

export async function runInstances(ec2: EC2Client, request: LaunchRequest): Promise<LaunchedInstance> {
  const action = `RunInstances ${request.instanceType}${request.spot ? ' (spot)' : ''} in ${request.region}`;
  await assertRegion(ec2, request.region);
  const input: RunInstancesCommandInput = {
    ImageId: request.imageId,
    InstanceType: request.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    ClientToken: request.clientToken,
    TagSpecifications: [
      { ResourceType: 'instance', Tags: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })) },
    ],
  };
  if (request.userData !== undefined) input.UserData = Buffer.from(request.userData, 'utf8').toString('base64');
  if (request.spot) {
    // A one-time spot request that terminates on interruption: a preview VM is disposable, and a
    // persistent request would relaunch behind the workflow's back.
    input.InstanceMarketOptions = {
      MarketType: 'spot',
      SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
    };
  }
  if (request.subnetId !== undefined) input.SubnetId = request.subnetId;
  if (request.securityGroupIds !== undefined && request.securityGroupIds.length > 0) {
    input.SecurityGroupIds = request.securityGroupIds;
  }

  let output;
  try {
    output = await ec2.send(new RunInstancesCommand(input), { abortSignal: abortSignal() });
  } catch (error) {
    throw toApplicationFailure(error, action);
  }
  const instance = output.Instances?.[0];
  if (!instance?.InstanceId) {
    // Retrying is safe: the client token makes EC2 return the same reservation if one was made.
    throw ApplicationFailure.retryable(`${action} returned no instance`, TransientFailureType.Ec2Unavailable);
  }
  const result: LaunchedInstance = { instanceId: instance.InstanceId };
  if (instance.LaunchTime instanceof Date) result.launchedAt = instance.LaunchTime.toISOString();
  return result;
}
