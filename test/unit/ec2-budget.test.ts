import { DescribeRegionsCommand, EC2Client, TerminateInstancesCommand, type ServiceOutputTypes } from '@aws-sdk/client-ec2';
import {
  actionClass,
  applyBudget,
  DEFAULT_EC2_BUDGET,
  throttledCalls,
  TokenBucket,
  type ActionClass,
  type Ec2Budget,
} from '../../src/activities/ec2-budget';

/** A clock that only moves when told, and a wait that moves it (recording how long it was asked to wait). */
function fakeTime(start = 1_700_000_000_000) {
  let now = start;
  const waits: number[] = [];
  return {
    waits,
    now: (): number => now,
    advance: (ms: number): void => {
      now += ms;
    },
    wait: async (ms: number): Promise<void> => {
      waits.push(ms);
      now += ms;
    },
  };
}

/** Takes `count` tokens one after the other. */
async function takeMany(bucket: TokenBucket, count: number): Promise<void> {
  for (let n = 0; n < count; n += 1) await bucket.take();
}

describe('TokenBucket', () => {
  it.each<[number, number, number]>([
    // burst, perSecond, wait for the call after the burst (ceil(1000 / perSecond))
    [3, 4, 250],
    [5, 3, 334],
    [1, 0.5, 2000],
    [2, 1000, 1],
    [50, 10, 100],
  ])('burst %p / %p per second: the burst passes at once, the next call waits %p ms', async (burst, perSecond, expectedWait) => {
    const time = fakeTime();
    const bucket = new TokenBucket({ burst, perSecond }, time.now, time.wait);

    await takeMany(bucket, burst);
    expect(time.waits).toEqual([]);

    await bucket.take();
    expect(time.waits).toEqual([expectedWait]);
  });

  it('says how long a caller asking now would wait, counting those already waiting', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ burst: 2, perSecond: 2 }, time.now, async () => new Promise(() => undefined));
    expect(bucket.waitMs()).toBe(0);
    await takeMany(bucket, 2);
    expect(bucket.waitMs()).toBe(500);
    // Two callers stuck waiting for their tokens: a third would be behind both.
    void bucket.take();
    void bucket.take();
    await Promise.resolve();
    expect(bucket.waitMs()).toBe(1500);
    time.advance(250);
    expect(bucket.waitMs()).toBe(1250);
  });

  it('paces calls after the burst at perSecond', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ burst: 2, perSecond: 4 }, time.now, time.wait);

    await takeMany(bucket, 5);

    expect(time.waits).toEqual([250, 250, 250]);
  });

  it('refills with elapsed time', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ burst: 2, perSecond: 10 }, time.now, time.wait);
    await takeMany(bucket, 2);

    time.advance(100); // one token at 10 per second
    await bucket.take();
    expect(time.waits).toEqual([]);

    await bucket.take();
    expect(time.waits).toEqual([100]);
  });

  it('refills partly: half a token shortens the next wait to the other half', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ burst: 1, perSecond: 1 }, time.now, time.wait);
    await bucket.take();

    time.advance(500);
    await bucket.take();

    expect(time.waits).toEqual([500]);
  });

  it('never holds more than burst tokens, however long it was idle', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ burst: 2, perSecond: 10 }, time.now, time.wait);
    await takeMany(bucket, 2);

    time.advance(60_000); // 600 tokens' worth
    await takeMany(bucket, 2);
    expect(time.waits).toEqual([]);

    await bucket.take();
    expect(time.waits).toEqual([100]);
  });

  it('starts full: the clock before construction does not count', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ burst: 3, perSecond: 1 }, time.now, time.wait);
    time.advance(3_600_000);

    await takeMany(bucket, 4);

    expect(time.waits).toEqual([1000]);
  });

  it('serves concurrent takes first come, first served', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ burst: 2, perSecond: 1 }, time.now, time.wait);
    const order: number[] = [];

    await Promise.all(Array.from({ length: 6 }, (_, n) => bucket.take().then(() => order.push(n))));

    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(time.waits).toEqual([1000, 1000, 1000, 1000]);
  });

  it('does not let a later caller overtake one that is waiting, even when tokens come back meanwhile', async () => {
    const time = fakeTime();
    const releases: (() => void)[] = [];
    const wait = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        releases.push(() => {
          time.advance(ms);
          resolve();
        });
      });
    const bucket = new TokenBucket({ burst: 3, perSecond: 1 }, time.now, wait);
    const order: string[] = [];

    const burst = Array.from({ length: 3 }, (_, n) => bucket.take().then(() => order.push(`burst ${n}`)));
    const fourth = bucket.take().then(() => order.push('fourth'));
    const fifth = bucket.take().then(() => order.push('fifth'));
    await Promise.all(burst);
    await new Promise((resolve) => setImmediate(resolve));
    expect(releases).toHaveLength(1); // the fourth waits; the fifth queues behind it without waiting yet

    time.advance(10_000); // the bucket is full again, but the fifth must not jump the queue
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['burst 0', 'burst 1', 'burst 2']);

    releases[0]?.();
    await Promise.all([fourth, fifth]);
    expect(order).toEqual(['burst 0', 'burst 1', 'burst 2', 'fourth', 'fifth']);
    expect(releases).toHaveLength(1); // the fifth found a token when its turn came
  });
});

