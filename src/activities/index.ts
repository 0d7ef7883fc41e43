/**
 * The AWS activities, bound to the clients and settings the worker builds once.
 *
 * Workflows import only the type: `proxyActivities<Activities>()`.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AdmissionAnswer } from '../common/admission';
import { NAMESPACE_ID_UNKNOWN } from '../common/failures';
import { CANONICAL_UBUNTU_2204_PARAMETER } from '../common/images';
import { DEFAULT_REGION } from '../common/regions';
import type { RunRef } from '../common/reaping';
import type { AwsClients } from './aws-clients';
import { DescribeBatcher, type BatchingOptions, type ForeseenPolls } from './describe-batcher';
import { describeInstance, type InstanceRef, type PollRequest } from './describe-instance';
import { describeRuns } from './describe-runs';
import { listManagedInstances } from './list-managed-instances';
import { ImageCache, resolveImage, type ImageRequest } from './resolve-image';
import { runInstances, type LaunchRequest } from './run-instances';
import { terminateLaunchedBy, type TokenSweep } from './launch-token-sweep';
import { terminateInstance, type TerminationRequest } from './terminate-instance';
import { terminateOrphans, type OrphanBatch } from './terminate-orphans';
import { validateCredentials } from './validate-credentials';
import { consoleOutputTail } from './console-output';
import { describeInstanceStatus } from './describe-instance-status';
import { StatusCheckBatcher } from './status-check-batcher';
import { probeTcp, type ResolveProbeAddress, type TcpProbe } from './tcp-probe';

export type { AwsClients } from './aws-clients';
export type { BatchingOptions, ForeseenPolls, PollSchedule } from './describe-batcher';
export { regionalClients } from './aws-clients';
export { launchBudget } from './ec2-budget';
export type { InstanceRef, PollRequest } from './describe-instance';
export type { InstanceStatus, ManagedInstance } from './instance-status';
export type { ImageRequest, ResolvedImage } from './resolve-image';
export type { LaunchedInstance, LaunchRequest } from './run-instances';
export type { TokenSweep } from './launch-token-sweep';
export type { TerminationRequest, TerminationResult } from './terminate-instance';
export type { ManagedListing } from './list-managed-instances';
export type { RunDetail, RunLookup } from './describe-runs';
export type { OrphanBatch } from './terminate-orphans';
export type { StatusChecks } from './describe-instance-status';
export type { ProbeOutcome, ProbeTarget, ResolveProbeAddress, TcpProbe } from './tcp-probe';

/** Where a test may hold an activity: EC2 accepted the launch but the activity has not completed; mid-poll; mid-termination. */
export type PausePoint = 'after-run-instances' | 'in-poll' | 'in-terminate';

/** Awaited at each pause point with the instance concerned. */
export type PauseHook = (point: PausePoint, facts: { instanceId: string }) => Promise<void>;

