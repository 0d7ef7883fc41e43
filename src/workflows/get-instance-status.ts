/**
 * getInstanceStatus: one instance's state, for the backend to reconcile and health-check with (only
 * the worker holds AWS credentials). A read: it launches, stops and terminates nothing.
 *
 * The read is a local activity: one short call, so the whole run is a single workflow task, without
 * the activity task the server would otherwise dispatch. It goes through the worker's describe
 * batcher, so status calls share DescribeInstances calls (and the EC2 call budget) with the polls of
 * running provisions. The LOCAL_POLL profile bounds it to three tries in 30 seconds: a caller that
 * reconciles asks again anyway, so a throttled EC2 fails the call fast rather than holding it.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { InstanceStatusResult } from '../common/contract';
import { FailureType } from '../common/failures';
import { describeProblems } from '../common/field-checks';
import { INSTANCE_STATUS_REQUEST, validateInstanceStatusRequest, type InstanceStatusRequest } from '../common/validate-instance-status-request';
import { callLocal, LOCAL_POLL } from './activity-profiles';

export async function getInstanceStatus(request: InstanceStatusRequest): Promise<InstanceStatusResult> {
  const checked = validateInstanceStatusRequest(request);
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidSpec,
      message: describeProblems(INSTANCE_STATUS_REQUEST, checked.problems),
      nonRetryable: true,
      details: [{ problems: checked.problems }],
    });
  }
  const { instanceId, region } = checked.request;
  const seen = await callLocal(LOCAL_POLL, `Describe ${instanceId} in ${region}`).describeInstance({ instanceId, region });
  if (seen === null) {
    throw ApplicationFailure.nonRetryable(
      `EC2 in ${region} does not know instance ${instanceId}: it was never launched there, or was terminated long enough ago to be forgotten. ` +
        'An instance launched moments ago may not be visible yet (EC2 is eventually consistent): ask again in a few seconds.',
      FailureType.InstanceNotFound,
    );
  }
  const result: InstanceStatusResult = { instanceId, state: seen.state, ec2State: seen.ec2State ?? 'unknown' };
  if (seen.publicIp !== undefined) result.publicIp = seen.publicIp;
  if (seen.privateIp !== undefined) result.privateIp = seen.privateIp;
  if (seen.instanceType !== undefined) result.instanceType = seen.instanceType;
  if (seen.launchedAt !== undefined) result.launchedAt = seen.launchedAt;
  return result;
}
