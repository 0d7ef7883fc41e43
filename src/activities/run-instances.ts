import { RunInstancesCommand, type RunInstancesCommandInput, type Tag } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { TransientFailureType } from '../common/failures';
import type { AwsClients } from './aws-clients';
import { abortSignal } from './ec2-context';
import { toApplicationFailure } from './ec2-errors';

export interface LaunchRequest {
  region: string;
  instanceType: string;
  imageId: string;
  /** Where the image boots from; the root volume mapping goes there. */
  rootDeviceName: string;
  rootVolumeGiB: number;
  spot: boolean;
  /** Raw user data; base64-encoded here, at the edge. */
  userData?: string;
  /** Every tag the instance and its volumes get, `Name` included. */
  tags: Record<string, string>;
  subnetId?: string;
  securityGroupIds?: string[];
  /**
   * Idempotency token, stable across retries of one launch attempt: a retried call with the same
   * token returns the instance the first call launched instead of launching another (<= 64 ASCII).
   */
  clientToken: string;
}

export interface LaunchedInstance {
  instanceId: string;
  /** ISO-8601, from EC2 when it says. */
  launchedAt?: string;
}

/**
 * Launches one instance with the defaults a build VM needs: IMDSv2 only (tokens required; a hop limit
 * of 2 so containers on the VM can reach it too), an encrypted gp3 root volume deleted with the
 * instance, and the tags on the instance and its volumes.
 */
export async function runInstances(clients: AwsClients, request: LaunchRequest): Promise<LaunchedInstance> {
  const action = `RunInstances ${request.instanceType}${request.spot ? ' (spot)' : ''} in ${request.subnetId ?? request.region}`;
  const tags: Tag[] = Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value }));
  const input: RunInstancesCommandInput = {
    ImageId: request.imageId,
    InstanceType: request.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    ClientToken: request.clientToken,
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
    BlockDeviceMappings: [
      {
        DeviceName: request.rootDeviceName,
        Ebs: { VolumeSize: request.rootVolumeGiB, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
      },
    ],
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
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
    output = await clients.ec2(request.region).send(new RunInstancesCommand(input), { abortSignal: abortSignal() });
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
