import {
  type DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  type DescribeInstancesCommandOutput,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { DescribeBatcher, LATE_WINDOW_MS, type ForeseenPolls } from '../../src/activities/describe-batcher';
import { applyBudget, DEFAULT_EC2_BUDGET } from '../../src/activities/ec2-budget';
import type { InstanceStatus } from '../../src/activities/instance-status';

type Respond = (input: DescribeInstancesCommandInput, call: number) => DescribeInstancesCommandOutput | Promise<DescribeInstancesCommandOutput>;

/**
 * Stands in for one region's EC2Client: records each DescribeInstancesCommand's input and answers
 * with a scripted output. By default it answers with the known instances whose ids are in the filter.
 */
class FakeEc2 {
  readonly inputs: DescribeInstancesCommandInput[] = [];

  constructor(private readonly respond: Respond) {}

  send(command: DescribeInstancesCommand): Promise<DescribeInstancesCommandOutput> {
    this.inputs.push(command.input);
    const call = this.inputs.length;
    // Asynchronous like the SDK: the answer arrives after the caller has awaited.
    return Promise.resolve().then(() => this.respond(command.input, call));
  }

  /** The filter values of each call, in order. */
  get batches(): string[][] {
    return this.inputs.map((input) => input.Filters?.[0]?.Values ?? []);
  }

  asClient(): EC2Client {
    return this as unknown as EC2Client;
  }
}

function output(instances: Instance[], nextToken?: string): DescribeInstancesCommandOutput {
  return { $metadata: {}, Reservations: [{ Instances: instances }], ...(nextToken !== undefined && { NextToken: nextToken }) };
}

/** Answers with those of `known` whose ids the filter names. */
function knownInstances(known: Instance[]): Respond {
  return (input) => {
    const ids = input.Filters?.[0]?.Values ?? [];
    return output(known.filter((i) => i.InstanceId !== undefined && ids.includes(i.InstanceId)));
  };
}

function running(instanceId: string): Instance {
  return { InstanceId: instanceId, State: { Name: 'running' } };
}

function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, n) => `${prefix}${String(n).padStart(4, '0')}`);
}

/** A batcher over one fake per region, each answering with `respond`. */
function setup(respond: Respond = knownInstances([]), options?: ConstructorParameters<typeof DescribeBatcher>[1]) {
  const fakes = new Map<string, FakeEc2>();
  const factory = jest.fn((region: string): EC2Client => {
    let fake = fakes.get(region);
    if (fake === undefined) {
      fake = new FakeEc2(respond);
      fakes.set(region, fake);
    }
    return fake.asClient();
  });
  const batcher = new DescribeBatcher(factory, options);
  const fake = (region: string): FakeEc2 => {
    const found = fakes.get(region);
    if (found === undefined) throw new Error(`no EC2 client was made for ${region}`);
    return found;
  };
  return { batcher, factory, fake, fakes };
}

