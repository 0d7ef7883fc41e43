/**
 * The start line: where new provisions wait for start admission (worker/start-admission.ts).
 *
 * A provision's first step is a local activity that joins the line of the worker running it. If the
 * line is empty and the rate allows, the run goes on at once (a lone provision pays one local
 * activity). Otherwise it waits in the workflow for the `admit` signal, holding no workflow-task or
 * activity slot in the worker, and this line signals the runs in order, each when the admission rate
 * gives it a turn. The rate is applied as runs leave the line, not as they join it, so it follows the
 * polls' lateness while they wait.
 *
 * The line lives in the worker's memory. A run whose worker stopped asks again after
 * `recheckAfterMs` and joins whichever worker runs it then; a run that asks again while still in line
 * keeps its place.
 */
import type { AdmissionAnswer } from '../common/admission';
import type { StartAdmission } from './start-admission';

/** One run of a workflow, as the line signals it. */
export interface RunRef {
  workflowId: string;
  runId: string;
}

export interface StartLineOptions {
  /** Sends the admit signal; the line does not wait for it, and a failed signal is the run's recheck's to mend. */
  admit: (run: RunRef) => Promise<void>;
  /**
   * How long a waiting run waits for its signal before it asks again, at least; a run far back in a
   * long line waits twice its expected turn, so that a thousand waiting runs do not each add a
   * workflow task every 30 s to the load admission is holding them back from. @default 30 s
   */
  recheckAfterMs?: number;
  /** Told of a signal that could not be sent (a run that has meanwhile closed is not news). */
  onAdmitFailed?: (run: RunRef, error: unknown) => void;
  /**
   * The worker's launch budget (activities/ec2-budget.ts): while a launch would wait for its token, no
   * one is let in, so runs wait here, launching nothing, instead of in a launch activity's time-outs.
   * @default none
   */
  launchBudget?: () => { waitMs: number; perSecond: number } | undefined;
  /** @default Date.now */
  now?: () => number;
}

/** The longest a waiting run goes without asking again (a run whose worker died waits at most this). */
const MAX_RECHECK_MS = 10 * 60_000;

export class StartLine {
  private readonly waiting = new Map<string, RunRef>();
  private pumping = false;
  private stopped = false;
  private wake?: () => void;
  private readonly recheckAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly admission: StartAdmission,
    private readonly options: StartLineOptions,
  ) {
    this.recheckAfterMs = options.recheckAfterMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Runs waiting for their turn. */
  get length(): number {
    return this.waiting.size;
  }

  /** A run's first step: admitted now, or in line for the admit signal. */
  join(run: RunRef): AdmissionAnswer {
    const key = `${run.workflowId}\n${run.runId}`;
    const place = [...this.waiting.keys()].indexOf(key);
    if (place >= 0) return { admitted: false, recheckAfterMs: this.recheckFor(place), ahead: place };
    // Nobody is waiting and the rate has a turn free: go now, without a signal round trip.
    if (this.waiting.size === 0 && !this.stopped && this.launchWaitMs() === 0 && this.admission.tryNow(this.now())) return { admitted: true };
    this.waiting.set(key, run);
    this.pump();
    return { admitted: false, recheckAfterMs: this.recheckFor(this.waiting.size - 1), ahead: this.waiting.size - 1 };
  }

  /** The recheck time for a run with `ahead` runs before it: twice its expected wait, within bounds. */
  private recheckFor(ahead: number): number {
    const launches = this.options.launchBudget?.();
    const perSecond = launches !== undefined && launches.waitMs > 0 ? Math.min(this.admission.rate, launches.perSecond) : this.admission.rate;
    const expectedMs = ((ahead + 1) * 1000) / perSecond;
    return Math.round(Math.min(MAX_RECHECK_MS, Math.max(this.recheckAfterMs, 2 * expectedMs)));
  }

  /** Stops signalling (the worker is shutting down); the runs still in line ask the next worker. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private pump(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    void this.signalInTurn().finally(() => {
      this.pumping = false;
    });
  }

  private async signalInTurn(): Promise<void> {
    while (this.waiting.size > 0 && !this.stopped) {
      await this.sleep(this.admission.reserve(this.now()));
      for (let wait = this.launchWaitMs(); wait > 0 && !this.stopped; wait = this.launchWaitMs()) await this.sleep(wait);
      const next = this.waiting.entries().next();
      if (next.done === true || this.stopped) return;
      const [key, run] = next.value;
      this.waiting.delete(key);
      this.options.admit(run).catch((error: unknown) => this.options.onAdmitFailed?.(run, error));
    }
  }

  private launchWaitMs(): number {
    return this.options.launchBudget?.()?.waitMs ?? 0;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      // Never what keeps a stopping worker's process alive.
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
