/** Runs an activity function in a real activity context (cancellation signal, info), quietly. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  // Failures are what several tests expect; the assertions report them, not the log.
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  return env.run(fn, ...args) as Promise<R>;
}
