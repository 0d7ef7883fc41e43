/**
 * The worker's own settings, from the environment: how it reaches AWS (region, images, the EC2 call
 * budget, time-outs, describe batching, the reaper's regions) and its capacity. A bad value stops the
 * worker at start with a message naming the variable.
 */
import { parseDuration } from '../common/durations';
import { CANONICAL_UBUNTU_2204_PARAMETER } from '../common/images';
import { DEFAULT_REGION, isKnownRegion } from '../common/regions';
import { DEFAULT_AWS_TIMEOUT_MS } from '../activities/aws-clients';
import type { BatchingOptions } from '../activities/describe-batcher';
import { DEFAULT_EC2_BUDGET, type ActionClass, type Ec2Budget } from '../activities/ec2-budget';
import { nonEmpty } from '../config';

/**
 * How long a describe batch gathers the polls the worker did not foresee (a run's first, one after a
 * restart, one whose tick's call failed); foreseen polls take their tick's call and do not wait.
 * Polls reach the worker spread out when many runs poll together, and a longer window gathers more
 * of them into one call: moto, like EC2, answers fewer, larger calls faster overall than many small
 * ones. Shorter windows, or closing a batch early once polls pause, made more calls and no better
 * p99 beyond run-to-run noise (docs/benchmark-history.md has the runs).
 */
export const DEFAULT_BATCH_WINDOW_MS = 500;

export interface AwsSettings {
  /** Region checked by validateCredentials when none is given. @default AWS_REGION, else "us-east-1" */
  defaultRegion: string;
  /** SSM parameter with the image id; `{arch}` is amd64 or arm64. @default Canonical's Ubuntu 22.04 (STAGELY_IMAGE_PARAMETER) */
  imageParameter: string;
  /** How long a resolved image is reused. @default 1h (STAGELY_IMAGE_CACHE_TTL) */
  imageCacheTtlMs: number;
  /** Where EC2 calls go, for the start-up log line. */
  endpoint: string;
  /** Client-side EC2 call budget per region. @default DEFAULT_EC2_BUDGET (STAGELY_EC2_BUDGET) */
  budget: Ec2Budget;
  /**
   * How long one AWS HTTP request may take to connect and then to be answered, and one batched
   * DescribeInstances call (its pages and the SDK's retries) in all. @default 30s (STAGELY_EC2_TIMEOUT)
   */
  ec2TimeoutMs: number;
  /** Coalesce polls into shared DescribeInstances calls; false turns it off. (STAGELY_DESCRIBE_BATCHING=off, STAGELY_DESCRIBE_BATCH_WINDOW) */
  batching: BatchingOptions | false;
  /** Regions the orphan reaper scans when its request names none. @default [defaultRegion] (STAGELY_REAPER_REGIONS, comma-separated) */
  reaperRegions: string[];
}

export function awsSettings(env: NodeJS.ProcessEnv = process.env): AwsSettings {
  const ttl = nonEmpty(env.STAGELY_IMAGE_CACHE_TTL);
  const parsedTtl = ttl === undefined ? undefined : parseDuration(ttl);
  if (parsedTtl !== undefined && (!parsedTtl.ok || parsedTtl.ms < 0)) {
    throw new Error(`STAGELY_IMAGE_CACHE_TTL: ${parsedTtl.ok ? 'must not be negative' : parsedTtl.reason}`);
  }
  const parameter = nonEmpty(env.STAGELY_IMAGE_PARAMETER) ?? CANONICAL_UBUNTU_2204_PARAMETER;
  if (!parameter.includes('{arch}')) {
    throw new Error('STAGELY_IMAGE_PARAMETER must contain {arch}, e.g. /stagely/images/ubuntu-22.04/{arch}');
  }
  const endpoint = nonEmpty(env.AWS_ENDPOINT_URL_EC2) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const window = nonEmpty(env.STAGELY_DESCRIBE_BATCH_WINDOW);
  const parsedWindow = window === undefined ? undefined : parseDuration(window);
  if (parsedWindow !== undefined && (!parsedWindow.ok || parsedWindow.ms < 0)) {
    throw new Error('STAGELY_DESCRIBE_BATCH_WINDOW must be a duration like 50ms');
  }
  const timeout = nonEmpty(env.STAGELY_EC2_TIMEOUT);
  const parsedTimeout = timeout === undefined ? undefined : parseDuration(timeout);
  if (parsedTimeout !== undefined && (!parsedTimeout.ok || parsedTimeout.ms <= 0)) {
    throw new Error('STAGELY_EC2_TIMEOUT must be a positive duration like 30s');
  }
  const ec2TimeoutMs = parsedTimeout?.ok ? parsedTimeout.ms : DEFAULT_AWS_TIMEOUT_MS;
  return {
    budget: parseBudget(env.STAGELY_EC2_BUDGET),
    ec2TimeoutMs,
    batching:
      nonEmpty(env.STAGELY_DESCRIBE_BATCHING) === 'off' ? false : { windowMs: parsedWindow?.ok ? parsedWindow.ms : DEFAULT_BATCH_WINDOW_MS, timeoutMs: ec2TimeoutMs },
    defaultRegion: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? DEFAULT_REGION,
    imageParameter: parameter,
    imageCacheTtlMs: parsedTtl?.ok ? parsedTtl.ms : 60 * 60_000,
    endpoint: endpoint ?? 'AWS',
    reaperRegions: reaperRegions(env.STAGELY_REAPER_REGIONS) ?? [nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? DEFAULT_REGION],
  };
}

