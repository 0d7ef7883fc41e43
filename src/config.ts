/**
 * Connection settings shared by the worker and the client, read from the environment.
 * Defaults match the local dev server, so `npm run worker` works with no configuration.
 */
import { DEFAULT_TASK_QUEUE } from './common/contract';

export interface TemporalSettings {
  /** @default "localhost:7233" (TEMPORAL_ADDRESS) */
  address: string;
  /** @default "default" (TEMPORAL_NAMESPACE) */
  namespace: string;
  /** @default "stagely-provisioning" (STAGELY_TASK_QUEUE) */
  taskQueue: string;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    address: nonEmpty(env.TEMPORAL_ADDRESS) ?? 'localhost:7233',
    namespace: nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default',
    taskQueue: nonEmpty(env.STAGELY_TASK_QUEUE) ?? DEFAULT_TASK_QUEUE,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
