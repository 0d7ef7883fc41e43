/**
 * The readiness TCP check: one connection attempt to the instance's address and port, bounded, whose
 * outcome is an answer (accepted, or why not) rather than a failure, so the workflow tries again on
 * its next tick until its readiness deadline.
 */
import { connect } from 'node:net';
import { Context } from '@temporalio/activity';
import { TCP_ATTEMPT_TIMEOUT_MS } from '../common/readiness';

/** Where to connect. */
export interface ProbeTarget {
  host: string;
  port: number;
}

export interface TcpProbe extends ProbeTarget {
  /** How long the attempt may take. @default TCP_ATTEMPT_TIMEOUT_MS (3 s) */
  timeoutMs?: number;
}

export type ProbeOutcome = { accepted: true } | { accepted: false; error: string };

/**
 * Where a probe really connects, for tests whose instances (moto's) have addresses nothing answers
 * on: the worker maps every target to a local listener. Injected by tests, or read by the worker from
 * STAGELY_TEST_TCP_TARGET (testProbeAddress).
 */
export type ResolveProbeAddress = (target: ProbeTarget) => ProbeTarget;

/** Connects once; resolves with the outcome, never rejects. Stops early when the activity is cancelled. */
export function probeTcp({ host, port, timeoutMs = TCP_ATTEMPT_TIMEOUT_MS }: TcpProbe, signal: AbortSignal = Context.current().cancellationSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, signal });
    const done = (outcome: ProbeOutcome): void => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done({ accepted: false, error: `no answer from ${host}:${port} within ${timeoutMs} ms` }));
    socket.once('connect', () => done({ accepted: true }));
    socket.once('error', (error: NodeJS.ErrnoException) => done({ accepted: false, error: `${host}:${port}: ${error.code ?? error.name}: ${error.message}` }));
  });
}

/**
 * The test-only mapping from STAGELY_TEST_TCP_TARGET ("host:port": every probe connects there), or
 * undefined when unset. Throws when it is set without STAGELY_ALLOW_TEST_SEAM=1, so a stray variable
 * cannot make a production worker report VMs ready that it never reached.
 */
export function testProbeAddress(env: NodeJS.ProcessEnv = process.env): ResolveProbeAddress | undefined {
  const value = env.STAGELY_TEST_TCP_TARGET?.trim();
  if (value === undefined || value === '') return undefined;
  if (env.STAGELY_ALLOW_TEST_SEAM !== '1') {
    throw new Error('STAGELY_TEST_TCP_TARGET is set: it points every readiness TCP check at one address and is for tests only; unset it');
  }
  const match = /^(.+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || port < 1 || port > 65535) throw new Error(`STAGELY_TEST_TCP_TARGET must be host:port (got ${value})`);
  const target = { host: match[1], port };
  return () => target;
}
