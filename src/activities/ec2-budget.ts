/**
 * A client-side budget for EC2 calls, per region and action class, so a burst of provisions queues
 * here instead of being throttled by AWS (and throttling every other tool in the account with it).
 *
 * EC2's own limits are token buckets per account and region (its API throttling documentation):
 * non-mutating calls about 100 burst / 20 per second, RunInstances 1000 / 2, other mutating calls
 * about 200 / 5. The defaults below take the launch bucket as AWS sizes it (a preview platform's
 * launches come in bursts) and half of the others, leaving the rest to other tools.
 */
import type { EC2Client, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-ec2';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { Context } from '@temporalio/activity';

export type ActionClass = 'describe' | 'launch' | 'mutate';

export interface BucketSize {
  /** Calls that may go at once. */
  burst: number;
  /** Calls per second after the burst is spent. */
  perSecond: number;
}

export type Ec2Budget = Record<ActionClass, BucketSize>;

export const DEFAULT_EC2_BUDGET: Ec2Budget = {
  describe: { burst: 50, perSecond: 10 },
  launch: { burst: 1000, perSecond: 2 },
  mutate: { burst: 100, perSecond: 2.5 },
};

/** A token bucket whose callers wait their turn, first come first served. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();
  /** Callers that asked and have not had their token yet. */
  private waiting = 0;

  constructor(
    private readonly size: BucketSize,
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.tokens = size.burst;
    this.updatedAt = now();
  }

  /** Resolves when the caller may make one call. */
  take(): Promise<void> {
    this.waiting += 1;
    const turn = this.queue.then(() => this.takeOne()).finally(() => {
      this.waiting -= 1;
    });
    // One caller's failure must not fail everyone queued behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** How long (ms) a caller asking now would wait behind those already waiting: 0 while tokens are free. */
  waitMs(): number {
    this.refill();
    const short = this.waiting + 1 - this.tokens;
    return short <= 0 ? 0 : Math.ceil((short / this.size.perSecond) * 1000);
  }

  /** Calls per second once the burst is spent. */
  get perSecond(): number {
    return this.size.perSecond;
  }

  private async takeOne(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await this.wait(Math.ceil(((1 - this.tokens) / this.size.perSecond) * 1000));
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.size.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.size.perSecond);
    this.updatedAt = now;
  }
}

export function actionClass(commandName: string): ActionClass {
  if (commandName === 'RunInstancesCommand') return 'launch';
  if (commandName.startsWith('Describe') || commandName.startsWith('Get') || commandName.startsWith('List')) return 'describe';
  return 'mutate';
}

/** Each budgeted client's buckets, so a caller can wait for a token before it builds its call. */
const bucketsOf = new WeakMap<EC2Client, Record<ActionClass, TokenBucket>>();
/** Command inputs whose token was taken ahead (payAhead); their send does not wait again. */
const paid = new WeakSet<object>();

/**
 * Waits until this client's budget allows one call of `cls`, and marks `input` (the input of the
 * command about to be sent) as paid for. Returns at once for a client without a budget. The describe
 * batcher waits here with its batch still open, so polls that arrive while the budget is short join
 * the batch instead of queueing as calls of their own.
 */
export function payAhead(client: EC2Client, cls: ActionClass, input: object): Promise<void> | undefined {
  const bucket = bucketsOf.get(client)?.[cls];
  // No budget: nothing to wait for, and no promise, so the caller can go on in the same tick.
  if (bucket === undefined) return undefined;
  return bucket.take().then(() => {
    paid.add(input);
  });
}

/** Every budgeted client's launch bucket (one per region client), for launchBudget. */
const launchBuckets = new Set<TokenBucket>();

/**
 * The worker's launch budget as start admission sees it: how long a launch asked for now would wait
 * for its token (the longest over regions) and the slowest refill. A new provision is better off
 * waiting in the start line, with nothing launched, than in its launch activity, whose time-outs
 * (1 min per attempt, 5 min in all) a long budget queue would run out.
 */
export function launchBudget(): { waitMs: number; perSecond: number } | undefined {
  if (launchBuckets.size === 0) return undefined;
  let waitMs = 0;
  let perSecond = Number.POSITIVE_INFINITY;
  for (const bucket of launchBuckets) {
    waitMs = Math.max(waitMs, bucket.waitMs());
    perSecond = Math.min(perSecond, bucket.perSecond);
  }
  return { waitMs, perSecond };
}

/** Throttled EC2 calls, by action, since the worker started (also a Prometheus counter in activities). */
export const throttledCalls = new Map<string, number>();

/**
 * Makes every request this client sends wait for a token of its class, and counts the requests EC2
 * throttled anyway (RequestLimitExceeded; the SDK and Temporal retry them with backoff). The budget
 * sits inside the SDK's retry loop, just before signing: each of the SDK's attempts (AWS_MAX_ATTEMPTS)
 * spends a token, so the budget paces what EC2 actually receives, and a request signed after a long
 * wait is not stale. docs/retries.md has the interplay.
 */
export function applyBudget(client: EC2Client, budget: Ec2Budget): void {
  const buckets: Record<ActionClass, TokenBucket> = {
    describe: new TokenBucket(budget.describe),
    launch: new TokenBucket(budget.launch),
    mutate: new TokenBucket(budget.mutate),
  };
  bucketsOf.set(client, buckets);
  launchBuckets.add(buckets.launch);
  const budgeted: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
    const command = context.commandName ?? '';
    if (!paid.delete(args.input)) await buckets[actionClass(command)].take();
    try {
      return await next(args);
    } catch (error) {
      if ((error as { name?: unknown }).name === 'RequestLimitExceeded') countThrottle(command);
      throw error;
    }
  };
  // The retry middleware's next handler runs once per attempt; signing runs after this one.
  client.middlewareStack.addRelativeTo(budgeted, { name: 'stagelyEc2Budget', relation: 'before', toMiddleware: 'httpSigningMiddleware' });
}

function countThrottle(command: string): void {
  throttledCalls.set(command, (throttledCalls.get(command) ?? 0) + 1);
  try {
    Context.current().metricMeter.createCounter('stagely_ec2_throttled_calls', 'calls', 'EC2 calls answered RequestLimitExceeded').add(1, { command });
  } catch {
    // Outside an activity (no metric meter): the map above still counts it.
  }
}
