/**
 * Coalesces concurrent describeInstance activities into DescribeInstances calls.
 *
 * EC2 gives an account a small budget of non-mutating calls (a burst of about 100, refilled at about
 * 20 per second), shared with every other tool in the account. One call per instance per poll spends
 * it at about 100 concurrent provisions; one call per batch of up to 200 instances does not.
 * Workflows poll on ticks shared by every run (common/poll-ticks.ts), so the polls of one tick
 * arrive together, and a short window gathers them into one call per region. When the worker's
 * EC2 call budget is short, a batch waits for its token with the door open: polls arriving meanwhile
 * join it (up to the id limit), so under load batches grow instead of calls queueing.
 *
 * Instances are looked up with the `instance-id` filter rather than InstanceIds: an unknown id (one
 * just launched and not yet visible) then simply has no entry, instead of failing the whole batch.
 */
import { DescribeInstancesCommand, type DescribeInstancesCommandInput, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { toStatus, type InstanceRef, type InstanceStatus } from './describe-instance';
import { payAhead } from './ec2-budget';

export interface BatchingOptions {
  /** How long the first request of a batch waits for company. @default 50 */
  windowMs?: number;
  /** Ids per call; EC2 accepts up to 200 values in one filter. @default 200 */
  maxBatch?: number;
}

interface Waiter {
  instanceId: string;
  resolve: (status: InstanceStatus | null) => void;
  reject: (error: unknown) => void;
}

interface Pending {
  waiters: Waiter[];
  timer: NodeJS.Timeout;
  /** The window has ended or the batch is full: it is waiting for its budget token, or sent. */
  dispatched: boolean;
}

export class DescribeBatcher {
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly pending = new Map<string, Pending>();
  /** DescribeInstances calls made, for tests and the benchmark. */
  calls = 0;

  constructor(
    private readonly ec2: (region: string) => EC2Client,
    options: BatchingOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 50;
    this.maxBatch = Math.min(Math.max(1, options.maxBatch ?? 200), 200);
  }

  /** This instance's status, or null when EC2 does not (yet) know it. Rejects with the batch's AWS error. */
  describe({ region, instanceId }: InstanceRef): Promise<InstanceStatus | null> {
    return new Promise((resolve, reject) => {
      let batch = this.pending.get(region);
      if (batch === undefined) {
        const opened: Pending = { waiters: [], dispatched: false, timer: setTimeout(() => void this.dispatch(region, opened), this.windowMs) };
        batch = opened;
        this.pending.set(region, batch);
      }
      batch.waiters.push({ instanceId, resolve, reject });
      if (batch.waiters.length >= this.maxBatch) {
        // Full: nobody else joins; the next poll opens a new batch.
        this.pending.delete(region);
        void this.dispatch(region, batch);
      }
    });
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

  /** `first` is the first page's input, already paid for from the budget; later pages pay as they go. */
  private async send(client: EC2Client, waiters: Waiter[], first: DescribeInstancesCommandInput): Promise<void> {
    const ids = [...new Set(waiters.map((w) => w.instanceId))];
    const found = new Map<string, Instance>();
    try {
      let nextToken: string | undefined;
      let input: DescribeInstancesCommandInput = first;
      do {
        this.calls += 1;
        Object.assign(input, { Filters: [{ Name: 'instance-id', Values: ids }] }, nextToken !== undefined && { NextToken: nextToken });
        const output = await client.send(new DescribeInstancesCommand(input));
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
    }
    for (const waiter of waiters) {
      const instance = found.get(waiter.instanceId);
      waiter.resolve(instance === undefined ? null : toStatus(waiter.instanceId, instance));
    }
  }
}
