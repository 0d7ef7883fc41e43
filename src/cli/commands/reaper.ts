/**
 * stagely reap: run the orphan reaper once, now, and print its report. stagely schedules apply:
 * create the Temporal Schedule that runs the same workflow every 15 minutes, or bring an existing
 * one to exactly what the flags say (so running it again is safe, and running it without --dry-run
 * turns a dry-run schedule into a real one); a schedule an operator paused stays paused.
 * stagely schedules delete removes it. Payload keys come from the environment, as for the worker;
 * every apply writes the reaper's input anew under the current key, which is why a key rotation
 * re-runs it before the old key is dropped.
 */
import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { type Command, InvalidArgumentError } from 'commander';
import { describeEncryption, dataConverterFromEnv } from '../../codec';
import { WorkflowType } from '../../common/contract';
import { formatDuration, parseDuration } from '../../common/durations';
import { describeProblems } from '../../common/field-checks';
import type { ReapReport, ReapRequest } from '../../common/reaping';
import { REAP_REQUEST, validateReapRequest } from '../../common/validate-reap-request';
import { temporalSettings } from '../../config';
import type { reapOrphans } from '../../workflows';
import { withClient, withOutputFlags, type Run } from '../command-kit';
import { ExitCode, labelled, printProblem, printResult, type OutputOptions } from '../output';

export const REAPER_SCHEDULE_ID = 'stagely-reap-orphans';
const MIN_EVERY_MS = 60_000;

export interface ReapFlags {
  dryRun?: boolean;
  grace?: string;
  openRunLimit?: string;
  /** Comma-separated region codes. */
  regions?: string;
}

class UsageError extends Error {}

/** The workflow's request from command-line flags, checked with the workflow's own rules. */
export function reapRequestFromFlags(flags: ReapFlags): ReapRequest {
  const request: ReapRequest = { dryRun: flags.dryRun === true };
  if (flags.grace !== undefined) request.gracePeriod = flags.grace;
  if (flags.openRunLimit !== undefined) request.openRunLimit = flags.openRunLimit;
  if (flags.regions !== undefined) request.regions = flags.regions.split(',').map((r) => r.trim()).filter((r) => r !== '');
  const checked = validateReapRequest(request);
  if (!checked.ok) throw new UsageError(describeProblems(REAP_REQUEST, checked.problems));
  return request;
}

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

function parseEvery(value: string): number {
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.reason);
  if (parsed.ms < MIN_EVERY_MS) throw new InvalidArgumentError(`must be at least ${formatDuration(MIN_EVERY_MS)}`);
  return parsed.ms;
}

function describeReport(report: ReapReport): string {
  const lines = [
    ...report.reaped.map((entry) => `${report.dryRun ? 'would reap' : 'reaped'} ${entry.instanceId} (${entry.region}): ${entry.reason}`),
    ...report.notJudged.map((entry) => `not judged ${entry.instanceId} (${entry.region}): ${entry.reason}`),
  ];
  lines.push(`${report.dryRun ? 'Dry run: would reap' : 'Reaped'} ${report.reaped.length} of ${report.scanned} managed instances in ${report.regions.join(', ')}`);
  return lines.join('\n');
}

/** Turns a flag problem into exit 2 before anything connects; the body runs only with a valid request. */
function withRequest(flags: ReapFlags, options: OutputOptions, body: (request: ReapRequest) => Promise<ExitCode>): Promise<ExitCode> {
  let request: ReapRequest;
  try {
    request = reapRequestFromFlags(flags);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printProblem({ type: 'Usage', message: error.message }, options);
    return Promise.resolve(ExitCode.usage);
  }
  return body(request);
}

