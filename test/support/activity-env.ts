/** Runs an activity function in a real activity context (cancellation signal, info), quietly. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return runActivityAs({}, fn, ...args);
}

/** The same, as a given attempt of a given run (`attempt: 2` is a retry). */
export function runActivityAs<A extends unknown[], R>(
  as: { attempt?: number; workflowId?: string; runId?: string },
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  // Failures are what several tests expect; the assertions report them, not the log.
  const env = new MockActivityEnvironment(
    {
      ...(as.attempt !== undefined && { attempt: as.attempt }),
      ...((as.workflowId !== undefined || as.runId !== undefined) && {
        workflowExecution: { workflowId: as.workflowId ?? 'test-workflow', runId: as.runId ?? 'test-run' },
      }),
    },
    { logger: new DefaultLogger('ERROR') },
  );
  return env.run(fn, ...args) as Promise<R>;
}
