/**
 * Ties an AWS call to its activity attempt: the attempt's cancellation aborts the call, and a long call
 * heartbeats so that a worker dying under it is noticed in seconds.
 */
import { Context } from '@temporalio/activity';

/** The activity's cancellation signal, so a cancelled or timed-out attempt stops its HTTP call. */
export function abortSignal(): AbortSignal {
  return Context.current().cancellationSignal;
}

/** How often a long EC2 call reports the activity alive; the profile's heartbeat timeout is a few times this. */
const HEARTBEAT_EVERY_MS = 2_000;

/**
 * Runs `call` while heartbeating, so a worker that dies mid-call is noticed within the activity's
 * heartbeat timeout and the retry starts on another worker, instead of after the whole
 * start-to-close timeout.
 */
export async function whileHeartbeating<T>(call: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await call();
  } finally {
    clearInterval(timer);
  }
}
