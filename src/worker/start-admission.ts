/**
 * Start admission: a worker takes on new provisions only as fast as it keeps its running ones on time.
 *
 * Every step of a provision is a workflow task: its start, the image, the launch, and one for each
 * poll. A burst of starts competes with the polls of the runs already waiting for their IPs, and
 * when the worker, the Temporal service or EC2 cannot keep up, the polls come late: each second lost
 * there is a second added to some preview environment's wait. A start can wait instead: before its
 * first workflow task a provision has launched nothing and is on nobody's bill.
 *
 * So the polls of runs the worker already has (those its describe batcher foresaw) report how late
 * they started after the tick they were due on, and new workflows are let in at a rate that follows
 * that lateness: halved (at most every two seconds) when they are late, and up by one start per
 * second each second starts were held back while those polls were on time or none was due. A new workflow is told apart by
 * its queue: its first workflow task comes from the task queue, while a workflow this worker already
 * runs gets its next tasks on the worker's own sticky queue, which is never held back.
 *
 * A restarted worker gets back the workflows it was running through the task queue too, and takes
 * them at the same pace. Their first poll after that is not a foreseen one, so the wait does not
 * count as lateness against the rate; once back, they poll on the sticky queue again.
 */
import type { CustomSlotSupplier, WorkflowSlotInfo } from '@temporalio/worker';

export interface AdmissionSettings {
  /** Starts per second to begin with. */
  initialPerSecond: number;
  /** The rate never drops below this: a late worker still takes new work, slowly. */
  minPerSecond: number;
  maxPerSecond: number;
  /** Polls are late when the 90th percentile of one window's lateness is above this... */
  lateMs: number;
  /** ...and on time when it is below this. */
  onTimeMs: number;
  /** How often the rate is reconsidered. */
  windowMs: number;
  /** It takes at least this many polls in a window to slow down. */
  minSamples: number;
}

export const DEFAULT_ADMISSION: AdmissionSettings = {
  initialPerSecond: 10,
  minPerSecond: 1,
  maxPerSecond: 1000,
  lateMs: 1000,
  onTimeMs: 500,
  windowMs: 1000,
  minSamples: 5,
};

/** The rate controller; pure, with the time passed in. */
export class StartAdmission {
  private perSecond: number;
  private nextAt = 0;
  private windowStart: number;
  private lateness: number[] = [];
  /** Whether a start had to wait this window: only then may the rate grow. */
  private heldBack = false;
  private slowedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: AdmissionSettings = DEFAULT_ADMISSION,
    now: number = Date.now(),
    /** Told each new rate, with the lateness (p90, ms) that moved it: undefined when no poll was due. */
    private readonly onChange?: (perSecond: number, lateP90Ms: number | undefined) => void,
  ) {
    this.perSecond = settings.initialPerSecond;
    this.windowStart = now;
  }

  /** Starts per second admitted now. */
  get rate(): number {
    return this.perSecond;
  }

  /** A poll started `lateMs` after the tick it was due on. */
  pollStarted(lateMs: number, now: number): void {
    this.roll(now);
    this.lateness.push(lateMs);
  }

  /** Books the next start's turn: how long (ms) it waits before it may go. */
  reserve(now: number): number {
    this.roll(now);
    const at = Math.max(now, this.nextAt);
    if (at > now) this.heldBack = true;
    this.nextAt = at + 1000 / this.perSecond;
    return at - now;
  }

  private roll(now: number): void {
    if (now - this.windowStart < this.settings.windowMs) return;
    this.adjust(now);
    this.windowStart = now;
    this.lateness = [];
    this.heldBack = false;
  }

  private adjust(now: number): void {
    const { lateMs, onTimeMs, minSamples, minPerSecond, maxPerSecond, windowMs } = this.settings;
    const sorted = [...this.lateness].sort((a, b) => a - b);
    const p90 = sorted[Math.ceil(sorted.length * 0.9) - 1];
    if (p90 !== undefined && sorted.length >= minSamples && p90 > lateMs) {
      // Late polls take a while to catch up once starts slow down; give a halving time to show.
      if (now - this.slowedAt < 2 * windowMs || this.perSecond === minPerSecond) return;
      this.perSecond = Math.max(minPerSecond, this.perSecond / 2);
      this.slowedAt = now;
      this.onChange?.(this.perSecond, p90);
    } else if (this.heldBack && (p90 === undefined || p90 < onTimeMs) && this.perSecond < maxPerSecond) {
      // Starts waited and nothing says the worker is behind (no poll was due, or all were on time).
      this.perSecond = Math.min(maxPerSecond, this.perSecond + 1);
      this.onChange?.(this.perSecond, p90);
    }
  }
}

/**
 * Workflow-task slots (a fixed number, like maxConcurrentWorkflowTaskExecutions) of which a new
 * workflow's first task must also wait its turn with `admission`. Needs sticky queues (a workflow
 * cache): without them every task comes from the task queue and would be held back.
 */
export function admittingSlotSupplier(admission: StartAdmission, slots: number): CustomSlotSupplier<WorkflowSlotInfo> {
  let free = slots;
  const waiting: (() => void)[] = [];
  return {
    type: 'custom',
    async reserveSlot(ctx, signal) {
      if (!ctx.isSticky) await delay(admission.reserve(Date.now()), signal);
      if (free > 0) {
        free -= 1;
      } else {
        await new Promise<void>((resolve, reject) => {
          const take = () => {
            signal.removeEventListener('abort', abort);
            resolve();
          };
          const abort = () => {
            waiting.splice(waiting.indexOf(take), 1);
            reject(abortError());
          };
          waiting.push(take);
          signal.addEventListener('abort', abort, { once: true });
        });
      }
      return {};
    },
    tryReserveSlot() {
      if (free === 0) return null;
      free -= 1;
      return {};
    },
    markSlotUsed() {},
    releaseSlot() {
      // Hand the slot straight to the next waiter, or put it back.
      const next = waiting.shift();
      if (next !== undefined) next();
      else free += 1;
    },
  };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}

/** The SDK expects a cancelled reservation to reject with an AbortError. */
function abortError(): Error {
  const error = new Error('Slot reservation aborted');
  error.name = 'AbortError';
  return error;
}
