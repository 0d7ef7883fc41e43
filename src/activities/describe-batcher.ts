/**
 * Coalesces concurrent describeInstance activities into DescribeInstances calls.
 *
 * EC2 gives an account a small budget of non-mutating calls (a burst of about 100, refilled at about
 * 20 per second), shared with every other tool in the account. One call per instance per poll spends
 * it at about 100 concurrent provisions; one call per batch of up to 200 instances does not.
 *
 * Two ways into a call:
 * - **Due on a tick.** Workflows poll on ticks shared by every run (common/poll-ticks.ts), and each
 *   poll says which tick it is for. When a run's poll finds no IP yet, the worker works out the run's
 *   next tick just as the workflow will, and at that tick asks EC2 about every run due then, in one
 *   call, without waiting for their polls to arrive. A poll that arrives for its tick takes that
 *   answer. So a tick's polls hold their workflow tasks only until the tick's answer (not for a
 *   window), and EC2 is asked exactly on the tick even when the polls themselves come in late.
 * - **A window.** Any other poll (a run's first, one the worker did not foresee, or one whose tick's
 *   call failed) waits a short window for company. A tick's call takes any such polls with it. A poll
 *   already late for its tick (a restarted worker replaying runs it never saw, whose tasks arrive as
 *   fast as its workflow-task slots free up) waits only LATE_WINDOW_MS: its company is the late polls
 *   arriving with it, and a full window per slotful would add up to seconds across a thousand runs.
 * When the worker's EC2 call budget is short, a batch waits for its token with the door open: polls
 * arriving meanwhile join it (up to the id limit), so under load batches grow instead of calls queueing.
 *
 * Instances are looked up with the `instance-id` filter rather than InstanceIds: an unknown id (one
 * just launched and not yet visible) then simply has no entry, instead of failing the whole batch.
 */
