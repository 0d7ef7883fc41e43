/**
 * A test-only seam: lets the crash tests freeze a worker at an exact point (EC2 accepted the launch
 * but the activity has not completed; mid-poll; mid-termination) and SIGKILL it there.
 *
 * Off unless STAGELY_TEST_SEAM names a point. The worker refuses to start with it set unless
 * STAGELY_ALLOW_TEST_SEAM=1 is set as well, so a stray variable in production cannot freeze a fleet.
 */
import { Context } from '@temporalio/activity';

export const SEAM_POINTS = ['after-run-instances', 'in-poll', 'in-terminate'] as const;
export type SeamPoint = (typeof SEAM_POINTS)[number];

/** The seam this process is armed with, if any. Read per call so tests can arm it per process. */
export function armedSeam(env: NodeJS.ProcessEnv = process.env): SeamPoint | undefined {
  const value = env.STAGELY_TEST_SEAM?.trim();
  if (value === undefined || value === '') return undefined;
  if (!(SEAM_POINTS as readonly string[]).includes(value)) {
    throw new Error(`STAGELY_TEST_SEAM must be one of ${SEAM_POINTS.join(', ')} (got ${value})`);
  }
  return value as SeamPoint;
}

/**
 * At an armed point: say so on stdout (the test waits for this line) and never return. The first
 * attempt only, so the activity's retry on another worker runs through.
 */
export async function seam(point: SeamPoint, detail: Record<string, unknown>): Promise<void> {
  if (armedSeam() !== point || Context.current().info.attempt > 1) return;
  process.stdout.write(`STAGELY_TEST_SEAM paused at ${point} ${JSON.stringify(detail)}\n`);
  await new Promise<never>(() => undefined);
}
