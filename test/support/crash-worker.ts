/**
 * The worker the crash tests freeze at an exact point and SIGKILL there: src/worker.ts's main(), with a
 * pause hook at the point STAGELY_TEST_SEAM names (EC2 accepted the launch but the activity has not
 * completed; mid-poll; mid-termination). The production entry point never wires one.
 *
 *   STAGELY_TEST_SEAM=in-poll STAGELY_ALLOW_TEST_SEAM=1 node --import tsx test/support/crash-worker.ts
 *
 * One process, so the PID a test kills is the worker's. With a point set it refuses to start unless
 * STAGELY_ALLOW_TEST_SEAM=1 is set as well: a stray variable must not freeze a worker by accident.
 */
import { Context } from '@temporalio/activity';
import type { PauseHook, PausePoint } from '../../src/activities';
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

if (require.main === module) {
  // Throws (the process exits 1 before connecting) for an unknown point or a missing second switch.
  const armed = armedPoint(process.env);
  if (armed !== undefined) console.warn(`TEST SEAM ARMED: activities pause forever at ${armed}`);
  main(armed === undefined ? undefined : pauseAt(armed));
}