/** What the activities are built with: the worker builds each once; tests hand in their own. */
export interface ActivityDependencies {
  /** One client per region; see regionalClients(). */
  clients: AwsClients;
  /**
   * SSM parameter holding the image id, `{arch}` standing for amd64/arm64.
   * @default Canonical's public Ubuntu 22.04 parameter
   */
  imageParameter?: string;
  /** How long a resolved image id is reused. @default 1 hour */
  imageCacheTtlMs?: number;
  /** Region validateCredentials checks when none is given. @default "us-east-1" */
  defaultRegion?: string;
  /**
   * Coalesce concurrent describeInstance calls into shared DescribeInstances calls (false: one call
   * per poll). @default on, 50 ms window, 200 ids per call
   */
  batching?: BatchingOptions | false;
  /** Regions the orphan reaper scans when its request names none. @default [defaultRegion] */
  reaperRegions?: string[];
  /**
   * The ID of the worker's Temporal namespace (DescribeNamespace; the worker resolves it at start).
   * Every launch is tagged with it (`stagely:namespace-id`), and the reaper judges only instances that
   * carry it. Without it launches carry no namespace tag and the reaper refuses to run.
   */
  namespaceId?: string;
  /**
   * Told of each poll the batcher foresees and when it starts: how well the worker keeps the runs it
   * already has on schedule (worker/start-admission.ts).
   */
  foreseenPolls?: ForeseenPolls;
  /**
   * A new provision's first step (joinStartLine): the worker's start line (worker/start-line.ts).
   * @default none: every provision is admitted at once
   */
  startLine?: (run: { workflowId: string; runId: string }) => AdmissionAnswer;
  /**
   * For the crash tests only (test/support/crash-worker.ts), which hold a worker at a point to kill it
   * there. The production worker never sets it. @default none
   */
  pauseAt?: PauseHook;
  /**
   * Test-only: where a readiness TCP check really connects (moto's instance addresses answer nothing).
   * The worker sets it only from STAGELY_TEST_TCP_TARGET with STAGELY_ALLOW_TEST_SEAM=1. @default the instance's own address
   */
  resolveProbeAddress?: ResolveProbeAddress;
}

export function createActivities(dependencies: ActivityDependencies) {
  const { clients } = dependencies;
  const parameter = dependencies.imageParameter ?? CANONICAL_UBUNTU_2204_PARAMETER;
  const images = new ImageCache(dependencies.imageCacheTtlMs ?? 60 * 60_000);
  const batcher = dependencies.batching === false ? undefined : new DescribeBatcher(clients.ec2, dependencies.batching ?? {}, dependencies.foreseenPolls);
  const statusBatcher = dependencies.batching === false ? undefined : new StatusCheckBatcher(clients.ec2, dependencies.batching ?? {});
  return {
    joinStartLine: async (): Promise<AdmissionAnswer> => {
      const run = Context.current().info.workflowExecution;
      return (run !== undefined && dependencies.startLine?.({ workflowId: run.workflowId, runId: run.runId })) || { admitted: true };
    },
    resolveImage: (request: ImageRequest) => resolveImage(clients, images, parameter, request),
    runInstances: (request: LaunchRequest) => runInstances(clients, request, dependencies.namespaceId, dependencies.pauseAt),
    describeInstance: (request: PollRequest) => describeInstance(clients, request, batcher, dependencies.pauseAt),
    terminateInstance: (request: TerminationRequest) => terminateInstance(clients, request, dependencies.pauseAt),
    describeInstanceStatus: (ref: InstanceRef) => describeInstanceStatus(clients, ref, statusBatcher),
    consoleOutputTail: async (ref: InstanceRef) => ({ tail: await consoleOutputTail(clients, ref) }),
    probeTcp: (probe: TcpProbe) => probeTcp({ ...probe, ...dependencies.resolveProbeAddress?.({ host: probe.host, port: probe.port }) }),
    terminateLaunchedBy: (sweep: TokenSweep) => terminateLaunchedBy(clients, sweep),
    listManagedInstances: async (request: { regions?: string[] }) => {
      const { namespaceId } = dependencies;
      if (namespaceId === undefined) {
        throw ApplicationFailure.nonRetryable('The worker was built without its namespace ID, so it cannot tell its instances from another namespace\'s', NAMESPACE_ID_UNKNOWN);
      }
      const regions = request.regions ?? dependencies.reaperRegions ?? [dependencies.defaultRegion ?? DEFAULT_REGION];
      return { regions, namespaceId, ...(await listManagedInstances(clients, regions, namespaceId)) };
    },
    describeRuns: (refs: RunRef[]) => describeRuns(refs),
    terminateOrphans: (batch: OrphanBatch) => terminateOrphans(clients, batch),
    validateCredentials: (region?: string) => validateCredentials(clients, region ?? dependencies.defaultRegion ?? DEFAULT_REGION),
  };
}

export type Activities = ReturnType<typeof createActivities>;
