/**
 * Start admission, as the provision workflow and the worker's activity agree on it (the worker side
 * is worker/start-admission.ts, worker/start-line.ts; docs/operations.md, "Start admission").
 *
 * A new provision's first step is to join its worker's start line (a local activity). Either it is
 * let in at once, or it waits, holding nothing in the worker, for the worker's `admit` signal; it asks
 * again after `recheckAfterMs` in case that worker is gone (a restart loses the line).
 */

/** Name of the signal a worker sends a provision waiting in its start line when the run's turn comes. */
export const ADMIT_SIGNAL = 'admit';

/** The start line's answer to a provision that joins it. */
export interface AdmissionAnswer {
  /** True: go on now. False: wait for the admit signal. */
  admitted: boolean;
  /** When not admitted: ask again after this long if no signal came (ms). */
  recheckAfterMs?: number;
  /** When not admitted: how many runs are ahead of this one in the line. */
  ahead?: number;
}
