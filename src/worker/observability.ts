/**
 * What a production worker exposes: structured JSON logs on stdout, Prometheus metrics from the
 * Temporal runtime, and a liveness endpoint. Everything is opt-in by environment variable and off by
 * default except the logs.
 */
import { createServer, type Server } from 'node:http';
import { DefaultLogger, Runtime, type LogLevel, type Worker } from '@temporalio/worker';

export interface ObservabilitySettings {
  /** "json" (one object per line, for log shippers) or "text". @default "json" (STAGELY_LOG_FORMAT) */
  logFormat: 'json' | 'text';
  /** @default "INFO" (STAGELY_LOG_LEVEL) */
  logLevel: LogLevel;
  /** host:port for Prometheus' /metrics. @default off (STAGELY_METRICS_ADDRESS) */
  metricsAddress?: string;
  /** host:port for GET /healthz. @default off (STAGELY_HEALTH_ADDRESS) */
  healthAddress?: string;
}

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function observabilitySettings(env: NodeJS.ProcessEnv = process.env): ObservabilitySettings {
  const format = env.STAGELY_LOG_FORMAT?.trim() || 'json';
  if (format !== 'json' && format !== 'text') throw new Error('STAGELY_LOG_FORMAT must be json or text');
  const level = (env.STAGELY_LOG_LEVEL?.trim() || 'INFO').toUpperCase();
  if (!(LEVELS as readonly string[]).includes(level)) throw new Error(`STAGELY_LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  const settings: ObservabilitySettings = { logFormat: format, logLevel: level as LogLevel };
  if (env.STAGELY_METRICS_ADDRESS?.trim()) settings.metricsAddress = env.STAGELY_METRICS_ADDRESS.trim();
  if (env.STAGELY_HEALTH_ADDRESS?.trim()) settings.healthAddress = env.STAGELY_HEALTH_ADDRESS.trim();
  return settings;
}

/** Installs the Temporal runtime once per process, with our logger and metrics. */
export function installRuntime(settings: ObservabilitySettings): Runtime {
  const logger =
    settings.logFormat === 'json'
      ? new DefaultLogger(settings.logLevel, (entry) => {
          const { timestampNanos, level, message, meta } = entry;
          const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
          process.stdout.write(`${JSON.stringify({ time, level, message, ...meta })}\n`);
        })
      : new DefaultLogger(settings.logLevel);
  return Runtime.install({
    logger,
    ...(settings.metricsAddress !== undefined && {
      telemetryOptions: { metrics: { prometheus: { bindAddress: settings.metricsAddress } } },
    }),
  });
}

/**
 * GET /healthz answers 200 while the worker is running and 503 otherwise (starting, draining,
 * stopped), so an orchestrator restarts a worker that has stopped polling.
 */
export async function startHealthServer(address: string, worker: Pick<Worker, 'getState'>): Promise<Server> {
  const [host, port] = splitAddress(address);
  const server = createServer((request, response) => {
    if (request.url !== '/healthz') {
      response.writeHead(404).end();
      return;
    }
    const state = worker.getState();
    response.writeHead(state === 'RUNNING' ? 200 : 503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: state === 'RUNNING' ? 'ok' : 'unavailable', state }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port)) throw new Error(`expected host:port, got ${address}`);
  return [address.slice(0, at), port];
}