const WINDOW_MS = 50;

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('DescribeBatcher coalescing', () => {
  it('makes one DescribeInstances call, by instance-id filter, for 5 concurrent describes in one region', async () => {
    const known = ['i-01', 'i-02', 'i-03', 'i-04', 'i-05'].map(running);
    const { batcher, fake, factory } = setup(knownInstances(known));

    const results = ['i-01', 'i-02', 'i-03', 'i-04', 'i-05'].map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId }));
    expect(factory).not.toHaveBeenCalled();

    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(fake('us-east-1').inputs).toEqual([{ Filters: [{ Name: 'instance-id', Values: ['i-01', 'i-02', 'i-03', 'i-04', 'i-05'] }] }]);
    expect(fake('us-east-1').inputs[0]).not.toHaveProperty('NextToken');
    expect(batcher.calls).toBe(1);
    expect((await Promise.all(results)).map((s) => s?.instanceId)).toEqual(['i-01', 'i-02', 'i-03', 'i-04', 'i-05']);
  });

  it('waits for the window: nothing is sent before it ends, and a call late in the window still joins', async () => {
    const { batcher, fakes, fake } = setup(knownInstances([running('i-early'), running('i-late')]));

    const early = batcher.describe({ region: 'us-east-1', instanceId: 'i-early' });
    await jest.advanceTimersByTimeAsync(WINDOW_MS - 1);
    expect(fakes.size).toBe(0);
    const late = batcher.describe({ region: 'us-east-1', instanceId: 'i-late' });
    await jest.advanceTimersByTimeAsync(1);

    expect(fake('us-east-1').batches).toEqual([['i-early', 'i-late']]);
    expect((await early)?.instanceId).toBe('i-early');
    expect((await late)?.instanceId).toBe('i-late');
  });

  it('honours a custom window', async () => {
    const { batcher, fakes, fake } = setup(knownInstances([running('i-01')]), { windowMs: 200 });

    const result = batcher.describe({ region: 'us-east-1', instanceId: 'i-01' });
    await jest.advanceTimersByTimeAsync(199);
    expect(fakes.size).toBe(0);
    await jest.advanceTimersByTimeAsync(1);

    expect(fake('us-east-1').batches).toEqual([['i-01']]);
    expect((await result)?.instanceId).toBe('i-01');
  });

  it('asks for a duplicated id once, and answers every caller that asked for it', async () => {
    const { batcher, fake } = setup(knownInstances([running('i-01'), running('i-02')]));

    const first = batcher.describe({ region: 'us-east-1', instanceId: 'i-01' });
    const other = batcher.describe({ region: 'us-east-1', instanceId: 'i-02' });
    const second = batcher.describe({ region: 'us-east-1', instanceId: 'i-01' });
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(fake('us-east-1').inputs).toEqual([{ Filters: [{ Name: 'instance-id', Values: ['i-01', 'i-02'] }] }]);
    expect(await first).toEqual({ instanceId: 'i-01', state: 'running', ec2State: 'running', spot: false });
    expect(await second).toEqual({ instanceId: 'i-01', state: 'running', ec2State: 'running', spot: false });
    expect(await other).toEqual({ instanceId: 'i-02', state: 'running', ec2State: 'running', spot: false });
  });

  it('starts a new batch for a call made after a flush (two sends)', async () => {
    const { batcher, fake } = setup(knownInstances([running('i-01'), running('i-02')]));

    const first = batcher.describe({ region: 'us-east-1', instanceId: 'i-01' });
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect((await first)?.instanceId).toBe('i-01');

    const second = batcher.describe({ region: 'us-east-1', instanceId: 'i-02' });
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(fake('us-east-1').batches).toEqual([['i-01'], ['i-02']]);
    expect(batcher.calls).toBe(2);
    expect((await second)?.instanceId).toBe('i-02');
  });

  it('does not add a call to a batch already in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { batcher, fake } = setup(async (input) => {
      await gate;
      return knownInstances([running('i-01'), running('i-02')])(input, 0);
    });

    const first = batcher.describe({ region: 'us-east-1', instanceId: 'i-01' });
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect(fake('us-east-1').batches).toEqual([['i-01']]);

    // The first call is sent but unanswered; this one waits for a window of its own.
    const second = batcher.describe({ region: 'us-east-1', instanceId: 'i-02' });
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect(fake('us-east-1').batches).toEqual([['i-01'], ['i-02']]);

    release();
    expect((await first)?.instanceId).toBe('i-01');
    expect((await second)?.instanceId).toBe('i-02');
  });
});

