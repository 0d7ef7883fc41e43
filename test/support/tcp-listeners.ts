/** TCP endpoints for the readiness probe's tests: one that accepts, one that refuses, one that never answers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { toolPath } from '../../tools/local-stack';

export interface Endpoint {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** A listener that accepts every connection, counting them. */
export async function acceptingListener(): Promise<Endpoint & { accepted: () => number }> {
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('listener has no port');
  return { host: '127.0.0.1', port: address.port, accepted: () => accepted, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on (one a listener had, now closed): connections are refused. */
export async function refusingPort(): Promise<{ host: string; port: number }> {
  const listener = await acceptingListener();
  await listener.close();
  return { host: listener.host, port: listener.port };
}

/**
 * A port whose connections are never answered: a socket listening with a backlog of one that never
 * accepts (Node's listeners always accept, so Python from the tool set holds it). Once one connection
 * fills the queue, Linux drops the next SYNs, so a connect hangs until its own time-out.
 */
export async function unansweredPort(): Promise<Endpoint> {
  const python = join(dirname(toolPath('moto_server')), 'python');
  const child: ChildProcess = spawn(python, ['-c', "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)"], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  const fillers: Socket[] = [];
  // Fill the queue: connect until one attempt hangs.
  for (let i = 0; i < 5; i++) {
    const socket = connect({ host: '127.0.0.1', port });
    fillers.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
      setTimeout(() => resolve(false), 500);
    });
    if (!connected) break;
  }
  return {
    host: '127.0.0.1',
    port,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      if (child.pid !== undefined && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
    },
  };
}
