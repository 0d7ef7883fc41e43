/**
 * Coalesces concurrent describeInstanceStatus activities into DescribeInstanceStatus calls, as the
 * describe batcher does for DescribeInstances (describe-batcher.ts has the why): runs waiting for
 * readiness poll on the same shared ticks, so their status checks arrive together, and a short window
 * gathers them into one call per region, paid for from the same EC2 call budget ('describe'). While
 * the budget is short, a batch waits for its token still open, so reads arriving meanwhile join it
 * instead of queueing as calls of their own.
 *
 * DescribeInstanceStatus has no instance-id filter, so ids go in InstanceIds, and one id EC2 does not
 * know fails the whole call. The instances asked about already have an IP, so that is rare; when it
 * happens, each id of the batch is asked alone, so one run's answer does not depend on another's.
 */
import {
  DescribeInstanceStatusCommand,
  type DescribeInstanceStatusCommandInput,
  type EC2Client,
  type InstanceStatus as Ec2InstanceStatus,
} from '@aws-sdk/client-ec2';
import { DEFAULT_AWS_TIMEOUT_MS } from './aws-clients';
import type { BatchingOptions } from './describe-batcher';
import { payAhead } from './ec2-budget';
import { isInstanceNotFound } from './ec2-errors';

/** EC2 accepts at most 100 ids in one DescribeInstanceStatus call. */
const MAX_IDS = 100;

interface Waiter {
  instanceId: string;
  resolve: (status: Ec2InstanceStatus | null) => void;
  reject: (error: unknown) => void;
}

interface Batch {
  waiters: Waiter[];
  timer: NodeJS.Timeout;
  /** The window has ended or the batch is full: it is waiting for its budget token, or sent. */
  dispatched: boolean;
}

export class StatusCheckBatcher {
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly timeoutMs: number;
  /** The open batch per region: in its window, or waiting for its budget token, and still taking joiners. */
  private readonly open = new Map<string, Batch>();
  /** DescribeInstanceStatus calls made, for tests. */
  calls = 0;

  constructor(
    private readonly ec2: (region: string) => EC2Client,
    options: BatchingOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 50;
    this.maxBatch = Math.min(Math.max(1, options.maxBatch ?? MAX_IDS), MAX_IDS);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
  }

  /** EC2's status of this instance, or null when EC2 does not (yet) list it. Rejects with the call's AWS error. */
  status(region: string, instanceId: string): Promise<Ec2InstanceStatus | null> {
    return new Promise((resolve, reject) => {
      let batch = this.open.get(region);
      if (batch === undefined) {
        const opened: Batch = { waiters: [], dispatched: false, timer: setTimeout(() => void this.dispatch(region, opened), this.windowMs) };
        batch = opened;
        this.open.set(region, opened);
      }
      batch.waiters.push({ instanceId, resolve, reject });
      if (batch.waiters.length >= this.maxBatch) {
        // Full: nobody else joins; the next status opens a new batch.
        this.close(region, batch);
        void this.dispatch(region, batch);
      }
    });
  }

  /** Window over (or batch full): wait for a budget token, still open to joiners, then send. */
  private async dispatch(region: string, batch: Batch): Promise<void> {
    if (batch.dispatched) return;
    batch.dispatched = true;
    clearTimeout(batch.timer);
    const input: DescribeInstanceStatusCommandInput = {};
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
    try {
      const found = await this.describe(client, [...new Set(batch.waiters.map((w) => w.instanceId))], input);
      for (const waiter of batch.waiters) waiter.resolve(found.get(waiter.instanceId) ?? null);
    } catch (error) {
      for (const waiter of batch.waiters) waiter.reject(error);
    }
  }

  private close(region: string, batch: Batch): void {
    if (this.open.get(region) === batch) this.open.delete(region);
  }

  /**
   * The statuses EC2 lists for these ids; an id it does not know is left out. `first` is the first
   * call's input, already paid for; the calls for single ids pay as they go.
   */
  private async describe(client: EC2Client, ids: string[], first: DescribeInstanceStatusCommandInput): Promise<Map<string, Ec2InstanceStatus>> {
    try {
      return await this.send(client, ids, first);
    } catch (error) {
      if (!isInstanceNotFound(error) || ids.length === 1) throw error;
    }
    const found = new Map<string, Ec2InstanceStatus>();
    for (const id of ids) {
      try {
        for (const [key, status] of await this.send(client, [id], {})) found.set(key, status);
      } catch (error) {
        if (!isInstanceNotFound(error)) throw error;
      }
    }
    return found;
  }

  private async send(client: EC2Client, ids: string[], input: DescribeInstanceStatusCommandInput): Promise<Map<string, Ec2InstanceStatus>> {
    // All instances, not just running ones: a stopped or terminated instance's state is an answer too.
    Object.assign(input, { InstanceIds: ids, IncludeAllInstances: true });
    this.calls += 1;
    const output = await client.send(new DescribeInstanceStatusCommand(input), { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    const found = new Map<string, Ec2InstanceStatus>();
    for (const status of output.InstanceStatuses ?? []) {
      if (status.InstanceId !== undefined) found.set(status.InstanceId, status);
    }
    return found;
  }
}