describe('DescribeBatcher results', () => {
  it('maps each caller its own instance with toStatus, across reservations', async () => {
    const respond: Respond = () => ({
      $metadata: {},
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-spot',
              State: { Name: 'running' },
              PublicIpAddress: '203.0.113.10',
              PrivateIpAddress: '10.0.0.10',
              LaunchTime: new Date('2024-05-01T12:34:56.000Z'),
              InstanceLifecycle: 'spot',
              InstanceType: 't4g.small',
            },
            { InstanceId: 'i-pending', State: { Name: 'pending' } },
            { InstanceId: 'i-stopping', State: { Name: 'stopping' } },
            { InstanceId: 'i-no-state' },
          ],
        },
        {
          Instances: [
            {
              InstanceId: 'i-ondemand',
              State: { Name: 'shutting-down' },
              PrivateIpAddress: '10.0.0.11',
              LaunchTime: new Date('2024-05-02T00:00:00.000Z'),
            },
          ],
        },
      ],
    });
    const { batcher } = setup(respond);

    const results = ['i-ondemand', 'i-pending', 'i-stopping', 'i-no-state', 'i-spot'].map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId }));
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    // state folds EC2's name (stopping -> stopped, shutting-down -> terminated); ec2State keeps it.
    expect(await Promise.all(results)).toStrictEqual<InstanceStatus[]>([
      { instanceId: 'i-ondemand', state: 'terminated', ec2State: 'shutting-down', privateIp: '10.0.0.11', launchedAt: '2024-05-02T00:00:00.000Z', spot: false },
      { instanceId: 'i-pending', state: 'pending', ec2State: 'pending', spot: false },
      { instanceId: 'i-stopping', state: 'stopped', ec2State: 'stopping', spot: false },
      { instanceId: 'i-no-state', state: 'pending', spot: false },
      {
        instanceId: 'i-spot',
        state: 'running',
        ec2State: 'running',
        instanceType: 't4g.small',
        publicIp: '203.0.113.10',
        privateIp: '10.0.0.10',
        launchedAt: '2024-05-01T12:34:56.000Z',
        spot: true,
      },
    ]);
  });

  it('resolves ids EC2 does not report to null, and the others normally', async () => {
    const { batcher, fake } = setup(knownInstances([running('i-known-1'), running('i-known-2')]));

    const results = ['i-known-1', 'i-not-yet', 'i-known-2', 'i-gone'].map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId }));
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(fake('us-east-1').batches).toEqual([['i-known-1', 'i-not-yet', 'i-known-2', 'i-gone']]);
    expect(await Promise.all(results)).toEqual([
      { instanceId: 'i-known-1', state: 'running', ec2State: 'running', spot: false },
      null,
      { instanceId: 'i-known-2', state: 'running', ec2State: 'running', spot: false },
      null,
    ]);
  });

  it('resolves everything to null when EC2 answers with no reservations at all', async () => {
    const { batcher } = setup(() => ({ $metadata: {} }));

    const results = ['i-01', 'i-02'].map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId }));
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(await Promise.all(results)).toEqual([null, null]);
  });

  it('follows NextToken with the same filter and finds instances from every page', async () => {
    const { batcher, fake } = setup((input) =>
      input.NextToken === undefined ? output([running('i-page-1')], 'token-2') : output([running('i-page-2')]),
    );

    const results = ['i-page-1', 'i-page-2', 'i-nowhere'].map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId }));
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    const filter = [{ Name: 'instance-id', Values: ['i-page-1', 'i-page-2', 'i-nowhere'] }];
    expect(fake('us-east-1').inputs).toEqual([{ Filters: filter }, { Filters: filter, NextToken: 'token-2' }]);
    expect(fake('us-east-1').inputs[0]).not.toHaveProperty('NextToken');
    expect(await Promise.all(results)).toEqual([
      { instanceId: 'i-page-1', state: 'running', ec2State: 'running', spot: false },
      { instanceId: 'i-page-2', state: 'running', ec2State: 'running', spot: false },
      null,
    ]);
  });
});

