/**
 * The worker's health endpoints, with the worker's state and Temporal's answer handed in: /healthz
 * follows the worker's state alone, /readyz also needs Temporal to answer.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { State } from '@temporalio/worker';
import { startHealthServer } from '../../src/worker/observability';

let state: State;
let temporal: () => Promise<void>;
let checks: number;
let server: Server;
let base: string;

beforeAll(async () => {
  server = await startHealthServer('127.0.0.1:0', { getState: () => state }, () => {
    checks += 1;
    return temporal();
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  state = 'RUNNING';
  temporal = () => Promise.resolve();
  checks = 0;
});

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json() };
}

it('is alive and ready while the worker runs and Temporal answers', async () => {
  await expect(get('/healthz')).resolves.toEqual({ status: 200, body: { status: 'ok', state: 'RUNNING' } });
  await expect(get('/readyz')).resolves.toEqual({ status: 200, body: { status: 'ok', state: 'RUNNING', temporal: 'connected' } });
  expect(checks).toBe(1);
});

it('is alive but not ready while Temporal does not answer', async () => {
  temporal = () => Promise.reject(new Error('Deadline exceeded'));
  await expect(get('/healthz')).resolves.toMatchObject({ status: 200 });
  await expect(get('/readyz')).resolves.toEqual({
    status: 503,
    body: { status: 'unavailable', state: 'RUNNING', temporal: 'unreachable: Deadline exceeded' },
  });
});

it.each<State>(['INITIALIZED', 'DRAINING', 'STOPPED'])('is neither alive nor ready while the worker is %s, without asking Temporal', async (s) => {
  state = s;
  await expect(get('/healthz')).resolves.toEqual({ status: 503, body: { status: 'unavailable', state: s } });
  await expect(get('/readyz')).resolves.toEqual({ status: 503, body: { status: 'unavailable', state: s } });
  expect(checks).toBe(0);
});

it('answers 404 elsewhere', async () => {
  expect((await fetch(`${base}/metrics`)).status).toBe(404);
});
