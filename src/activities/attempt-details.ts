/**
 * Puts the activity attempt on a failure's details, next to the AWS code. The workflow cannot see how
 * many attempts an activity took; a launch refused on a retry needs to say so, because an earlier
 * attempt whose outcome is unknown may have started an instance, and the workflow sweeps that
 * attempt's token before it moves on.
 */
import { ApplicationFailure } from '@temporalio/common';

export function withActivityAttempt(error: Error, attempt: number): Error {
  if (!(error instanceof ApplicationFailure)) return error;
  const [first, ...rest] = error.details ?? [];
  if (first !== undefined && (typeof first !== 'object' || first === null)) return error;
  return ApplicationFailure.create({
    message: error.message,
    ...(error.type != null && { type: error.type }),
    nonRetryable: error.nonRetryable === true,
    details: [{ ...(first as object | undefined), activityAttempt: attempt }, ...rest],
    ...(error.cause !== undefined && { cause: error.cause }),
    ...(error.nextRetryDelay != null && { nextRetryDelay: error.nextRetryDelay }),
    ...(error.category != null && { category: error.category }),
  });
}
