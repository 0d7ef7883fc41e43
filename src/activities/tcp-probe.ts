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
 * on: every target goes to a local listener. Injected by tests (the test worker reads it from
 * STAGELY_TEST_TCP_TARGET); the production worker never sets it.
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