async function reap(flags: ReapFlags & OutputOptions): Promise<ExitCode> {
  return withRequest(flags, flags, (request) =>
    withClient(flags, undefined, async (client) => {
      const report = await client.workflow.execute<typeof reapOrphans>(WorkflowType.reapOrphans, {
        args: [request],
        workflowId: `stagely-reap-orphans-manual-${randomUUID()}`,
        taskQueue: temporalSettings().taskQueue,
        workflowExecutionTimeout: '1h',
        staticSummary: `Reap orphaned instances (manual${request.dryRun ? ', dry run' : ''})`,
      });
      printResult(report, flags, describeReport);
      return ExitCode.ok;
    }),
  );
}

async function applySchedule(flags: ReapFlags & OutputOptions & { every: number }): Promise<ExitCode> {
  return withRequest(flags, flags, async (request) => {
    const settings = temporalSettings();
    const encryption = dataConverterFromEnv();
    const desired = reaperSchedule(request, flags.every, settings.taskQueue);
    return withClient(flags, undefined, async (client) => {
      const outcome = await ensureReaperSchedule(client, desired);
      const applied = {
        scheduleId: REAPER_SCHEDULE_ID,
        outcome,
        every: formatDuration(flags.every),
        request,
        taskQueue: settings.taskQueue,
        namespace: settings.namespace,
        encryption: describeEncryption(encryption),
      };
      printResult(applied, flags, (a) => `${outcome === 'created' ? 'Created' : 'Updated'} schedule ${REAPER_SCHEDULE_ID}\n${labelled({ every: a.every, request: a.request, taskQueue: a.taskQueue, namespace: a.namespace, encryption: a.encryption })}`);
      return ExitCode.ok;
    });
  });
}

async function deleteSchedule(options: OutputOptions): Promise<ExitCode> {
  return withClient(options, undefined, async (client) => {
    let deleted = true;
    try {
      await client.schedule.getHandle(REAPER_SCHEDULE_ID).delete();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
      deleted = false;
    }
    printResult({ scheduleId: REAPER_SCHEDULE_ID, deleted }, options, () => (deleted ? `Deleted schedule ${REAPER_SCHEDULE_ID}` : `No schedule ${REAPER_SCHEDULE_ID}; nothing to delete`));
    return ExitCode.ok;
  });
}

function addReapFlags(command: Command, dryRunHelp: string): Command {
  return command
    .option('--dry-run', dryRunHelp)
    .option('--grace <duration>', 'leave instances younger than this alone (default 30m)')
    .option('--open-run-limit <duration>', 'runs still open this long after their launch are stuck: reap their instances (default 3h)')
    .option('--regions <list>', "comma-separated regions to scan (default: the worker's STAGELY_REAPER_REGIONS or AWS_REGION)");
}

export function registerReaper(program: Command, run: Run): void {
  const reapCommand = addReapFlags(
    program.command('reap').description('Run the orphan reaper once, now, and print its report (what it terminated, or would).'),
    'list what would be terminated; terminate nothing',
  );
  withOutputFlags(reapCommand, 'stagely reap --dry-run --regions us-east-1,eu-west-1').action((flags: ReapFlags & OutputOptions) => run(reap(flags)));

  const schedules = program.command('schedules').description(`Manage the ${REAPER_SCHEDULE_ID} schedule, which runs the orphan reaper.`);
  const apply = addReapFlags(
    schedules
      .command('apply')
      .description(`Create the ${REAPER_SCHEDULE_ID} schedule, or update it to these flags (a paused schedule stays paused).`)
      .option('--every <duration>', 'how often the reaper runs (at least 1m)', parseEvery, parseEvery('15m')),
    "the schedule's runs list what they would terminate, and terminate nothing",
  );
  withOutputFlags(apply, 'stagely schedules apply --every 15m --regions us-east-1').action((flags: ReapFlags & OutputOptions & { every: number }) => run(applySchedule(flags)));
  const remove = schedules.command('delete').description(`Delete the ${REAPER_SCHEDULE_ID} schedule (runs in progress finish).`);
  withOutputFlags(remove, 'stagely schedules delete').action((options: OutputOptions) => run(deleteSchedule(options)));
}
