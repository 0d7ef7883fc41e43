/**
 * The worker with the hooks only tests wire: src/worker.ts's main(), with
 * - a pause at the point STAGELY_TEST_SEAM names (EC2 accepted the launch but the activity has not
 *   completed; mid-poll; mid-termination), where the crash tests SIGKILL it;
 * - readiness TCP checks sent to STAGELY_TEST_TCP_TARGET ("host:port"), a listener the test opened,
 *   since moto's instance addresses answer nothing.
 * The production entry point wires neither.
 *
 *   STAGELY_TEST_SEAM=in-poll STAGELY_ALLOW_TEST_SEAM=1 node --import tsx test/support/test-worker.ts
 *
 * One process, so the PID a test kills is the worker's. With either variable set it refuses to start
 * unless STAGELY_ALLOW_TEST_SEAM=1 is set as well: a stray variable must not freeze a worker, or make it
 * report VMs ready that it never reached.
 */
import { Context } from '@temporalio/activity';
import type { PauseHook, PausePoint, ResolveProbeAddress } from '../../src/activities';
import { main } from '../../src/worker';

const CRASH_POINTS = ['after-run-instances', 'in-poll', 'in-terminate'] as const satisfies readonly PausePoint[];
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** The point STAGELY_TEST_SEAM names, if any. */
function armedPoint(env: NodeJS.ProcessEnv): CrashPoint | undefined {
  const value = env.STAGELY_TEST_SEAM?.trim();
  if (value === undefined || value === '') return undefined;
  if (!(CRASH_POINTS as readonly string[]).includes(value)) {
    throw new Error(`STAGELY_TEST_SEAM must be one of ${CRASH_POINTS.join(', ')} (got ${value})`);
  }
  if (env.STAGELY_ALLOW_TEST_SEAM !== '1') {
    throw new Error('STAGELY_TEST_SEAM is set: it freezes activities and is for the crash tests only; set STAGELY_ALLOW_TEST_SEAM=1 too, or unset it');
  }
  return value as CrashPoint;
}

/**
 * At the armed point: say so on stdout (the test waits for this line) and never return. The first
 * attempt only, so the activity's retry on another worker runs through.
 */
function pauseAt(armed: CrashPoint): PauseHook {
  return async (point, facts) => {
    if (point !== armed || Context.current().info.attempt > 1) return;
    process.stdout.write(`STAGELY_TEST_SEAM paused at ${point} ${JSON.stringify(facts)}\n`);
    await new Promise<never>(() => undefined);
  };
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

if (require.main === module) {
  // Throws (the process exits 1 before connecting) for an unknown point or a missing second switch.
  const armed = armedPoint(process.env);
  if (armed !== undefined) console.warn(`TEST SEAM ARMED: activities pause forever at ${armed}`);
  const resolveProbeAddress = testProbeAddress();
  if (resolveProbeAddress !== undefined) console.warn(`TEST SEAM ARMED: readiness TCP checks connect to ${process.env.STAGELY_TEST_TCP_TARGET}`);
  main({ ...(armed !== undefined && { pauseAt: pauseAt(armed) }), ...(resolveProbeAddress !== undefined && { resolveProbeAddress }) });
}
