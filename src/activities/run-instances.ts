import { RunInstancesCommand, type RunInstancesCommandInput, type Tag } from '@aws-sdk/client-ec2';
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { TransientFailureType } from '../common/failures';
import { provenanceTags } from '../common/tags';
import type { PauseHook } from '.';
import type { AwsClients } from './aws-clients';
import { withActivityAttempt } from './attempt-details';
import { abortSignal, whileHeartbeating } from './cancellation-and-heartbeats';
import { toApplicationFailure } from './ec2-errors';
import { findLaunchedBy } from './launch-token-sweep';

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
  /** True when an earlier attempt had launched it and this one found it by its token. */
  adopted?: boolean;
}

/**
 * Launches one instance with the defaults a build VM needs: IMDSv2 only (tokens required; a hop limit
 * of 2 so containers on the VM can reach it too), an encrypted gp3 root volume deleted with the
 * instance, and the tags on the instance and its volumes, Stagely's provenance tags included.
 *
 * Never launches twice for one token. EC2 honours the ClientToken, but emulators ignore it and a
 * retry can race EC2's eventual consistency, so the instance also carries the token as a tag, and a
 * retried attempt (worker killed after EC2 accepted the call, time-out, connection cut on the answer)
 * first looks for a live instance with that tag and adopts it. The SDK does not resend RunInstances
 * itself: every resend goes through that look-up, as an activity retry.
 */
export async function runInstances(clients: AwsClients, request: LaunchRequest, namespaceId?: string, pauseAt?: PauseHook): Promise<LaunchedInstance> {
  const action = `RunInstances ${request.instanceType}${request.spot ? ' (spot)' : ''} in ${request.subnetId ?? request.region}`;
  const { info } = Context.current();
  if (info.attempt > 1) {
    // Heartbeats through the look-up too: throttled and budgeted, it can outlast the heartbeat timeout,
    // which would time the attempt out before it ever launched. From here to the end of the call below,
    // nothing waits without heartbeating.
    const earlier = await whileHeartbeating(() => findLaunchedBy(clients, request.region, request.clientToken));
    const live = earlier.find((i) => i.state !== 'terminated');
    if (live !== undefined) {
      log.warn('An earlier attempt had launched the instance; adopting it', { instanceId: live.instanceId, attempt: info.attempt });
      return { instanceId: live.instanceId, adopted: true, ...(live.launchedAt !== undefined && { launchedAt: live.launchedAt }) };
    }
  }
  const provenance = provenanceTags({
    namespaceId,
    workflowId: info.workflowExecution?.workflowId ?? '',
    runId: info.workflowExecution?.runId ?? '',
    token: request.clientToken,
  });
  const tags: Tag[] = Object.entries({ ...request.tags, ...provenance }).map(([Key, Value]) => ({ Key, Value }));
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
    // Heartbeats while EC2 answers, so a worker that dies here is noticed in seconds, not a minute.
    output = await whileHeartbeating(() => clients.ec2(request.region).send(sendOnce(new RunInstancesCommand(input)), { abortSignal: abortSignal() }));
  } catch (error) {
    throw withActivityAttempt(toApplicationFailure(error, action), info.attempt);
  }
  const instance = output.Instances?.[0];
  if (!instance?.InstanceId) {
    // Retrying is safe: the client token makes EC2 return the same reservation if one was made.
    throw ApplicationFailure.retryable(`${action} returned no instance`, TransientFailureType.Ec2Unavailable);
  }
  const result: LaunchedInstance = { instanceId: instance.InstanceId };
  if (instance.LaunchTime instanceof Date) result.launchedAt = instance.LaunchTime.toISOString();
  await pauseAt?.('after-run-instances', { instanceId: instance.InstanceId });
  return result;
}

/**
 * The command with the SDK's own retries switched off, so a resend never bypasses the token look-up
 * above: the override replaces the client's retry middleware (same name, step and priority) for this
 * one command. Temporal retries the activity instead, with backoff.
 */
function sendOnce(command: RunInstancesCommand): RunInstancesCommand {
  command.middlewareStack.add((next) => (args) => next(args), {
    name: 'retryMiddleware',
    tags: ['RETRY'],
    step: 'finalizeRequest',
    priority: 'high',
    override: true,
  });
  return command;
}