import { DescribeInstancesCommand, type DescribeInstancesCommandInput, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { DEFAULT_AWS_TIMEOUT_MS } from './aws-clients';
import type { InstanceRef } from './describe-instance';
import { payAhead } from './ec2-budget';
import { toStatus, type InstanceStatus } from './instance-status';

export interface BatchingOptions {
  /** How long the first request of a batch waits for company. @default 50 */
  windowMs?: number;
  /** Ids per call; EC2 accepts up to 200 values in one filter. @default 200 */
  maxBatch?: number;
  /**
   * How long one batch's call (its pages and the SDK's retries) may take before it is abandoned and
   * its waiters fail retryably, whatever holds it (a hung socket, say). @default 30 s (STAGELY_EC2_TIMEOUT)
   */
  timeoutMs?: number;
}

interface Waiter {
  instanceId: string;
  resolve: (status: InstanceStatus | null) => void;
  reject: (error: unknown) => void;
}

/** When a poll is due, as the workflow scheduled it. */
export interface PollSchedule {
  /** The tick this poll is for (ms since the epoch, the workflow clock). */
  dueAt: number;
  /** The run's poll interval; with the answer's time it gives the run's next tick. */
  intervalMs: number;
}

/**
 * Told about the polls the batcher foresees, by key: when each is due, and when it starts (however
 * late). Start admission (worker/start-admission.ts) reads the worker's lateness from them.
 */
export interface ForeseenPolls {
  expected(key: string, dueAt: number): void;
  started(key: string, now: number): void;
}

interface Pending {
  waiters: Waiter[];
  timer?: NodeJS.Timeout;
  /** When the window ends (a late poll brings it forward). */
  closesAt: number;
  /** The window has ended or the batch is full: it is waiting for its budget token, or sent. */
  dispatched: boolean;
}

export class DescribeBatcher {
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly timeoutMs: number;
  private readonly pending = new Map<string, Pending>();
  /** Runs expected to poll on a tick: tick -> region -> their instances' answers-to-be. */
  private readonly due = new Map<number, Map<string, Waiter[]>>();
  /** Answers taken on a tick, until the poll due then claims them (or they are forgotten). */
  private readonly ahead = new Map<string, Promise<InstanceStatus | null>>();
  /** DescribeInstances calls made, for tests and the benchmark. */
  calls = 0;

  constructor(
    private readonly ec2: (region: string) => EC2Client,
    options: BatchingOptions = {},
    /** Told of each poll foreseen, and when it starts. */
    private readonly foreseenPolls?: ForeseenPolls,
  ) {
    this.windowMs = options.windowMs ?? 50;
    this.maxBatch = Math.min(Math.max(1, options.maxBatch ?? 200), 200);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
  }

  /**
   * This instance's status, or null when EC2 does not (yet) know it. Rejects with the batch's AWS
   * error. A poll with its schedule takes the answer its tick's call got, when the worker foresaw it.
   * When `signal` aborts (the poll's activity was cancelled or timed out), the poll stops waiting at
   * once and rejects with the signal's reason; the batch goes on for the others.
   */
  async describe(ref: InstanceRef, schedule?: PollSchedule, signal?: AbortSignal): Promise<InstanceStatus | null> {
    const ahead = schedule === undefined ? undefined : this.claim(ref, schedule);
    if (ahead !== undefined) {
      try {
        return await abandonable(ahead, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        // The tick's call failed; this poll asks again on its own (and fails with its own error).
      }
    }
    const late = schedule !== undefined && Date.now() - schedule.dueAt > this.windowMs;
    return abandonable(new Promise((resolve, reject) => this.join(ref.region, { instanceId: ref.instanceId, resolve, reject }, late)), signal);
  }

  /**
   * Expects this instance's run to poll at `tick` (after a poll that found no IP): at the tick, its id
   * goes into the call for every run due then. An answer no poll claims within `intervalMs` of the tick
   * is forgotten.
   */
  expect(ref: InstanceRef, tick: number, intervalMs: number): void {
    const key = aheadKey(ref, tick);
    let waiter: Waiter | undefined;
    const answer = new Promise<InstanceStatus | null>((resolve, reject) => {
      waiter = { instanceId: ref.instanceId, resolve, reject };
    });
    // Unclaimed, a failed answer must not surface as an unhandled rejection.
    answer.catch(() => undefined);
    this.ahead.set(key, answer);
    this.foreseenPolls?.expected(key, tick);
    let regions = this.due.get(tick);
    if (regions === undefined) {
      regions = new Map();
      this.due.set(tick, regions);
      setTimeout(() => this.onTick(tick), Math.max(0, tick - Date.now())).unref();
    }
    const waiters = regions.get(ref.region) ?? [];
    waiters.push(waiter as Waiter);
    regions.set(ref.region, waiters);
    setTimeout(() => {
      if (this.ahead.get(key) === answer) this.ahead.delete(key);
    }, Math.max(0, tick - Date.now()) + intervalMs).unref();
  }

  /** The answer taken (or about to be taken) for this poll's tick, if the worker foresaw the poll. */
  private claim(ref: InstanceRef, { dueAt }: PollSchedule): Promise<InstanceStatus | null> | undefined {
    const key = aheadKey(ref, dueAt);
    const now = Date.now();
    // Lateness counts for every poll the worker foresaw, even one so late that its tick's answer was
    // forgotten (more than an interval): those are the ones that say most about an overloaded worker.
    this.foreseenPolls?.started(key, now);
    const answer = this.ahead.get(key);
    if (answer === undefined) return undefined;
    this.ahead.delete(key);
    // A poll well before its tick (its sleep cut short by the deadline) asks now: the tick's answer
    // would come too late for it.
    if (now - dueAt < -this.windowMs) return undefined;
    return answer;
  }

  /** A tick: one call (per region, per 200 ids) for the runs due now, and any polls gathering meanwhile. */
  private onTick(tick: number): void {
    const regions = this.due.get(tick);
    this.due.delete(tick);
    for (const [region, waiters] of regions ?? []) {
      for (const waiter of waiters) this.join(region, waiter);
      const batch = this.pending.get(region);
      if (batch !== undefined) void this.dispatch(region, batch);
    }
  }

  /** Adds a waiter to the region's open batch, opening one (with the window) if none is; `late` shortens the window. */
  private join(region: string, waiter: Waiter, late = false): void {
    const windowMs = late ? Math.min(this.windowMs, LATE_WINDOW_MS) : this.windowMs;
    let batch = this.pending.get(region);
    if (batch === undefined) {
      batch = { waiters: [], dispatched: false, closesAt: Number.POSITIVE_INFINITY };
      this.pending.set(region, batch);
    }
    // A new batch's window starts now; a late poll brings an open batch's end forward.
    if (!batch.dispatched && Date.now() + windowMs < batch.closesAt) {
      const open = batch;
      clearTimeout(open.timer);
      open.closesAt = Date.now() + windowMs;
      open.timer = setTimeout(() => void this.dispatch(region, open), windowMs);
    }
    batch.waiters.push(waiter);
    if (batch.waiters.length >= this.maxBatch) {
      // Full: nobody else joins; the next poll opens a new batch.
      this.pending.delete(region);
      void this.dispatch(region, batch);
    }
  }

  /** Window over (or batch full): wait for a budget token, still open to joiners, then send. */
  private async dispatch(region: string, batch: Pending): Promise<void> {
    if (batch.dispatched) return;
    batch.dispatched = true;
    clearTimeout(batch.timer);
    const input: DescribeInstancesCommandInput = {};
    let client: EC2Client;
    try {
      client = this.ec2(region);
      const turn = payAhead(client, 'describe', input);
      if (turn !== undefined) await turn;
    } catch (error) {
      this.close(region, batch);
      for (const waiter of batch.waiters) waiter.reject(error);
      return;
    }
    this.close(region, batch);
    void this.send(client, batch.waiters, input);
  }

  private close(region: string, batch: Pending): void {
    if (this.pending.get(region) === batch) this.pending.delete(region);
  }

  /**
   * `first` is the first page's input, already paid for from the budget; later pages pay as they go.
   * The whole call is abandoned after the time-out, so nothing (a hung socket, retries, a budget wait
   * for a later page) holds its waiters longer: they fail with a retryable TimeoutError.
   *
   * It pages by hand, unlike the other activities (paginateDescribeInstances): the budget knows the
   * paid-for page by its input object, and the SDK's paginator builds each page's input itself (today
   * by rewriting the caller's object, which is not a promise); a page that lost its mark would wait
   * for a second token while the batch's polls wait with it.
   */
  private async send(client: EC2Client, waiters: Waiter[], first: DescribeInstancesCommandInput): Promise<void> {
    const ids = [...new Set(waiters.map((w) => w.instanceId))];
    const found = new Map<string, Instance>();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = Object.assign(new Error(`DescribeInstances for ${ids.length} instances had no answer within ${this.timeoutMs} ms; abandoned`), {
          name: 'TimeoutError',
        });
        controller.abort(error);
        reject(error);
      }, this.timeoutMs);
    });
    timedOut.catch(() => undefined);
    try {
      let nextToken: string | undefined;
      let input: DescribeInstancesCommandInput = first;
      do {
        this.calls += 1;
        Object.assign(input, { Filters: [{ Name: 'instance-id', Values: ids }] }, nextToken !== undefined && { NextToken: nextToken });
        const output = await Promise.race([client.send(new DescribeInstancesCommand(input), { abortSignal: controller.signal }), timedOut]);
        input = {};
        for (const instance of output.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
          if (instance.InstanceId !== undefined) found.set(instance.InstanceId, instance);
        }
        // A token that does not move would loop forever; stop at what we have.
        nextToken = output.NextToken !== nextToken ? output.NextToken : undefined;
      } while (nextToken !== undefined);
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
      return;
    } finally {
      clearTimeout(timer);
    }
    for (const waiter of waiters) {
      const instance = found.get(waiter.instanceId);
      waiter.resolve(instance === undefined ? null : toStatus(waiter.instanceId, instance));
    }
  }
}

/** How long a poll already late for its tick waits for company (see the header). */
export const LATE_WINDOW_MS = 20;

function aheadKey({ region, instanceId }: InstanceRef, tick: number): string {
  return `${region}/${instanceId}@${tick}`;
}

/** `answer`, or the signal's reason as soon as it aborts; the answer itself is left to settle unheard. */
function abandonable<T>(answer: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return answer;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abandon = (): void => reject(signal.reason);
    signal.addEventListener('abort', abandon, { once: true });
    answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}