/** "us-east-1, eu-west-1" -> the list; a typo stops the worker rather than leaving a region unswept. */
function reaperRegions(raw: string | undefined): string[] | undefined {
  const value = nonEmpty(raw);
  if (value === undefined) return undefined;
  const regions = [...new Set(value.split(',').map((r) => r.trim()).filter((r) => r !== ''))];
  const unknown = regions.filter((r) => !isKnownRegion(r));
  if (regions.length === 0 || unknown.length > 0) {
    throw new Error(`STAGELY_REAPER_REGIONS must be AWS region codes separated by commas, e.g. us-east-1,eu-west-1 (unknown: ${unknown.join(', ') || 'none given'})`);
  }
  return regions;
}

/** Worker capacity and shutdown, tunable per deployment. */
export interface WorkerTuning {
  /** @default 100 (STAGELY_MAX_CONCURRENT_ACTIVITIES): activities are short HTTP calls */
  maxConcurrentActivityTaskExecutions: number;
  /**
   * Polls run as local activities; this many can wait in one DescribeInstances batch at once, so it
   * should be at least the batch size (200). @default 200 (STAGELY_MAX_CONCURRENT_LOCAL_ACTIVITIES)
   */
  maxConcurrentLocalActivityExecutions: number;
  /** @default 40 (STAGELY_MAX_CONCURRENT_WORKFLOW_TASKS) */
  maxConcurrentWorkflowTaskExecutions: number;
  /**
   * Workflows kept in memory between tasks. Keep it at least the runs a worker has open at once: runs
   * poll in turn, so a smaller cache evicts each run just before its next poll and every poll replays
   * its history (BENCHMARKS.md measured it). @default 1000 (STAGELY_MAX_CACHED_WORKFLOWS)
   */
  maxCachedWorkflows: number;
  /** How long a draining worker lets running activities finish. @default 30s (STAGELY_SHUTDOWN_GRACE) */
  shutdownGraceTimeMs: number;
  /**
   * Let new provisions in only as fast as the running ones' polls stay on time (start-admission.ts).
   * @default on (STAGELY_START_ADMISSION=off)
   */
  startAdmission: boolean;
  /**
   * The bounds of that rate, in new provisions per second per worker: it never drops below the first
   * nor rises above the second. @default 1-1000 (STAGELY_START_ADMISSION_RATE, e.g. "0.5-20")
   */
  startAdmissionRate: { min: number; max: number };
}

export function workerTuning(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const count = (name: string, fallback: number): number => {
    const raw = nonEmpty(env[name]);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1 (got ${raw})`);
    return n;
  };
  const onOff = (name: string, fallback: boolean): boolean => {
    const raw = nonEmpty(env[name]);
    if (raw === undefined) return fallback;
    if (raw !== 'on' && raw !== 'off') throw new Error(`${name} must be on or off (got ${raw})`);
    return raw === 'on';
  };
  const grace = nonEmpty(env.STAGELY_SHUTDOWN_GRACE);
  const parsed = grace === undefined ? undefined : parseDuration(grace);
  if (parsed !== undefined && (!parsed.ok || parsed.ms < 0)) throw new Error('STAGELY_SHUTDOWN_GRACE must be a duration like 30s');
  return {
    maxConcurrentActivityTaskExecutions: count('STAGELY_MAX_CONCURRENT_ACTIVITIES', 100),
    maxConcurrentLocalActivityExecutions: count('STAGELY_MAX_CONCURRENT_LOCAL_ACTIVITIES', 200),
    maxConcurrentWorkflowTaskExecutions: count('STAGELY_MAX_CONCURRENT_WORKFLOW_TASKS', 40),
    maxCachedWorkflows: count('STAGELY_MAX_CACHED_WORKFLOWS', 1000),
    shutdownGraceTimeMs: parsed?.ok ? parsed.ms : 30_000,
    startAdmission: onOff('STAGELY_START_ADMISSION', true),
    startAdmissionRate: admissionRate(env.STAGELY_START_ADMISSION_RATE),
  };
}

/** "MIN-MAX" new provisions per second, e.g. "1-1000" or "0.5-20". */
function admissionRate(raw: string | undefined): { min: number; max: number } {
  const value = nonEmpty(raw);
  if (value === undefined) return { min: 1, max: 1000 };
  const match = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(value);
  const [min, max] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || !(min > 0) || !(max >= min)) {
    throw new Error(`STAGELY_START_ADMISSION_RATE must be MIN-MAX new provisions per second, both positive and MIN <= MAX, e.g. 1-1000 (got ${value})`);
  }
  return { min, max };
}

/** Parses "describe=50/10,launch=1000/2,mutate=100/2.5" (any subset) over the defaults. */
export function parseBudget(text: string | undefined): Ec2Budget {
  const budget: Ec2Budget = { ...DEFAULT_EC2_BUDGET };
  for (const part of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(describe|launch|mutate)=(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(part);
    if (!match) throw new Error(`STAGELY_EC2_BUDGET: expected CLASS=BURST/PER_SECOND (classes describe, launch, mutate), got "${part}"`);
    const [, name, burst, perSecond] = match;
    const size = { burst: Number(burst), perSecond: Number(perSecond) };
    if (size.burst < 1 || size.perSecond <= 0) throw new Error(`STAGELY_EC2_BUDGET: "${part}" needs a burst of at least 1 and a positive rate`);
    budget[name as ActionClass] = size;
  }
  return budget;
}
