/**
 * An EC2-realism layer in front of moto, for the benchmark: what makes real EC2 hard at scale and
 * moto does not do.
 * - AWS-like API token buckets per account (EC2's API throttling documentation): non-mutating calls
 *   burst 100, refill 20/s; RunInstances 1000 / 2/s; other mutating calls 200 / 5/s. An empty bucket
 *   answers RequestLimitExceeded (503), as EC2 does.
 * - A public IP appears only a random delay after launch (5-40 s by default): moto shows it at once.
 */
import { failWhen, startEc2FaultProxy, type Ec2FaultProxy, type Ec2Request } from '../tools/ec2-fault-proxy';
import { mulberry32 } from '../tools/seeded-random';

interface Bucket {
  burst: number;
  perSecond: number;
  tokens: number;
  at: number;
}

const AWS_BUCKETS = {
  describe: { burst: 100, perSecond: 20 },
  launch: { burst: 1000, perSecond: 2 },
  mutate: { burst: 200, perSecond: 5 },
};

export interface RealismOptions {
  /** Public IPs show up between these many ms after launch. @default [5000, 40000] */
  ipDelayMs?: [number, number];
  /** Seed for the delays, so runs are comparable. @default 42 */
  seed?: number;
}

export interface Realism {
  proxy: Ec2FaultProxy;
  /** When each launched instance's public IP became (or becomes) visible, ms since the epoch. */
  ipVisibleAt: Map<string, number>;
  /** When moto's RunInstances answer for each instance passed through (to time a launch from its start). */
  launchedAt: Map<string, number>;
  /** When a DescribeInstances answer first carried each instance's public IP: when a poll saw it. */
  ipFirstShownAt: Map<string, number>;
  /** Every time a DescribeInstances answer carried each instance, hidden IP or not (to see poll spacing). */
  describedAt: Map<string, number[]>;
  /** Calls answered RequestLimitExceeded, by action. */
  throttled: Map<string, number>;
  /** When moto last answered a RunInstances call (ms since the epoch): the end of the launch burst. */
  lastLaunchAt(): number;
  close(): Promise<void>;
}

export async function startRealism(motoEndpoint: string, options: RealismOptions = {}): Promise<Realism> {
  const [minDelay, maxDelay] = options.ipDelayMs ?? [5_000, 40_000];
  const random = mulberry32(options.seed ?? 42);
  const proxy = await startEc2FaultProxy(motoEndpoint);
  const buckets: Record<keyof typeof AWS_BUCKETS, Bucket> = {
    describe: { ...AWS_BUCKETS.describe, tokens: AWS_BUCKETS.describe.burst, at: Date.now() },
    launch: { ...AWS_BUCKETS.launch, tokens: AWS_BUCKETS.launch.burst, at: Date.now() },
    mutate: { ...AWS_BUCKETS.mutate, tokens: AWS_BUCKETS.mutate.burst, at: Date.now() },
  };
  const throttled = new Map<string, number>();
  const take = (request: Ec2Request): boolean => {
    const bucket = buckets[classOf(request.action)];
    const now = Date.now();
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.at) / 1000) * bucket.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };
  proxy.rules.push(
    failWhen(
      (request) => {
        if (request.action === '' || take(request)) return false;
        throttled.set(request.action, (throttled.get(request.action) ?? 0) + 1);
        return true;
      },
      { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 },
    ),
  );

  const ipVisibleAt = new Map<string, number>();
  const launchedAt = new Map<string, number>();
  const ipFirstShownAt = new Map<string, number>();
  const describedAt = new Map<string, number[]>();
  let lastLaunchAnsweredAt = 0;
  proxy.rewrite = (request, body) => {
    if (request.action !== 'RunInstances' && request.action !== 'DescribeInstances') return body;
    const now = Date.now();
    if (request.action === 'RunInstances') lastLaunchAnsweredAt = now;
    // Per instance, not per address: moto draws public IPs from a small range, and two instances can
    // get the same one. Each instance's part of the answer runs from its <instanceId> to the next.
    return body.replace(/<instanceId>(i-[0-9a-f]+)<\/instanceId>[\s\S]*?(?=<instanceId>|$)/g, (part, instanceId: string) => {
      let visibleAt = ipVisibleAt.get(instanceId);
      if (request.action === 'DescribeInstances') describedAt.set(instanceId, [...(describedAt.get(instanceId) ?? []), now]);
      if (visibleAt === undefined && request.action === 'RunInstances') {
        visibleAt = now + minDelay + random() * (maxDelay - minDelay);
        ipVisibleAt.set(instanceId, visibleAt);
        launchedAt.set(instanceId, now);
      }
      if (visibleAt !== undefined && visibleAt > now) return part.replace(/<(ipAddress|publicIp)>[0-9.]+<\/\1>/g, '');
      if (request.action === 'DescribeInstances' && !ipFirstShownAt.has(instanceId)) ipFirstShownAt.set(instanceId, now);
      return part;
    });
  };

  return { proxy, ipVisibleAt, launchedAt, ipFirstShownAt, describedAt, throttled, lastLaunchAt: () => lastLaunchAnsweredAt, close: () => proxy.close() };
}

function classOf(action: string): keyof typeof AWS_BUCKETS {
  if (action === 'RunInstances') return 'launch';
  return action.startsWith('Describe') ? 'describe' : 'mutate';
}
