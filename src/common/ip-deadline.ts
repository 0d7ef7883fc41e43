/**
 * When the wait for a public IP gives up. Pure, so the workflow computes it the same way on replay.
 *
 * A run whose run or execution time-out fires is closed by the server on the spot: no workflow code
 * runs after it, so compensation never terminates the VM and only the orphan reaper would find it.
 * The wait therefore ends early enough that the last poll and the clean-up still fit inside the
 * time-out, and the run ends as PublicIpTimeout with its instance terminated.
 */

/**
 * Kept back from a time-out for what follows the deadline: the last poll (a local activity, at most
 * 30 s with its retries), the terminate call (seconds, but retried with backoff when EC2 throttles)
 * and the workflow tasks between them. Two minutes covers a few throttled retries.
 */
export const CLEANUP_RESERVE_MS = 2 * 60_000;

/** The time-outs a caller may have set on the run, as the workflow sees them (ms since the epoch). */
export interface RunLimits {
  /** When the run started: the run time-out counts from here. */
  runStartedAt: number;
  runTimeoutMs?: number;
  /** When the execution (all its runs) times out. */
  executionExpiresAt?: number;
  executionTimeoutMs?: number;
}

export interface IpDeadline {
  /** ms since the epoch. */
  at: number;
  /** Which time-out moved the deadline earlier than `ipWaitTimeout` after launch; absent when none did. */
  cutShortBy?: 'run time-out' | 'execution time-out';
}

/**
 * `ipWaitTimeoutMs` after `now`, or earlier when a time-out would close the run first: then the
 * time-out minus the reserve (a quarter of the time-out when that is smaller, so a short time-out
 * still leaves some time to wait). The result may be at or before `now`: one poll, then the failure.
 */
export function ipDeadline(now: number, ipWaitTimeoutMs: number, limits: RunLimits): IpDeadline {
  let deadline: IpDeadline = { at: now + ipWaitTimeoutMs };
  const consider = (closesAt: number | undefined, timeoutMs: number | undefined, by: NonNullable<IpDeadline['cutShortBy']>): void => {
    // An unset time-out arrives as undefined, or as 0 from some servers.
    if (closesAt === undefined || timeoutMs === undefined || timeoutMs <= 0) return;
    const latest = closesAt - Math.min(CLEANUP_RESERVE_MS, timeoutMs / 4);
    if (latest < deadline.at) deadline = { at: latest, cutShortBy: by };
  };
  const { runStartedAt, runTimeoutMs, executionExpiresAt, executionTimeoutMs } = limits;
  consider(runTimeoutMs === undefined ? undefined : runStartedAt + runTimeoutMs, runTimeoutMs, 'run time-out');
  consider(executionExpiresAt, executionTimeoutMs, 'execution time-out');
  return deadline;
}