describe('DescribeBatcher batch size', () => {
  it('with maxBatch 3, sends 7 calls as 3, 3 and 1, the full batches without waiting for the window', async () => {
    const all = ids('i-', 7);
    const { batcher, fake } = setup(knownInstances(all.map(running)), { maxBatch: 3 });

    const results = all.map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId }));
    expect(fake('us-east-1').batches).toEqual([
      ['i-0000', 'i-0001', 'i-0002'],
      ['i-0003', 'i-0004', 'i-0005'],
    ]);

    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect(fake('us-east-1').batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(fake('us-east-1').batches[2]).toEqual(['i-0006']);
    expect(batcher.calls).toBe(3);
    expect((await Promise.all(results)).map((s) => s?.instanceId)).toEqual(all);
  });

  it('caps maxBatch at 200: 450 calls with maxBatch 500 make sends of 200, 200 and 50', async () => {
    const all = ids('i-', 450);
    const { batcher, fake } = setup(knownInstances(all.map(running)), { maxBatch: 500 });

    const results = all.map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId }));
    expect(fake('us-east-1').batches.map((b) => b.length)).toEqual([200, 200]);

    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect(fake('us-east-1').batches.map((b) => b.length)).toEqual([200, 200, 50]);
    expect(fake('us-east-1').batches.flat()).toEqual(all);
    expect(batcher.calls).toBe(3);
    expect((await Promise.all(results)).every((s, n) => s?.instanceId === all[n])).toBe(true);
  });

  it('defaults maxBatch to 200', async () => {
    const all = ids('i-', 201);
    const { batcher, fake } = setup(knownInstances([]));

    const results = all.map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId }));
    expect(fake('us-east-1').batches.map((b) => b.length)).toEqual([200]);
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect(fake('us-east-1').batches.map((b) => b.length)).toEqual([200, 1]);
    await Promise.all(results);
  });

  it.each<[number, number[]]>([
    [0, [1, 1, 1]],
    [-5, [1, 1, 1]],
  ])('treats maxBatch %p as 1 (every call goes alone, at once)', async (maxBatch, sizes) => {
    const { batcher, fake } = setup(knownInstances([]), { maxBatch });

    const results = ['i-01', 'i-02', 'i-03'].map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId }));
    expect(fake('us-east-1').batches.map((b) => b.length)).toEqual(sizes);
    await Promise.all(results);
  });
});

