import { ApplicationFailure } from '@temporalio/common';
import { withActivityAttempt } from '../../src/activities/attempt-details';

describe('withActivityAttempt', () => {
  it('adds the attempt next to the AWS details and keeps everything else', () => {
    const cause = new Error('socket hang up');
    const failure = ApplicationFailure.create({
      type: 'Ec2Throttled',
      message: 'RunInstances failed: RequestLimitExceeded',
      nonRetryable: false,
      details: [{ awsErrorCode: 'RequestLimitExceeded', httpStatus: 503 }, 'second'],
      cause,
      nextRetryDelay: 1500,
    });

    const stamped = withActivityAttempt(failure, 3);

    expect(stamped).toBeInstanceOf(ApplicationFailure);
    expect(stamped).toMatchObject({ type: 'Ec2Throttled', message: failure.message, nonRetryable: false, nextRetryDelay: 1500, cause });
    expect((stamped as ApplicationFailure).details).toEqual([{ awsErrorCode: 'RequestLimitExceeded', httpStatus: 503, activityAttempt: 3 }, 'second']);
  });

  it('gives a failure without details one', () => {
    const stamped = withActivityAttempt(ApplicationFailure.nonRetryable('no', 'InvalidConfiguration'), 2) as ApplicationFailure;
    expect(stamped.details).toEqual([{ activityAttempt: 2 }]);
    expect(stamped.nonRetryable).toBe(true);
  });

  it('leaves anything else as it is', () => {
    const bug = new TypeError('a bug');
    expect(withActivityAttempt(bug, 2)).toBe(bug);
    const odd = ApplicationFailure.create({ message: 'odd', details: ['text first'] });
    expect(withActivityAttempt(odd, 2)).toBe(odd);
  });
});
