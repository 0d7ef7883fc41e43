/**
 * Timeout and retry profiles for the activities, one per kind of call. Every profile is bounded:
 * the SDK's default retries are unlimited. Workflows get a proxy per call with `call(profile, summary)`
 * so each activity shows what it is for in the Web UI.
 */
import { proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CLEANUP_BUDGET_MS, LAUNCH_BUDGET_MS } from '../common/activity-budgets';

/** Image resolution: two quick reads (SSM, DescribeImages), cached by the worker. */
export const SETUP: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
};

/**
 * Launch: a RunInstances call takes seconds; throttling may need a few minutes of backoff. The
 * activity heartbeats during the call, so a worker killed mid-launch is retried elsewhere in seconds
 * (the retry finds the instance by its token instead of launching another).
 */
export const LAUNCH: ActivityOptions = {
  startToCloseTimeout: '1m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: LAUNCH_BUDGET_MS,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
};

/** Polling: short, because the next poll is only one interval away and a deadline bounds the loop. */
export const POLL: ActivityOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
};

/**
 * Polling as a local activity: the worker that runs the workflow task makes the call itself, so a
 * poll round is one workflow task and one marker instead of two workflow tasks and an activity task
 * that the server dispatches. A worker that dies mid-poll is covered by the workflow task time-out:
 * another worker polls again.
 */
export const LOCAL_POLL: LocalActivityOptions = {
  startToCloseTimeout: '15s',
  // Few retries: the next poll is one interval away and is the real retry. Local activities back off
  // inside the workflow task, so long backoffs here would only hold it open.
  scheduleToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '4s', maximumAttempts: 3 },
};

/**
 * Joining the start line: an in-memory answer from the worker, so quick. It is not worth retrying for
 * long: a run that cannot join goes on without admission.
 */
export const ADMISSION: LocalActivityOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '500ms', maximumAttempts: 3 },
};

/**
 * Termination: one call is quick, so a stuck attempt is cut short and retried; keep trying for a long
 * time, because giving up means paying for a leaked VM (and the orphan reaper is the only backstop).
 */
export const CLEANUP: ActivityOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: CLEANUP_BUDGET_MS,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};

/** The activities with a profile's bounds and a one-line summary for the Web UI. */
export function call(profile: ActivityOptions, summary: string): Activities {
  return proxyActivities<Activities>({ ...profile, summary });
}

/** The same, run as local activities. */
export function callLocal(profile: LocalActivityOptions, summary: string): Activities {
  return proxyLocalActivities<Activities>({ ...profile, summary });
}
