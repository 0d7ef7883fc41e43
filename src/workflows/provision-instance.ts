/**
 * provisionInstance: validate, launch one EC2 instance, wait (durably) for its public IP.
 *
 * Whatever was launched is terminated whenever the run does not succeed — deadline, lost instance,
 * activity failure or cancellation — so a failed run never leaves a VM running on the bill.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, InstanceStatus, LaunchedInstance } from '../activities';
import {
  STATUS_QUERY,
  type ProvisionRequest,
  type ProvisionResult,
  type ProvisionStatus,
} from '../common/contract';
import { formatDuration } from '../common/durations';
import { FailureType } from '../common/failures';
import { imageFor } from '../common/images';
import { isGone } from '../common/instance-state';
import { instanceTypeFor } from '../common/instance-types';
import { describeProblems, validateProvisionRequest, type ProvisionSpec } from '../common/validate-request';

// One proxy per timeout profile. Every profile is bounded: the SDK's default retries are unlimited.

/** Launch: a RunInstances call takes seconds; throttling may need a few minutes of backoff. */
const launch = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** Polling: short, because the next poll is only one interval away and the deadline bounds the loop. */
const poll = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
});

/** Compensation: keep trying for a long time; giving up means paying for a leaked VM. */
const cleanup = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export const statusQuery = defineQuery<ProvisionStatus>(STATUS_QUERY);

export async function provisionInstance(request: ProvisionRequest): Promise<ProvisionResult> {
  const status: ProvisionStatus = { phase: 'validating', polls: 0 };
  setHandler(statusQuery, () => ({ ...status }));

  const checked = validateProvisionRequest(request);
  if (!checked.ok) {
    status.phase = 'failed';
    throw ApplicationFailure.create({
      type: FailureType.InvalidSpec,
      message: describeProblems(checked.problems),
      nonRetryable: true,
      details: [{ problems: checked.problems }],
    });
  }
  const spec = checked.spec;
  const instanceType = instanceTypeFor(spec.size, spec.architecture);
  const imageId = imageFor(spec.region, spec.architecture);
  if (imageId === undefined) {
    // Validation admits only regions with images; this guards the table and the validator drifting apart.
    throw ApplicationFailure.nonRetryable(`No image configured for ${spec.architecture} in ${spec.region}`, FailureType.InvalidSpec);
  }

  status.phase = 'launching';
  // Not cancellable: once RunInstances is sent the instance may exist, and only a completed call tells
  // us its id. A cancellation that arrives meanwhile takes effect at the next await, with the id known.
  const launched = await CancellationScope.nonCancellable(() =>
    launch.runInstances({
      region: spec.region,
      instanceType,
      imageId,
      spot: spec.spotInstance,
      tags: spec.tags,
      clientToken: workflowInfo().runId,
      ...(spec.userData !== undefined && { userData: spec.userData }),
      ...(spec.subnetId !== undefined && { subnetId: spec.subnetId }),
      ...(spec.securityGroupIds.length > 0 && { securityGroupIds: spec.securityGroupIds }),
    }),
  );
  status.instanceId = launched.instanceId;
  log.info('Instance launched', { instanceId: launched.instanceId, instanceType, imageId, spot: spec.spotInstance });

  try {
    const ready = await waitForPublicIp(launched, spec, status);
    status.phase = 'succeeded';
    return {
      instanceId: launched.instanceId,
      publicIp: ready.publicIp,
      privateIp: ready.privateIp ?? '',
      instanceType,
      imageId,
      region: spec.region,
      size: spec.size,
      architecture: spec.architecture,
      spot: ready.spot,
      launchedAt: ready.launchedAt ?? launched.launchedAt ?? new Date(Date.now()).toISOString(),
    };
  } catch (error) {
    status.phase = 'terminating';
    await terminateAfterFailure(launched.instanceId, error);
    status.phase = isCancellation(error) ? 'cancelled' : 'failed';
    throw error;
  }
}

/** Polls until the instance has a public IP; throws PublicIpTimeout or InstanceLost otherwise. */
async function waitForPublicIp(
  launched: LaunchedInstance,
  spec: ProvisionSpec,
  status: ProvisionStatus,
): Promise<InstanceStatus & { publicIp: string }> {
  const { instanceId } = launched;
  // Counted from launch on the workflow clock, so a replay or a restarted worker keeps the same deadline.
  const deadline = Date.now() + spec.ipWaitTimeoutMs;
  status.deadline = new Date(deadline).toISOString();
  status.phase = 'waiting-for-ip';

  for (;;) {
    const seen = await describeOrSkip(instanceId);
    status.polls += 1;
    if (seen === undefined) {
      log.warn('Poll failed after its retries; trying again at the next interval', { instanceId, poll: status.polls });
    } else if (seen === null) {
      log.info('Poll: instance not visible yet', { instanceId, poll: status.polls });
    } else {
      status.lastState = seen.state;
      log.info('Poll', { instanceId, poll: status.polls, state: seen.state, publicIp: seen.publicIp ?? null });
      if (seen.publicIp) return { ...seen, publicIp: seen.publicIp };
      if (isGone(seen.state)) {
        throw ApplicationFailure.nonRetryable(
          `Instance ${instanceId} reached state "${seen.state}" before it got a public IP (spot interruption, a failed boot, or someone stopped it). It has been terminated; start a new provision.`,
          FailureType.InstanceLost,
        );
      }
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw ApplicationFailure.nonRetryable(
        `Instance ${instanceId} had no public IP after ${formatDuration(spec.ipWaitTimeoutMs)} (${status.polls} polls). It has been terminated. Check that the subnet assigns public IPv4 addresses (MapPublicIpOnLaunch) or raise ipWaitTimeout, then retry.`,
        FailureType.PublicIpTimeout,
      );
    }
    await sleep(Math.min(spec.pollIntervalMs, remaining));
  }
}

/**
 * One poll. A poll whose retries ran out on a transient error (throttling, 5xx, network) returns
 * undefined so the loop tries again next interval: the deadline, not one bad minute, ends the wait.
 * Permanent failures (credentials, for example) and cancellation still end the run.
 */
async function describeOrSkip(instanceId: string): Promise<InstanceStatus | null | undefined> {
  try {
    return await poll.describeInstance(instanceId);
  } catch (error) {
    const permanent = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable;
    if (isCancellation(error) || permanent || !(error instanceof ActivityFailure)) throw error;
    return undefined;
  }
}

/**
 * Compensation. Runs where cancellation cannot reach it; a failure here is logged, never thrown,
 * so the caller always sees the failure that ended the run.
 */
async function terminateAfterFailure(instanceId: string, cause: unknown): Promise<void> {
  log.warn('Provision did not succeed; terminating the instance', {
    instanceId,
    reason: cause instanceof Error ? cause.message : String(cause),
  });
  try {
    const result = await CancellationScope.nonCancellable(() => cleanup.terminateInstance(instanceId));
    log.info('Instance terminated', { instanceId, alreadyGone: result.alreadyGone });
  } catch (error) {
    log.error('Could not terminate the instance; it may still be running', {
      instanceId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
