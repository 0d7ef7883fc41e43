/**
 * Where the worker and the client connect, through Temporal's own environment configuration
 * (@temporalio/envconfig): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
 * TEMPORAL_PROFILE and the shared config file. The same settings reach a local dev server, a
 * self-hosted cluster with mTLS, or Temporal Cloud. Defaults match the local dev server.
 *
 * The client imports this, so it loads nothing of the worker's; the worker's own settings are in
 * worker/settings.ts.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { DEFAULT_TASK_QUEUE } from './common/contract';

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

/** The trimmed value, or undefined when it is unset or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