describe('actionClass', () => {
  it.each<[string, ActionClass]>([
    ['RunInstancesCommand', 'launch'],
    ['DescribeInstancesCommand', 'describe'],
    ['DescribeImagesCommand', 'describe'],
    ['DescribeRegionsCommand', 'describe'],
    ['GetParameterCommand', 'describe'],
    ['TerminateInstancesCommand', 'mutate'],
    ['CreateTagsCommand', 'mutate'],
  ])('%s -> %s', (command, expected) => {
    expect(actionClass(command)).toBe(expected);
  });
});

/** What an initialize-step handler resolves to (the SDK's type wants a `response`, unknown, alongside the output). */
interface Answer {
  output: ServiceOutputTypes;
  response: unknown;
}

describe('applyBudget on an EC2Client', () => {
  const budget = (describe: { burst: number; perSecond: number }): Ec2Budget => ({ ...DEFAULT_EC2_BUDGET, describe });

  /**
   * A real client pointed at a port nothing listens on, with `inner` added right after signing
   * (inside the budget): it answers (or fails) every call without going near the network.
   */
  function client(b: Ec2Budget, inner: () => Promise<Answer>): EC2Client {
    const ec2 = new EC2Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    applyBudget(ec2, b);
    ec2.middlewareStack.addRelativeTo(() => inner, { name: 'testShortCircuit', relation: 'after', toMiddleware: 'httpSigningMiddleware' });
    return ec2;
  }

  const answer = async (): Promise<Answer> => ({ output: { $metadata: {} }, response: undefined });

  it("puts the budget inside the SDK's retry loop (each attempt pays), just before signing", () => {
    const ec2 = client(DEFAULT_EC2_BUDGET, answer);
    const stack = ec2.middlewareStack.identify();
    const retryAt = stack.indexOf('retryMiddleware - finalizeRequest');
    const budgetAt = stack.indexOf('stagelyEc2Budget - before httpSigningMiddleware');
    const signingAt = stack.findIndex((entry) => entry.startsWith('httpSigningMiddleware'));
    expect(retryAt).toBeGreaterThanOrEqual(0);
    expect(budgetAt).toBeGreaterThan(retryAt);
    expect(signingAt).toBeGreaterThan(budgetAt);
    ec2.destroy();
  });

  it('counts a RequestLimitExceeded from further down the stack against the command', async () => {
    const ec2 = client(DEFAULT_EC2_BUDGET, async () => {
      throw Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });
    });
    const before = throttledCalls.get('DescribeRegionsCommand') ?? 0;

    await expect(ec2.send(new DescribeRegionsCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(throttledCalls.get('DescribeRegionsCommand')).toBe(before + 1);
    await expect(ec2.send(new DescribeRegionsCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(throttledCalls.get('DescribeRegionsCommand')).toBe(before + 2);
    ec2.destroy();
  });

  it('does not count other errors as throttling', async () => {
    const ec2 = client(DEFAULT_EC2_BUDGET, async () => {
      throw Object.assign(new Error('nope'), { name: 'UnauthorizedOperation' });
    });
    const before = throttledCalls.get('TerminateInstancesCommand') ?? 0;

    await expect(ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-01'] }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(throttledCalls.get('TerminateInstancesCommand') ?? 0).toBe(before);
    ec2.destroy();
  });

  describe('with fake timers', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    /** Whether the promise has settled, without waiting for it. */
    function tracked<T>(promise: Promise<T>): { promise: Promise<T>; done: () => boolean } {
      let settled = false;
      const p = promise.finally(() => {
        settled = true;
      });
      return { promise: p, done: () => settled };
    }

    it('holds a describe call beyond the burst until its token is due', async () => {
      const ec2 = client(budget({ burst: 1, perSecond: 1 }), answer);

      await expect(ec2.send(new DescribeRegionsCommand({}))).resolves.toMatchObject({ $metadata: {} });
      const second = tracked(ec2.send(new DescribeRegionsCommand({})));
      await jest.advanceTimersByTimeAsync(999);
      expect(second.done()).toBe(false);

      await jest.advanceTimersByTimeAsync(1);
      expect(second.done()).toBe(true);
      await expect(second.promise).resolves.toMatchObject({ $metadata: {} });
      ec2.destroy();
    });

    it('spends describe and mutate budgets separately', async () => {
      const ec2 = client(budget({ burst: 1, perSecond: 1 }), answer);

      await ec2.send(new DescribeRegionsCommand({}));
      const describe = tracked(ec2.send(new DescribeRegionsCommand({})));
      const mutate = tracked(ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-01'] })));
      await jest.advanceTimersByTimeAsync(0);

      expect(mutate.done()).toBe(true);
      expect(describe.done()).toBe(false);
      await jest.advanceTimersByTimeAsync(1000);
      expect(describe.done()).toBe(true);
      await Promise.all([describe.promise, mutate.promise]);
      ec2.destroy();
    });
  });
});