describe('DescribeBatcher regions', () => {
  it("makes one call per region, each through that region's client", async () => {
    const { batcher, factory, fake } = setup(knownInstances(['i-use1-a', 'i-use1-b', 'i-euw1-a'].map(running)));

    const results = [
      batcher.describe({ region: 'us-east-1', instanceId: 'i-use1-a' }),
      batcher.describe({ region: 'eu-west-1', instanceId: 'i-euw1-a' }),
      batcher.describe({ region: 'us-east-1', instanceId: 'i-use1-b' }),
    ];
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(factory.mock.calls.map(([region]) => region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(fake('us-east-1').inputs).toEqual([{ Filters: [{ Name: 'instance-id', Values: ['i-use1-a', 'i-use1-b'] }] }]);
    expect(fake('eu-west-1').inputs).toEqual([{ Filters: [{ Name: 'instance-id', Values: ['i-euw1-a'] }] }]);
    expect(batcher.calls).toBe(2);
    expect((await Promise.all(results)).map((s) => s?.instanceId)).toEqual(['i-use1-a', 'i-euw1-a', 'i-use1-b']);
  });

  it('counts maxBatch per region', async () => {
    const { batcher, fakes, fake } = setup(knownInstances([]), { maxBatch: 2 });

    const results = [
      batcher.describe({ region: 'us-east-1', instanceId: 'i-01' }),
      batcher.describe({ region: 'eu-west-1', instanceId: 'i-02' }),
    ];
    expect(fakes.size).toBe(0);
    results.push(batcher.describe({ region: 'us-east-1', instanceId: 'i-03' }));
    expect(fake('us-east-1').batches).toEqual([['i-01', 'i-03']]);
    expect(fakes.has('eu-west-1')).toBe(false);

    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect(fake('eu-west-1').batches).toEqual([['i-02']]);
    await Promise.all(results);
  });
});

describe('DescribeBatcher errors', () => {
  function throttled(): Error {
    return Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });
  }

  it("rejects every caller in a failed batch with that batch's error; another region's batch still resolves", async () => {
    const error = throttled();
    const { batcher, fake } = setup((input) => {
      const values = input.Filters?.[0]?.Values ?? [];
      if (values.includes('i-use1-a')) throw error;
      return knownInstances([running('i-euw1-a')])(input, 0);
    });

    const settled = Promise.allSettled([
      batcher.describe({ region: 'us-east-1', instanceId: 'i-use1-a' }),
      batcher.describe({ region: 'us-east-1', instanceId: 'i-use1-b' }),
      batcher.describe({ region: 'eu-west-1', instanceId: 'i-euw1-a' }),
    ]);
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(await settled).toEqual([
      { status: 'rejected', reason: error },
      { status: 'rejected', reason: error },
      { status: 'fulfilled', value: { instanceId: 'i-euw1-a', state: 'running', ec2State: 'running', spot: false } },
    ]);
    const [first, second] = await settled;
    expect(first?.status === 'rejected' && first.reason).toBe(error);
    expect(second?.status === 'rejected' && (second.reason as Error).name).toBe('RequestLimitExceeded');
    expect(fake('us-east-1').inputs).toHaveLength(1);
  });

  it('isolates a failed batch from the next batch in the same region (flushed by maxBatch or later)', async () => {
    const error = throttled();
    const { batcher, fake } = setup((input, call) => {
      if (call === 1) throw error;
      return knownInstances(['i-03', 'i-04', 'i-05'].map(running))(input, call);
    }, { maxBatch: 2 });

    const settled = Promise.allSettled(['i-01', 'i-02', 'i-03', 'i-04'].map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId })));
    await jest.advanceTimersByTimeAsync(0);
    const later = batcher.describe({ region: 'us-east-1', instanceId: 'i-05' });
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(fake('us-east-1').batches).toEqual([['i-01', 'i-02'], ['i-03', 'i-04'], ['i-05']]);
    expect(await settled).toEqual([
      { status: 'rejected', reason: error },
      { status: 'rejected', reason: error },
      { status: 'fulfilled', value: { instanceId: 'i-03', state: 'running', ec2State: 'running', spot: false } },
      { status: 'fulfilled', value: { instanceId: 'i-04', state: 'running', ec2State: 'running', spot: false } },
    ]);
    expect(await later).toEqual({ instanceId: 'i-05', state: 'running', ec2State: 'running', spot: false });
  });

  it('rejects the whole batch when a later page fails', async () => {
    const error = throttled();
    const { batcher, fake } = setup((input) => {
      if (input.NextToken !== undefined) throw error;
      return output([running('i-01')], 'token-2');
    });

    const settled = Promise.allSettled(['i-01', 'i-02'].map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId })));
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(fake('us-east-1').inputs).toHaveLength(2);
    expect(await settled).toEqual([
      { status: 'rejected', reason: error },
      { status: 'rejected', reason: error },
    ]);
  });

  it("rejects the batch when the region's client cannot be made", async () => {
    const error = new Error('no client for mars-1');
    const batcher = new DescribeBatcher(() => {
      throw error;
    });

    const settled = Promise.allSettled([batcher.describe({ region: 'mars-1', instanceId: 'i-01' })]);
    await jest.advanceTimersByTimeAsync(WINDOW_MS);

    expect(await settled).toEqual([{ status: 'rejected', reason: error }]);
  });
});

