/**
 * Start admission: a worker takes on new provisions only as fast as it keeps its running ones on time.
 *
 * Every step of a provision is a workflow task: its start, the image, the launch, and one for each
 * poll. A burst of starts competes with the polls of the runs already waiting for their IPs, and
 * when the worker, the Temporal service or EC2 cannot keep up, the polls come late: each second lost
 * there is a second added to some preview environment's wait. A start can wait instead: before its
 * first step a provision has launched nothing and is on nobody's bill.
 *
 * This is the rate controller. Where starts wait is the start line (worker/start-line.ts): only a new
 * provision's first step joins it, so a run that has launched is never held back by admission,
 * whichever queue its tasks come from (a restarted worker, a sticky time-out, a retried task).
 *
 * The signal is how late the polls the describe batcher foresaw start after the tick they were due on,
 * however late that is: a poll is told `expected` when the worker foresees it and `started` when it
 * comes, and a foreseen poll still missing counts at its lateness so far (so a worker too overloaded to
 * even start its polls sees them as late, not as absent). New provisions are let in at a rate that
 * follows that lateness: halved (at most every two seconds) when the 90th percentile is over a second,
 * and up by one start per second each second starts waited while the polls were on time or none was due.
 *
 * Pure, with the time passed in.
 */

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
  /**
   * A foreseen poll that has not started counts as late for this long after its tick. Past it, its run
   * has most likely ended or moved to another worker (a sticky time-out), and it says nothing about
   * this worker; a poll that does start later still counts, however late.
   */
  missingCountsForMs: number;
  /** A foreseen poll that has not started this long after its tick is forgotten (bounds memory). */
  forgetAfterMs: number;
}

export const DEFAULT_ADMISSION: AdmissionSettings = {
  initialPerSecond: 10,
  minPerSecond: 1,
  maxPerSecond: 1000,
  lateMs: 1000,
  onTimeMs: 500,
  windowMs: 1000,
  minSamples: 5,
  missingCountsForMs: 60_000,
  forgetAfterMs: 60 * 60_000,
};

/** The settings with the rate bounded to [min, max] per second (STAGELY_START_ADMISSION_RATE). */
export function admissionWithin(minPerSecond: number, maxPerSecond: number, base: AdmissionSettings = DEFAULT_ADMISSION): AdmissionSettings {
  return { ...base, minPerSecond, maxPerSecond, initialPerSecond: Math.min(maxPerSecond, Math.max(minPerSecond, base.initialPerSecond)) };
}

export class StartAdmission {
  private perSecond: number;
  private nextAt = Number.NEGATIVE_INFINITY;
  private windowStart: number;
  private lateness: number[] = [];
  /** Foreseen polls not started yet: key -> the tick they are due on. */
  private readonly foreseen = new Map<string, number>();
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

  /** The worker expects a poll (named by `key`) at the tick `dueAt`. */
  expected(key: string, dueAt: number): void {
    this.foreseen.set(key, dueAt);
  }

  /** The poll `key` started; if it was foreseen, its lateness counts, however late it is. */
  started(key: string, now: number): void {
    this.roll(now);
    const dueAt = this.foreseen.get(key);
    if (dueAt === undefined) return;
    this.foreseen.delete(key);
    // A poll cut short before its tick (the deadline) is not early work to reward: it counts as on time.
    this.lateness.push(Math.max(0, now - dueAt));
  }

  /** Lets a start in now if its turn has come, booking the next; false when it must wait. */
  tryNow(now: number): boolean {
    this.roll(now);
    if (this.nextAt > now) {
      this.heldBack = true;
      return false;
    }
    this.nextAt = now + 1000 / this.perSecond;
    return true;
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

  /** This window's lateness: the polls that started, and the foreseen ones overdue and still missing. */
  private samples(now: number): number[] {
    const { missingCountsForMs, forgetAfterMs } = this.settings;
    const samples = [...this.lateness];
    for (const [key, dueAt] of this.foreseen) {
      const overdue = now - dueAt;
      if (overdue > forgetAfterMs) this.foreseen.delete(key);
      else if (overdue > 0 && overdue <= missingCountsForMs) samples.push(overdue);
    }
    return samples.sort((a, b) => a - b);
  }

  private adjust(now: number): void {
    const { lateMs, onTimeMs, minSamples, minPerSecond, maxPerSecond, windowMs } = this.settings;
    const sorted = this.samples(now);
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
