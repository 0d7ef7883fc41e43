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
import { CANONICAL_UBUNTU_2204_PARAMETER, DEFAULT_REGION } from './common/images';

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

export interface AwsSettings {
  /** Region checked by validateCredentials when none is given. @default AWS_REGION, else "us-east-1" */
  defaultRegion: string;
  /** SSM parameter with the image id; `{arch}` is amd64 or arm64. @default Canonical's Ubuntu 22.04 (STAGELY_IMAGE_PARAMETER) */
  imageParameter: string;
  /** How long a resolved image is reused. @default 1h (STAGELY_IMAGE_CACHE_TTL) */
  imageCacheTtlMs: number;
  /** Where EC2 calls go, for the start-up log line. */
  endpoint: string;
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
  return {
    defaultRegion: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? DEFAULT_REGION,
    imageParameter: parameter,
    imageCacheTtlMs: parsedTtl?.ok ? parsedTtl.ms : 60 * 60_000,
    endpoint: endpoint ?? 'AWS',
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