describe('DescribeBatcher under the EC2 call budget', () => {
  /**
   * A real EC2Client with a budget of `burst` calls then 1 per second, answering every
   * DescribeInstances from `inner` (no network): what the batcher sent, and when.
   */
  function budgeted(burst: number, maxBatch?: number) {
    const sent: { at: number; ids: string[] }[] = [];
    const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    applyBudget(ec2, { ...DEFAULT_EC2_BUDGET, describe: { burst, perSecond: 1 } });
    ec2.middlewareStack.add(
      () => async (args) => {
        const input = args.input as DescribeInstancesCommandInput;
        sent.push({ at: Date.now(), ids: input.Filters?.[0]?.Values ?? [] });
        return { output: output([]), response: undefined };
      },
      { step: 'initialize', name: 'testShortCircuit' },
    );
    const batcher = new DescribeBatcher(() => ec2, { windowMs: WINDOW_MS, ...(maxBatch !== undefined && { maxBatch }) });
    return { sent, batcher, destroy: () => ec2.destroy() };
  }

  it('keeps a batch open while it waits for a token: later polls join it, and it pays once', async () => {
    const { sent, batcher, destroy } = budgeted(1);
    const start = Date.now();
    const first = batcher.describe({ region: 'us-east-1', instanceId: 'i-a' });
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    await first;
    expect(sent.map((s) => s.ids)).toEqual([['i-a']]);

    // The burst is spent: the next batch closes its window at once but waits ~1 s for its token...
    const second = batcher.describe({ region: 'us-east-1', instanceId: 'i-b' });
    await jest.advanceTimersByTimeAsync(500);
    // ...and a poll arriving meanwhile joins it instead of queueing a call of its own.
    const third = batcher.describe({ region: 'us-east-1', instanceId: 'i-c' });
    await jest.advanceTimersByTimeAsync(500);
    await Promise.all([second, third]);

    expect(sent.map((s) => s.ids)).toEqual([['i-a'], ['i-b', 'i-c']]);
    // One token for the batch: sent when the first refill was due, not a second later.
    expect((sent[1]?.at ?? 0) - start).toBeLessThanOrEqual(WINDOW_MS + 1000);
    expect(batcher.calls).toBe(2);
    destroy();
  });

  it('closes a waiting batch when it is full; the next poll opens another that waits its turn', async () => {
    const { sent, batcher, destroy } = budgeted(1, 2);
    const results = [batcher.describe({ region: 'us-east-1', instanceId: 'i-a' })];
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    results.push(...['i-b', 'i-c', 'i-d'].map((instanceId) => batcher.describe({ region: 'us-east-1', instanceId })));
    await jest.advanceTimersByTimeAsync(3000);
    await Promise.all(results);
    expect(sent.map((s) => s.ids)).toEqual([['i-a'], ['i-b', 'i-c'], ['i-d']]);
    destroy();
  });
});

