import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { TransientFailureType } from '../common/failures';
import type { PauseHook } from '.';
import type { AwsClients } from './aws-clients';
import type { InstanceRef } from './describe-instance';
import { abortSignal } from './cancellation-and-heartbeats';
import { isInstanceNotFound, toApplicationFailure } from './ec2-errors';
import { isShuttingDown } from './instance-status';

export interface TerminationRequest extends InstanceRef {
  /**
   * When this run launched the instance (ISO-8601). EC2 is eventually consistent: for a while after
   * launch it may not know the id yet, and "not found" then means "not visible yet", not "gone".
   */
  launchedAt?: string;
}

export interface TerminationResult {
  instanceId: string;
  /** True when the instance was already terminated or unknown to EC2: nothing was left to do. */
  alreadyGone: boolean;
}

/** How long after a launch "not found" is read as "not visible yet". */
export const VISIBILITY_WINDOW_MS = 2 * 60_000;

/**
 * Terminates an instance; safe to call any number of times. Returns only once EC2 reports the
 * instance shutting down or terminated; anything less, whatever the error, is a retryable failure, so
 * the caller's retry policy keeps going until the bill has stopped. Each failed attempt is logged with its number.
 */
export async function terminateInstance(clients: AwsClients, request: TerminationRequest, pauseAt?: PauseHook): Promise<TerminationResult> {
  const { region, instanceId } = request;
  const { attempt } = Context.current().info;
  try {
    await pauseAt?.('in-terminate', { instanceId });
    const output = await clients.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: abortSignal() });
    const change = output.TerminatingInstances?.find((i) => i.InstanceId === instanceId);
    if (!isShuttingDown(change?.CurrentState?.Name)) {
      throw ApplicationFailure.retryable(
        `TerminateInstances ${instanceId}: EC2 reports it ${change?.CurrentState?.Name ?? 'in no state'}, not shutting down`,
        TransientFailureType.Ec2Unavailable,
      );
    }
    if (attempt > 1) log.info('Termination confirmed', { instanceId, attempt });
    return { instanceId, alreadyGone: change?.PreviousState?.Name === 'terminated' };
  } catch (error) {
    if (isInstanceNotFound(error) && !recentlyLaunched(request)) return { instanceId, alreadyGone: true };
    const failure = isInstanceNotFound(error)
      ? ApplicationFailure.retryable(`TerminateInstances ${instanceId}: not visible to EC2 yet (launched ${request.launchedAt})`, TransientFailureType.Ec2Unavailable)
      : // Compensation retries everything but "not found" within its budget: giving up on one bad
        // credential refresh would leave the VM running until the reaper's next sweep.
        toApplicationFailure(error, `TerminateInstances ${instanceId}`, { retryAll: true });
    // Logged here, per attempt: a compensation that keeps failing must be visible long before it gives up.
    log.warn('Termination attempt failed; Temporal will retry', { instanceId, attempt, error: failure.message });
    throw failure;
  }
}

function recentlyLaunched({ launchedAt }: TerminationRequest): boolean {
  if (launchedAt === undefined) return false;
  const age = Date.now() - Date.parse(launchedAt);
  return Number.isFinite(age) && age < VISIBILITY_WINDOW_MS;
}
