import { Context } from '@temporalio/activity';

/** The activity's cancellation signal, so a cancelled or timed-out attempt stops its HTTP call. */
export function abortSignal(): AbortSignal {
  return Context.current().cancellationSignal;
}