describe('DescribeBatcher on ticks: polls the worker foresaw', () => {
  const INTERVAL = 5000;
  const east = (instanceId: string) => ({ region: 'us-east-1', instanceId });

  /** Follows a promise without awaiting it, so a test fails at once instead of hanging on fake timers. */
  function track<T>(promise: Promise<T>): { settled: boolean; value?: T } {
    const state: { settled: boolean; value?: T } = { settled: false };
    void promise.then((value) => Object.assign(state, { settled: true, value }));
    return state;
  }

  /** Fake time at a round tick, so ticks are easy to read. */
  function atTick(): number {
    jest.setSystemTime(1_800_000_000_000);
    return Date.now();
  }

  it('asks EC2 at the tick about every run due then, in one call, before their polls arrive', async () => {
    const now = atTick();
    const { batcher, fakes, fake } = setup(knownInstances([running('i-a'), running('i-b')]));
    const tick = now + 1000;
    batcher.expect(east('i-a'), tick, INTERVAL);
    batcher.expect(east('i-b'), tick, INTERVAL);

    await jest.advanceTimersByTimeAsync(999);
    expect(fakes.size).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(fake('us-east-1').batches).toEqual([['i-a', 'i-b']]);

    // The polls come in later (their workflow tasks were queued) and take the tick's answer.
    await jest.advanceTimersByTimeAsync(1500);
    const a = track(batcher.describe(east('i-a'), { dueAt: tick, intervalMs: INTERVAL }));
    const b = track(batcher.describe(east('i-b'), { dueAt: tick, intervalMs: INTERVAL }));
    await jest.advanceTimersByTimeAsync(0);
    expect([a.value?.instanceId, b.value?.instanceId]).toEqual(['i-a', 'i-b']);
    expect(batcher.calls).toBe(1);
  });

  it('a poll that arrives just before its tick waits for the tick, not for a window', async () => {
    const now = atTick();
    const { batcher, fake } = setup(knownInstances([running('i-a')]), { windowMs: 500 });
    const tick = now + 1000;
    batcher.expect(east('i-a'), tick, INTERVAL);
    await jest.advanceTimersByTimeAsync(990);

    let answeredAt: number | undefined;
    const poll = track(
      batcher.describe(east('i-a'), { dueAt: tick, intervalMs: INTERVAL }).then((s) => {
        answeredAt = Date.now();
        return s;
      }),
    );
    await jest.advanceTimersByTimeAsync(10);
    expect(poll.value?.instanceId).toBe('i-a');
    expect(answeredAt).toBe(tick);
    expect(fake('us-east-1').batches).toEqual([['i-a']]);
  });

  it("takes polls gathering in a window along in the tick's call, answering them at the tick", async () => {
    const now = atTick();
    const { batcher, fake } = setup(knownInstances([running('i-due'), running('i-new')]), { windowMs: 500 });
    const tick = now + 1000;
    batcher.expect(east('i-due'), tick, INTERVAL);
    await jest.advanceTimersByTimeAsync(900);
    // A run's first poll, which nobody foresaw: it opens a window that would close at tick + 400.
    const first = track(batcher.describe(east('i-new'), { dueAt: now + 900, intervalMs: INTERVAL }));
    await jest.advanceTimersByTimeAsync(100);

    expect(fake('us-east-1').batches).toEqual([['i-new', 'i-due']]);
    expect(first.value?.instanceId).toBe('i-new');
    const due = track(batcher.describe(east('i-due'), { dueAt: tick, intervalMs: INTERVAL }));
    await jest.advanceTimersByTimeAsync(0);
    expect(due.value?.instanceId).toBe('i-due');
    expect(batcher.calls).toBe(1);
  });

  /** Records the ForeseenPolls calls as lateness per started key, as start admission reads them. */
  function lateness(): { polls: ForeseenPolls; late: number[] } {
    const due = new Map<string, number>();
    const late: number[] = [];
    return {
      late,
      polls: {
        expected: (key, dueAt) => due.set(key, dueAt),
        started: (key, at) => {
          const dueAt = due.get(key);
          if (dueAt !== undefined) late.push(at - dueAt);
          due.delete(key);
        },
      },
    };
  }

  it('reports how late each foreseen poll arrived after its tick, and nothing for polls it did not foresee', async () => {
    const now = atTick();
    const { polls, late } = lateness();
    const batcher = new DescribeBatcher(() => new FakeEc2(knownInstances([running('i-a'), running('i-b')])).asClient(), { windowMs: WINDOW_MS }, polls);
    const tick = now + 1000;
    batcher.expect(east('i-a'), tick, INTERVAL);
    await jest.advanceTimersByTimeAsync(1300);
    const foreseen = track(batcher.describe(east('i-a'), { dueAt: tick, intervalMs: INTERVAL }));
    const unforeseen = track(batcher.describe(east('i-b'), { dueAt: tick, intervalMs: INTERVAL }));
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect([foreseen.settled, unforeseen.settled]).toEqual([true, true]);
    expect(late).toEqual([300]);
  });

  it("reports a foreseen poll however late, even after its tick's answer was forgotten (it then asks afresh)", async () => {
    const now = atTick();
    const { polls, late } = lateness();
    const fake = new FakeEc2(knownInstances([running('i-a')]));
    const batcher = new DescribeBatcher(() => fake.asClient(), { windowMs: WINDOW_MS }, polls);
    const tick = now + 1000;
    batcher.expect(east('i-a'), tick, INTERVAL);
    await jest.advanceTimersByTimeAsync(1000 + 3 * INTERVAL);
    const poll = track(batcher.describe(east('i-a'), { dueAt: tick, intervalMs: INTERVAL }));
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect(poll.value?.instanceId).toBe('i-a');
    expect(late).toEqual([3 * INTERVAL]);
    // The tick's call, then the late poll's own: the stale answer was not handed out.
    expect(fake.batches).toEqual([['i-a'], ['i-a']]);
  });

  it('splits a tick of more than 200 runs into calls of at most 200', async () => {
    const now = atTick();
    const { batcher, fake } = setup(knownInstances([]));
    for (const id of ids('i-', 450)) batcher.expect(east(id), now + 1000, INTERVAL);
    await jest.advanceTimersByTimeAsync(1000);
    expect(fake('us-east-1').batches.map((b) => b.length)).toEqual([200, 200, 50]);
  });

  it('makes a call per region on a tick', async () => {
    const now = atTick();
    const { batcher, fake } = setup(knownInstances([]));
    batcher.expect(east('i-a'), now + 1000, INTERVAL);
    batcher.expect({ region: 'eu-west-1', instanceId: 'i-b' }, now + 1000, INTERVAL);
    await jest.advanceTimersByTimeAsync(1000);
    expect(fake('us-east-1').batches).toEqual([['i-a']]);
    expect(fake('eu-west-1').batches).toEqual([['i-b']]);
  });

  it("a poll whose tick's call failed asks again on its own, and gets its own answer", async () => {
    const now = atTick();
    const { batcher, fake } = setup((input, call) => {
      if (call === 1) throw Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });
      return knownInstances([running('i-a')])(input, call);
    });
    const tick = now + 1000;
    batcher.expect(east('i-a'), tick, INTERVAL);
    await jest.advanceTimersByTimeAsync(1000);

    const poll = batcher.describe(east('i-a'), { dueAt: tick, intervalMs: INTERVAL });
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect((await poll)?.instanceId).toBe('i-a');
    expect(fake('us-east-1').batches).toEqual([['i-a'], ['i-a']]);
  });

  it('a failed answer that no poll claims is dropped without an unhandled rejection', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const now = atTick();
      const { batcher, fake } = setup(() => {
        throw new Error('boom');
      });
      batcher.expect(east('i-a'), now + 1000, INTERVAL);
      await jest.advanceTimersByTimeAsync(1000 + INTERVAL + 1);
      // Let Node report any rejection nobody handled.
      jest.useRealTimers();
      await new Promise((resolve) => setImmediate(resolve));
      expect(fake('us-east-1').batches).toEqual([['i-a']]);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('a poll an interval or more after its tick finds the answer forgotten, and asks EC2 again', async () => {
    const now = atTick();
    const { batcher, fake } = setup(knownInstances([running('i-a')]));
    const tick = now + 1000;
    batcher.expect(east('i-a'), tick, INTERVAL);
    await jest.advanceTimersByTimeAsync(1000 + INTERVAL);

    const poll = batcher.describe(east('i-a'), { dueAt: tick, intervalMs: INTERVAL });
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect((await poll)?.instanceId).toBe('i-a');
    expect(fake('us-east-1').batches).toEqual([['i-a'], ['i-a']]);
  });

  it('a poll well before its tick (its sleep cut short by the deadline) asks now instead of waiting', async () => {
    const now = atTick();
    const { batcher, fake } = setup(knownInstances([running('i-a')]));
    const tick = now + 4000;
    batcher.expect(east('i-a'), tick, INTERVAL);

    const poll = track(batcher.describe(east('i-a'), { dueAt: tick, intervalMs: INTERVAL }));
    await jest.advanceTimersByTimeAsync(WINDOW_MS);
    expect(poll.value?.instanceId).toBe('i-a');
    expect(fake('us-east-1').batches).toEqual([['i-a']]);
  });

  it('a poll already late for a tick it was not foreseen on (a restarted worker) waits only the short late window', async () => {
    const now = atTick();
    const { batcher, fakes, fake } = setup(knownInstances([running('i-a'), running('i-b'), running('i-c')]), { windowMs: 500 });
    // A first poll opens a batch with the full window; two late ones bring it forward and join it.
    const first = batcher.describe(east('i-a'));
    await jest.advanceTimersByTimeAsync(100);
    const late = [batcher.describe(east('i-b'), { dueAt: now - 8000, intervalMs: INTERVAL }), batcher.describe(east('i-c'), { dueAt: now - 3000, intervalMs: INTERVAL })];
    await jest.advanceTimersByTimeAsync(LATE_WINDOW_MS - 1);
    expect(fakes.size).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(fake('us-east-1').batches).toEqual([['i-a', 'i-b', 'i-c']]);
    expect((await Promise.all([first, ...late])).map((s) => s?.instanceId)).toEqual(['i-a', 'i-b', 'i-c']);
  });

  it('a poll for a tick the worker did not foresee waits the window as before', async () => {
    const now = atTick();
    const { batcher, fakes, fake } = setup(knownInstances([running('i-a')]));
    const poll = batcher.describe(east('i-a'), { dueAt: now, intervalMs: INTERVAL });
    await jest.advanceTimersByTimeAsync(WINDOW_MS - 1);
    expect(fakes.size).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect((await poll)?.instanceId).toBe('i-a');
    expect(fake('us-east-1').batches).toEqual([['i-a']]);
  });
});
