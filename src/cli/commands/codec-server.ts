/**
 * stagely codec-server: lets the Temporal Web UI and the `temporal` CLI show operators the payloads
 * the worker and client encrypted, using the same keys (STAGELY_PAYLOAD_KEY or STAGELY_PAYLOAD_KEY_FILE,
 * plus STAGELY_PAYLOAD_OLD_KEYS).
 *
 *   temporal workflow show -w ID --codec-endpoint http://127.0.0.1:8081 [--codec-auth "Bearer $TOKEN"]
 *   temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8081
 *
 * STAGELY_CODEC_AUTH_TOKEN, when set, is required as `Authorization: Bearer <token>` (an environment
 * variable, not a flag, so it does not show in the process list). SIGINT/SIGTERM stop it. It logs JSON
 * lines on stdout, as the worker does.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { dataConverterFromEnv, describeEncryption } from '../../codec';
import { createCodecServer } from '../../codec/codec-http-server';
import { parseInteger, type Run } from '../command-kit';
import { ExitCode, printProblem } from '../output';

interface Options {
  host: string;
  port: number;
  corsOrigin: string[];
}

function parsePort(value: string): number {
  const port = parseInteger(value);
  if (port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number');
  return port;
}

function parseOrigin(value: string, previous: string[]): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an origin like http://localhost:8233');
  }
  // Browsers send the origin without a path or trailing slash; compare like with like.
  if (url.origin === 'null' || url.origin !== value.replace(/\/$/, '')) throw new InvalidArgumentError('expected an origin like http://localhost:8233 (scheme, host, port; no path)');
  return [...previous, url.origin];
}

function log(level: 'INFO' | 'WARN' | 'ERROR', message: string, meta: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...meta })}\n`);
}

async function serve(options: Options): Promise<ExitCode> {
  const encryption = dataConverterFromEnv();
  if (encryption.codec === undefined) {
    printProblem({ type: 'Usage', message: 'no payload key configured: set STAGELY_PAYLOAD_KEY or STAGELY_PAYLOAD_KEY_FILE (the keys the worker uses)' }, {});
    return ExitCode.usage;
  }
  const authToken = process.env.STAGELY_CODEC_AUTH_TOKEN?.trim() || undefined;
  const loopback = options.host === '127.0.0.1' || options.host === '::1' || options.host === 'localhost';
  if (authToken === undefined && !loopback) {
    log('WARN', `the codec server decrypts payloads for anyone who can reach ${options.host}; set STAGELY_CODEC_AUTH_TOKEN`);
  }
  const server = createCodecServer({
    codec: encryption.codec,
    ...(authToken !== undefined && { authToken }),
    corsOrigins: options.corsOrigin,
    onError: (message) => log('WARN', `Refused a request: ${message}`),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  log('INFO', `Codec server listening on http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`, {
    encryption: describeEncryption(encryption),
    corsOrigins: options.corsOrigin,
    auth: authToken === undefined ? 'off' : 'bearer token',
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  log('INFO', 'Codec server stopped');
  return ExitCode.ok;
}

export function registerCodecServer(program: Command, run: Run): void {
  program
    .command('codec-server')
    .description("Serve decoding and encoding of Stagely's encrypted payloads for the Web UI and the temporal CLI, until SIGINT/SIGTERM.")
    .option('--host <address>', 'address to bind; anything but loopback exposes decryption to the network', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', parsePort, 8081)
    .option('--cors-origin <origin>', 'a Web UI origin allowed to call from the browser (repeatable)', parseOrigin, [])
    .addHelpText(
      'after',
      '\nKeys: STAGELY_PAYLOAD_KEY or STAGELY_PAYLOAD_KEY_FILE, STAGELY_PAYLOAD_OLD_KEYS. Auth: STAGELY_CODEC_AUTH_TOKEN.\n\n' +
        'Example:\n  stagely codec-server --port 8081 --cors-origin http://localhost:8233\n\n' +
        'Exit codes: 0 stopped by SIGINT/SIGTERM, 2 bad flags or no payload key, 3 could not serve (e.g. the port is taken).',
    )
    .action((options: Options) =>
      run(
        serve(options).catch((error: unknown) => {
          printProblem({ type: 'Error', message: error instanceof Error ? error.message : String(error) }, {});
          return ExitCode.error;
        }),
      ),
    );
}
