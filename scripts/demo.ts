/**
 * The demo: a Temporal dev server with its Web UI, moto standing in for EC2, a worker, and one
 * provision through the provision command. Prints the result and the run's Web UI link.
 *
 *   make demo                    keep everything running for the Web UI; Ctrl-C stops it all
 *   make demo ARGS=--exit        stop everything and exit once the provision is done (for scripts)
 *
 * Options: --exit, --port N (gRPC, default 7233), --ui-port N (default 8233). A default port that
 * is taken is replaced by a free one.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  canListen,
  freePort,
  stackEnv,
  startDevServer,
  startMoto,
  startWorker,
  type ManagedProcess,
} from '../tools/local-stack';
import { PROJECT_ROOT } from '../tools/project-root';

const LOG_DIR = join(PROJECT_ROOT, '.stagely', 'demo-logs');

async function pickPort(requested: string | undefined, preferred: number): Promise<number> {
  if (requested !== undefined) return Number(requested);
  return (await canListen(preferred)) ? preferred : freePort();
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { exit: { type: 'boolean', default: false }, port: { type: 'string' }, 'ui-port': { type: 'string' } },
  });
  const running: ManagedProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(running.reverse().map((p) => p.stop()));
  };

  try {
    console.log('Starting the Temporal dev server, moto and a worker...');
    const [server, moto] = await Promise.all([
      pickPort(values.port, 7233).then(async (port) =>
        startDevServer({ port, uiPort: await pickPort(values['ui-port'], 8233), logDir: LOG_DIR }),
      ),
      startMoto({ logDir: LOG_DIR }),
    ]);
    running.push(server.process, moto.process);
    const env = stackEnv(server.address, moto.endpoint);
    running.push(await startWorker(env, { logDir: LOG_DIR }));
    console.log(`Temporal ${server.address} (Web UI ${server.uiUrl ?? 'off'}), EC2 API (moto) ${moto.endpoint}, logs in ${LOG_DIR}`);

    const workflowId = `demo-${Date.now()}`;
    console.log(`\n$ npm run stagely -- provision --size small --arch arm64 --tag purpose=demo --environment demo --id ${workflowId}`);
    const code = await new Promise<number>((resolve) => {
      const cli = spawn(
        join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
        [join(PROJECT_ROOT, 'src', 'cli', 'index.ts'), 'provision', '--size', 'small', '--arch', 'arm64', '--tag', 'purpose=demo', '--environment', 'demo', '--id', workflowId],
        { env, stdio: 'inherit' },
      );
      cli.on('exit', (exitCode) => resolve(exitCode ?? 1));
    });
    console.log(`\nWeb UI for this run: ${server.uiUrl}/namespaces/default/workflows/${workflowId}`);
    if (code !== 0) console.error(`The provision command exited with ${code}.`);

    if (values.exit) return code;
    console.log('Everything keeps running so you can explore the Web UI. Press Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return code;
  } finally {
    console.log('Stopping the worker, moto and the dev server...');
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('Demo failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
