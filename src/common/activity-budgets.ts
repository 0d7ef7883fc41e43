/**
 * How long the provision may spend on its launch and on its cleanup, each counted across all retries
 * (the activities' schedule-to-close timeouts). The workflow's activity profiles use them, and the
 * orphan reaper's hard limit on open runs is derived from them, so the two cannot drift apart.
 */

/** One launch attempt, retries included (LAUNCH in src/workflows/activity-profiles.ts). */
export const LAUNCH_BUDGET_MS = 5 * 60_000;

/** One termination, retries included (CLEANUP): long, because giving up leaks a VM. */
export const CLEANUP_BUDGET_MS = 60 * 60_000;
