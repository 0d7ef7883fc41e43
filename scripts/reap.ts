/**
 * npm run reap -- [--dry-run] [--grace 30m] [--open-run-limit 3h] [--regions us-east-1,eu-west-1]: runs the orphan reaper
 * once, now, and prints its report as JSON on stdout (a line per reaped instance on stderr). The
 * schedule (npm run schedules) runs the same workflow every 15 minutes; this is for operators who
 * want to see, or act, right away. Exit code 0 when the run finished, 1 when it failed, 2 on bad flags.
 */
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { connectClient } from '../src/client';
import { WorkflowType } from '../src/common/contract';
import { describeProblems } from '../src/common/field-checks';
import type { ReapRequest } from '../src/common/reaping';
import { REAP_REQUEST, validateReapRequest } from '../src/common/validate-reap-request';
import { temporalSettings } from '../src/config';
import type { reapOrphans } from '../src/workflows';

export interface ReapFlags {
  dryRun?: boolean;
  grace?: string;
  openRunLimit?: string;
  /** Comma-separated region codes. */
  regions?: string;
}

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

export class UsageError extends Error {}

async function main(): Promise<void> {
  const flags = new Command('reap')
    .description('Run the orphan reaper once and print its report')
    .option('--dry-run', 'list what would be terminated; terminate nothing')
    .option('--grace <duration>', 'leave instances younger than this alone (default 30m)')
    .option('--open-run-limit <duration>', 'runs still open this long after their launch are stuck: reap their instances (default 3h)')
    .option('--regions <list>', "comma-separated regions to scan (default: the worker's STAGELY_REAPER_REGIONS or AWS_REGION)")
    .parse()
    .opts<ReapFlags>();
  const request = reapRequestFromFlags(flags);
  const client = await connectClient();
  try {
    const report = await client.workflow.execute<typeof reapOrphans>(WorkflowType.reapOrphans, {
      args: [request],
      workflowId: `stagely-reap-orphans-manual-${randomUUID()}`,
      taskQueue: temporalSettings().taskQueue,
      workflowExecutionTimeout: '1h',
      staticSummary: `Reap orphaned instances (manual${request.dryRun ? ', dry run' : ''})`,
    });
    for (const entry of report.reaped) console.error(`${report.dryRun ? 'would reap' : 'reaped'} ${entry.instanceId} (${entry.region}): ${entry.reason}`);
    for (const entry of report.notJudged) console.error(`not judged ${entry.instanceId} (${entry.region}): ${entry.reason}`);
    console.error(`${report.dryRun ? 'Dry run: would reap' : 'Reaped'} ${report.reaped.length} of ${report.scanned} managed instances in ${report.regions.join(', ')}`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await client.connection.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('Reaper failed:', error instanceof Error ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
