/**
 * When a provision polls next: on ticks shared by every run, counted on the workflow clock.
 *
 * The poll interval is cut into TICKS_PER_INTERVAL ticks (1 s for the default 5 s), at multiples of
 * the tick since the epoch. A run polls at launch, then on the last tick within one interval of that,
 * then exactly one interval apart. So:
 * - runs on the same tick poll at the same moment, and the worker's describe batcher answers them
 *   with one DescribeInstances call instead of one per run;
 * - a run's polls never drift: a slow poll does not push the next one back, so an IP is seen at most
 *   one interval after it appears;
 * - a thousand runs spread over five ticks rather than arriving all at once.
 * Pure and deterministic: the workflow passes in its own clock.
 */
export const TICKS_PER_INTERVAL = 5;

/**
 * The next poll time (ms since the epoch): the latest tick at most `intervalMs` after `previous`, or
 * the first tick after `now` when that has already passed (a poll that took longer than an interval).
 */
export function nextPollAt(previous: number, now: number, intervalMs: number): number {
  const tick = Math.max(1, Math.floor(intervalMs / TICKS_PER_INTERVAL));
  const onTick = Math.floor((previous + intervalMs) / tick) * tick;
  return onTick > now ? onTick : (Math.floor(now / tick) + 1) * tick;
}
