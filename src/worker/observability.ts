/**
 * What a production worker exposes: structured JSON logs on stdout, Prometheus metrics from the
 * Temporal runtime, and liveness and readiness endpoints. Everything is opt-in by environment variable and off by
 * default except the logs.
 */
import { createServer, type Server } from 'node:http';
import { DefaultLogger, Runtime, type LogLevel, type NativeConnection, type Worker } from '@temporalio/worker';

export interface ObservabilitySettings {
  /** "json" (one object per line, for log shippers) or "text". @default "json" (STAGELY_LOG_FORMAT) */
  logFormat: 'json' | 'text';
  /** @default "INFO" (STAGELY_LOG_LEVEL) */
  logLevel: LogLevel;
  /** host:port for Prometheus' /metrics. @default off (STAGELY_METRICS_ADDRESS) */
  metricsAddress?: string;
  /** host:port for GET /healthz and GET /readyz. @default off (STAGELY_HEALTH_ADDRESS) */
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

/** How long a readiness check waits for Temporal's answer: well under a Kubernetes probe's 1 s default. */
export const TEMPORAL_CHECK_TIMEOUT_MS = 800;

/** Asks the Temporal server for its system info over the worker's own connection; rejects when it cannot. */
export function temporalCheck(connection: Pick<NativeConnection, 'withDeadline' | 'workflowService'>): () => Promise<void> {
  return async () => {
    await connection.withDeadline(Date.now() + TEMPORAL_CHECK_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({}));
  };
}

/**
 * GET /healthz (liveness) answers 200 while the worker is running and 503 otherwise (starting, draining,
 * stopped), so an orchestrator restarts a worker that has stopped polling. GET /readyz (readiness) also
 * asks Temporal over the worker's connection: 200 only while the worker runs and the server answers, so
 * a rolling deploy waits for a new worker that can really poll, and a worker cut off from Temporal is
 * reported without being restarted (a restart would not reconnect it any sooner).
 */
export async function startHealthServer(address: string, worker: Pick<Worker, 'getState'>, checkTemporal: () => Promise<void>): Promise<Server> {
  const [host, port] = splitAddress(address);
  const server = createServer((request, response) => {
    const answer = (ok: boolean, body: Record<string, string>): void => {
      response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...body }));
    };
    const state = worker.getState();
    if (request.url === '/healthz') {
      answer(state === 'RUNNING', { state });
    } else if (request.url === '/readyz') {
      if (state !== 'RUNNING') {
        answer(false, { state });
        return;
      }
      checkTemporal().then(
        () => answer(true, { state, temporal: 'connected' }),
        (error: unknown) => answer(false, { state, temporal: `unreachable: ${error instanceof Error ? error.message : String(error)}` }),
      );
    } else {
      response.writeHead(404).end();
    }
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
