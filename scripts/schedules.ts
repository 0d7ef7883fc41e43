/**
 * npm run schedules -- [--every 15m] [--grace 30m] [--regions us-east-1,eu-west-1] [--dry-run] [--delete]
 *
 * Creates the Temporal Schedule that runs the orphan reaper, or brings an existing one to exactly
 * what the flags say (so running it again is safe, and running it without --dry-run turns a dry-run
 * schedule into a real one). A schedule an operator paused stays paused. --delete removes it.
 * Connection, task queue and payload keys come from the environment, as for the worker
 * (TEMPORAL_ADDRESS, STAGELY_PAYLOAD_KEY, ...). Every run writes the reaper's input anew under the
 * current payload key, which is why a key rotation re-runs it before the old key is dropped.
 */
import { Command } from 'commander';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { connectClient } from '../src/client';
import { dataConverterFromEnv, describeEncryption } from '../src/codec';
import { WorkflowType } from '../src/common/contract';
import { formatDuration, parseDuration } from '../src/common/durations';
import type { ReapRequest } from '../src/common/reaping';
import { temporalSettings } from '../src/config';
import type { reapOrphans } from '../src/workflows';
import { reapRequestFromFlags, UsageError, type ReapFlags } from './reap';

export const REAPER_SCHEDULE_ID = 'stagely-reap-orphans';
const DEFAULT_EVERY = '15m';
const MIN_EVERY_MS = 60_000;

type ReaperSchedule = ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof reapOrphans>>;

export function reaperSchedule(request: ReapRequest, everyMs: number, taskQueue: string): ReaperSchedule {
  return {
    scheduleId: REAPER_SCHEDULE_ID,
    spec: { intervals: [{ every: everyMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: WorkflowType.reapOrphans,
      // Temporal appends the scheduled time to this, so each run has its own ID.
      workflowId: REAPER_SCHEDULE_ID,
      args: [request],
      taskQueue,
      // A stuck run must not hold the schedule (overlap SKIP) for ever.
      workflowExecutionTimeout: '1h',
      staticSummary: `Reap orphaned instances${request.dryRun ? ' (dry run)' : ''}`,
    },
    policies: {
      // One reaper at a time; the next tick simply finds what this one left.
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage, one catch-up run is enough, not one per missed tick.
      catchupWindow: '1m',
      pauseOnFailure: false,
    },
  };
}

/**
 * Creates the schedule, or updates the existing one to match; the operator's pause is kept. The
 * update writes the desired action, never the stored one, so its input (encrypted by the client's
 * codec) is under the client's current payload key afterwards. Reading the stored schedule first still
 * needs the key it was written under, so the old key must be configured (STAGELY_PAYLOAD_OLD_KEYS).
 */
export async function ensureReaperSchedule(client: Client, desired: ReaperSchedule): Promise<'created' | 'updated'> {
  try {
    await client.schedule.create(desired);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(desired.scheduleId).update((previous) => ({
    ...previous,
    spec: desired.spec,
    action: desired.action,
    policies: { ...previous.policies, ...desired.policies },
  }));
  return 'updated';
}

interface ScheduleFlags extends ReapFlags {
  every: string;
  delete?: boolean;
}

function intervalMs(every: string): number {
  const parsed = parseDuration(every);
  if (!parsed.ok) throw new UsageError(`--every ${parsed.reason}`);
  if (parsed.ms < MIN_EVERY_MS) throw new UsageError(`--every must be at least ${formatDuration(MIN_EVERY_MS)}`);
  return parsed.ms;
}

async function main(): Promise<void> {
  const flags = new Command('schedules')
    .description(`Create or update the ${REAPER_SCHEDULE_ID} schedule (the orphan reaper)`)
    .option('--every <duration>', 'how often the reaper runs', DEFAULT_EVERY)
    .option('--grace <duration>', 'leave instances younger than this alone (default 30m)')
    .option('--open-run-limit <duration>', 'runs still open this long after their launch are stuck: reap their instances (default 3h)')
    .option('--regions <list>', "comma-separated regions to scan (default: the worker's STAGELY_REAPER_REGIONS or AWS_REGION)")
    .option('--dry-run', "the schedule's runs list what they would terminate, and terminate nothing")
    .option('--delete', 'delete the schedule')
    .parse()
    .opts<ScheduleFlags>();
  const settings = temporalSettings();
  const desired = flags.delete ? undefined : reaperSchedule(reapRequestFromFlags(flags), intervalMs(flags.every), settings.taskQueue);
  const encryption = dataConverterFromEnv();
  const client = await connectClient(settings, encryption.dataConverter);
  try {
    if (desired === undefined) {
      try {
        await client.schedule.getHandle(REAPER_SCHEDULE_ID).delete();
        console.log(`Deleted schedule ${REAPER_SCHEDULE_ID}`);
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
        console.log(`No schedule ${REAPER_SCHEDULE_ID}; nothing to delete`);
      }
      return;
    }
    const outcome = await ensureReaperSchedule(client, desired);
    console.log(
      `${outcome === 'created' ? 'Created' : 'Updated'} schedule ${REAPER_SCHEDULE_ID}: every ${formatDuration(intervalMs(flags.every))}, ` +
        `${WorkflowType.reapOrphans} ${JSON.stringify(desired.action.args?.[0])} on task queue ${settings.taskQueue} (namespace ${settings.namespace}); ` +
        `payload encryption ${describeEncryption(encryption)}`,
    );
  } finally {
    await client.connection.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('Could not set up the schedule:', error instanceof Error ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
