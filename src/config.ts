/**
 * Where the worker and the client connect, through Temporal's own environment configuration
 * (@temporalio/envconfig): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
 * TEMPORAL_PROFILE and the shared config file. The same settings reach a local dev server, a
 * self-hosted cluster with mTLS, or Temporal Cloud. Defaults match the local dev server.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { DEFAULT_TASK_QUEUE } from './common/contract';
import { parseDuration } from './common/durations';
import { DEFAULT_AWS_TIMEOUT_MS } from './activities/aws-clients';
import type { BatchingOptions } from './activities/describe-batcher';
import { parseBudget, type Ec2Budget } from './activities/ec2-budget';
import { CANONICAL_UBUNTU_2204_PARAMETER, DEFAULT_REGION } from './common/images';
import { isKnownRegion } from './common/regions';

export interface TemporalSettings {
  /** Address, TLS, API key and gRPC metadata. @default address "localhost:7233", no TLS */
  connectionOptions: NativeConnectionOptions & { address: string };
  /** @default "default" (TEMPORAL_NAMESPACE) */
  namespace: string;
  /** @default "stagely-provisioning" (STAGELY_TASK_QUEUE) */
  taskQueue: string;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const loaded = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  return {
    connectionOptions: { ...loaded.connectionOptions, address: nonEmpty(loaded.connectionOptions.address) ?? 'localhost:7233' },
    namespace: nonEmpty(loaded.namespace) ?? 'default',
    taskQueue: nonEmpty(env.STAGELY_TASK_QUEUE) ?? DEFAULT_TASK_QUEUE,
  };
}

/** For log lines: where we connect and how, never the API key or certificates themselves. */
export function describeSettings(settings: TemporalSettings): string {
  const { address, apiKey, tls } = settings.connectionOptions;
  const security = apiKey !== undefined ? 'TLS with API key' : tls ? 'TLS' : 'plaintext';
  return `${address} (namespace ${settings.namespace}, ${security}), task queue ${settings.taskQueue}`;
}

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
  /** Workflows kept in memory between tasks. @default 1000 (STAGELY_MAX_CACHED_WORKFLOWS) */
  maxCachedWorkflows: number;
  /** How long a draining worker lets running activities finish. @default 30s (STAGELY_SHUTDOWN_GRACE) */
  shutdownGraceTimeMs: number;
  /**
   * Let new provisions in only as fast as the running ones' polls stay on time (start-admission.ts).
   * Needs the workflow cache. @default on (STAGELY_START_ADMISSION=off)
   */
  startAdmission: boolean;
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
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
