/**
 * terminateInstance: the teardown workflow. Terminates one instance and keeps at it until EC2 reports
 * it shutting down or gone, so "terminated" in Stagely means the bill has stopped. Idempotent: an
 * instance that is already gone is a success with `alreadyGone: true`.
 */
import { ApplicationFailure, log, sleep } from '@temporalio/workflow';
import { FailureType, TERMINATION_UNCONFIRMED } from '../common/failures';
import { isGone } from '../common/instance-state';
import { describeProblems } from '../common/field-checks';
import { TEARDOWN_REQUEST, validateTeardownRequest, type TeardownRequest } from '../common/validate-teardown-request';
import { call, CLEANUP, POLL } from './activity-profiles';

export interface TeardownResult {
  instanceId: string;
  /** The instance was already terminated (or unknown to EC2) before this run. */
  alreadyGone: boolean;
}

/** How long to keep confirming before giving up: EC2 normally confirms within a minute. */
const CONFIRM_ROUNDS = 60;
const CONFIRM_INTERVAL = '5s';

export async function terminateInstance(request: TeardownRequest): Promise<TeardownResult> {
  const checked = validateTeardownRequest(request);
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidSpec,
      message: describeProblems(TEARDOWN_REQUEST, checked.problems),
      nonRetryable: true,
      details: [{ problems: checked.problems }],
    });
  }
  const ref = checked.request;
  let alreadyGone: boolean | undefined;
  for (let round = 1; round <= CONFIRM_ROUNDS; round++) {
    const terminated = await call(CLEANUP, `Terminate ${ref.instanceId} in ${ref.region}`).terminateInstance(ref);
    alreadyGone ??= terminated.alreadyGone;
    const seen = await call(POLL, `Confirm ${ref.instanceId} is terminated (#${round})`).describeInstance(ref);
    log.info('Teardown check', { instanceId: ref.instanceId, round, state: seen?.state ?? 'not found' });
    if (seen === null || seen.state === 'terminated') return { instanceId: ref.instanceId, alreadyGone };
    if (isGone(seen.state)) log.warn('Instance is stopped, not terminated; terminating again', { instanceId: ref.instanceId });
    await sleep(CONFIRM_INTERVAL);
  }
  throw ApplicationFailure.nonRetryable(
    `EC2 accepted the termination of ${ref.instanceId} but did not report it shutting down within ${CONFIRM_ROUNDS} checks. Check the instance in the EC2 console (termination protection?) and run the teardown again.`,
    TERMINATION_UNCONFIRMED,
  );
}
