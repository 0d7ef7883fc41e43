/**
 * Small measuring tools the scenarios share: percentiles, rounding, a process's peak memory and CPU
 * from /proc, and what a run's history says (local activity markers, which worker ran which task).
 */
import { readFileSync } from 'node:fs';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The value below which a share p of the sorted values fall (nearest rank); 0 for none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

/** p50, p99 and max of some durations, in whole ms. */
export function spread(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: Math.round(percentile(sorted, 0.5)), p99: Math.round(percentile(sorted, 0.99)), max: Math.round(sorted[sorted.length - 1] ?? 0) };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Peak resident memory and CPU time of a process so far, from /proc (Linux). */
export function processUsage(pid: number): { peakRssMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime + stime
  return { peakRssMb: round(peakKb / 1024, 1), cpuSeconds: round(ticks / 100, 2) };
}

/** A local activity's result, as the history records it (Temporal Cloud bills each as an action). */
export function isLocalActivityMarker(event: HistoryEvent): boolean {
  return event.markerRecordedEventAttributes?.markerName === 'core_local_activity';
}

/** An event's time in ms since the epoch (the server's clock: the same machine as the harness). */
export function eventTimeMs(event: HistoryEvent): number | undefined {
  const time = event.eventTime;
  if (!time) return undefined;
  return Number(time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

/**
 * How many workflow tasks each worker completed and how many activity tasks it started, by the
 * identity the history names (WorkflowTaskCompleted / ActivityTaskStarted carry the worker's identity).
 */
export class TaskCounts {
  readonly workflowTasks = new Map<string, number>();
  readonly activityTasks = new Map<string, number>();

  add(events: HistoryEvent[]): void {
    for (const event of events) {
      const workflowTask = event.workflowTaskCompletedEventAttributes?.identity;
      if (workflowTask) this.workflowTasks.set(workflowTask, (this.workflowTasks.get(workflowTask) ?? 0) + 1);
      const activityTask = event.activityTaskStartedEventAttributes?.identity;
      if (activityTask) this.activityTasks.set(activityTask, (this.activityTasks.get(activityTask) ?? 0) + 1);
    }
  }

  /** The identity's share of all workflow tasks and of all activity tasks (0 when there were none). */
  shareOf(identity: string): { workflowTaskShare: number; activityTaskShare: number } {
    return { workflowTaskShare: share(this.workflowTasks, identity), activityTaskShare: share(this.activityTasks, identity) };
  }
}

function share(counts: Map<string, number>, identity: string): number {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return total === 0 ? 0 : round((counts.get(identity) ?? 0) / total, 3);
}

/** p50 and p99 alone, where the max says nothing more. */
export function p50p99(values: number[]): { p50: number; p99: number } {
  const { p50, p99 } = spread(values);
  return { p50, p99 };
}

/**
 * Every run's result, at most `limit` waits at a time: thousands of result() long polls at once on one
 * client connection queue behind the server's stream limit and can fail on the client's side while the
 * runs themselves succeed. A closed run's result comes back at once, so the limit does not delay the end.
 * The distinct reasons of the runs that did fail are printed, so a failed run is never just a number.
 */
export async function resultsOf<T>(handles: { workflowId: string; result(): Promise<T> }[], limit = 200): Promise<PromiseSettledResult<T>[]> {
  const outcomes: PromiseSettledResult<T>[] = new Array(handles.length);
  let next = 0;
  const waitOne = async (): Promise<void> => {
    while (next < handles.length) {
      const i = next++;
      outcomes[i] = await (handles[i] as { result(): Promise<T> }).result().then(
        (value): PromiseFulfilledResult<T> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, handles.length) }, waitOne));
  const reasons = new Map<string, number>();
  for (const outcome of outcomes) {
    if (outcome.status !== 'rejected') continue;
    const error = outcome.reason as { message?: string; cause?: { message?: string } };
    const text = `${error.message ?? String(outcome.reason)}${error.cause?.message ? `: ${error.cause.message}` : ''}`;
    reasons.set(text, (reasons.get(text) ?? 0) + 1);
  }
  for (const [text, count] of reasons) console.error(`${count} run(s) failed: ${text}`);
  return outcomes;
}

/** An event's summary (its user metadata), as text; '' when it has none. */
export function summaryOf(event: HistoryEvent): string {
  return event.userMetadata?.summary?.data ? Buffer.from(event.userMetadata.summary.data).toString('utf8') : '';
}
