/**
 * Coalesces concurrent describeInstance activities into DescribeInstances calls.
 *
 * EC2 gives an account a small budget of non-mutating calls (a burst of about 100, refilled at about
 * 20 per second), shared with every other tool in the account. One call per instance per poll spends
 * it at about 100 concurrent provisions; one call per batch of up to 200 instances does not.
 * Workflows poll on shared ticks of their interval, so the polls of one tick arrive together, and a
 * short window here turns them into one call per region.
 *
 * Instances are looked up with the `instance-id` filter rather than InstanceIds: an unknown id (one
 * just launched and not yet visible) then simply has no entry, instead of failing the whole batch.
 */
import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { toStatus, type InstanceRef, type InstanceStatus } from './describe-instance';

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
        batch = { waiters: [], timer: setTimeout(() => this.flush(region), this.windowMs) };
        this.pending.set(region, batch);
      }
      batch.waiters.push({ instanceId, resolve, reject });
      if (batch.waiters.length >= this.maxBatch) this.flush(region);
    });
  }

  private flush(region: string): void {
    const batch = this.pending.get(region);
    if (batch === undefined) return;
    this.pending.delete(region);
    clearTimeout(batch.timer);
    void this.send(region, batch.waiters);
  }

  private async send(region: string, waiters: Waiter[]): Promise<void> {
    const ids = [...new Set(waiters.map((w) => w.instanceId))];
    const found = new Map<string, Instance>();
    try {
      let nextToken: string | undefined;
      do {
        this.calls += 1;
        const output = await this.ec2(region).send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }], ...(nextToken !== undefined && { NextToken: nextToken }) }),
        );
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
