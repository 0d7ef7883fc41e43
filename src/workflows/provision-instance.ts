/**
 * provisionInstance: validate, resolve the image, launch one EC2 instance (falling back from spot to
 * on-demand and across equivalent types and subnets when AWS is out of capacity or does not offer the
 * type there), and wait durably for its public IP, then, when the request asks, until the VM is ready
 * (docs/readiness.md). docs/launch.md walks through the edge cases.
 *
 * Whatever was launched is terminated whenever the run does not succeed — deadline, lost instance,
 * activity failure or cancellation — so a failed run never leaves a VM running on the bill.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  patched,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InstanceRef, InstanceStatus, PollSchedule, ResolvedImage } from '../activities';
import {
  STATUS_QUERY,
  type LaunchAttempt,
  type NotReadyDetails,
  type ReadinessResult,
  type ProvisionRequest,
  type ProvisionResult,
  type ProvisionStatus,
} from '../common/contract';
import { ADMIT_SIGNAL, type AdmissionAnswer } from '../common/admission';
import { formatDuration } from '../common/durations';
import { nextPollAt } from '../common/poll-ticks';
import { FailureType } from '../common/failures';
import { describeCandidate, launchPlan, type LaunchCandidate } from '../common/launch-plan';
import { exhaustedFailureType, launchRefusal, type LaunchFailure, type RefusalKind } from '../common/launch-refusals';
import { isGone } from '../common/instance-state';
import { ipDeadline, type RunLimits } from '../common/ip-deadline';
import { describeProblems } from '../common/field-checks';
import { TCP_ATTEMPT_TIMEOUT_MS, type ReadinessSpec } from '../common/readiness';
import { PROVISION_REQUEST, validateProvisionRequest, type ProvisionSpec } from '../common/validate-provision-request';
import { INSTANCE_ID, INSTANCE_TYPE, STAGELY_ENVIRONMENT } from '../common/visibility';
import { ADMISSION, call, callLocal, CLEANUP, LAUNCH, LOCAL_POLL, POLL, SETUP } from './activity-profiles';

export const statusQuery = defineQuery<ProvisionStatus>(STATUS_QUERY);
/** The worker's word that a provision waiting for start admission may go on (common/admission.ts). */
export const admitSignal = defineSignal(ADMIT_SIGNAL);

/** An instance this run launched, and how. */
interface Launched extends InstanceRef {
  candidate: LaunchCandidate;
  launchedAt?: string;
}

export async function provisionInstance(request: ProvisionRequest): Promise<ProvisionResult> {
  const status: ProvisionStatus = { phase: 'validating', polls: 0 };
  setHandler(statusQuery, () => ({ ...status }));
  try {
    const result = await provision(request, status);
    status.phase = 'succeeded';
    return result;
  } catch (error) {
    status.phase = isCancellation(error) ? 'cancelled' : 'failed';
    throw error;
  }
}

async function provision(request: ProvisionRequest, status: ProvisionStatus): Promise<ProvisionResult> {
  if (workflowInfo().typedSearchAttributes.get(STAGELY_ENVIRONMENT) === undefined) {
    // Started without an environment (e.g. straight from the temporal CLI): the workflow ID stands in.
    upsertSearchAttributes([{ key: STAGELY_ENVIRONMENT, value: workflowInfo().workflowId }]);
  }

  const checked = validateProvisionRequest(request);
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidSpec,
      message: describeProblems(PROVISION_REQUEST, checked.problems),
      nonRetryable: true,
      details: [{ problems: checked.problems }],
    });
  }
  const spec = checked.spec;

  // Before anything is launched: the only step admission ever holds. Runs recorded before it replay without it.
  if (patched(START_ADMISSION)) await waitForAdmission(status);

  status.phase = 'resolving-image';
  const image = await call(SETUP, `Resolve the Ubuntu 22.04 ${spec.architecture} image in ${spec.region}`).resolveImage({
    region: spec.region,
    architecture: spec.architecture,
    ...(spec.imageId !== undefined && { imageId: spec.imageId }),
  });
  log.info('Image resolved', { imageId: image.imageId, source: image.source, parameter: image.parameter ?? null });

  const plan = launchPlan(spec);
  const launcher = new Launcher(spec, image, status);
  status.phase = 'launching';
  let launched = await launcher.launchSpotThenOnDemand(plan.spot, plan.onDemand);
  let replaced = false;

  for (;;) {
    try {
      const ready = await waitForPublicIp(launched, spec, status);
      const result: ProvisionResult = {
        instanceId: launched.instanceId,
        publicIp: ready.publicIp,
        privateIp: ready.privateIp ?? '',
        instanceType: launched.candidate.instanceType,
        imageId: image.imageId,
        region: spec.region,
        size: spec.size,
        architecture: spec.architecture,
        spot: launched.candidate.spot,
        launchedAt: ready.launchedAt ?? launched.launchedAt ?? new Date(Date.now()).toISOString(),
        imageSource: image.source,
        attempts: launcher.attempts,
      };
      if (launched.candidate.subnetId !== undefined) result.subnetId = launched.candidate.subnetId;
      if (launcher.fallbackReason !== undefined) result.fallbackReason = launcher.fallbackReason;
      // Without readiness in the request no command is added, so recorded runs replay as they ran.
      if (spec.readiness !== undefined) Object.assign(result, await waitForReady(launched, ready, spec.readiness, spec.pollIntervalMs, status));
      return result;
    } catch (error) {
      status.phase = 'terminating';
      await terminateAfterFailure(launched, error);
      const reclaimed = isFailureOfType(error, FailureType.InstanceLost) && launched.candidate.spot;
      if (reclaimed && !replaced && plan.onDemand.length > 0 && !CancellationScope.current().consideredCancelled) {
        // A spot VM taken back before it was ever usable: replace it once, on-demand.
        replaced = true;
        launcher.fallbackReason = `spot instance ${launched.instanceId} was reclaimed before it had a public IP`;
        log.warn('Replacing a reclaimed spot instance on-demand', { instanceId: launched.instanceId });
        status.phase = 'launching';
        launched = await launcher.launchFirstAvailable(plan.onDemand);
        continue;
      }
      throw error;
    }
  }
}

/**
 * Joins the worker's start line and waits, if it must, for the worker's admit signal (common/admission.ts).
 * The wait is a condition on the signal, so a waiting run holds nothing in the worker, and a cancelled
 * one ends here with nothing launched. Admission only spaces out starts: if the line cannot be joined
 * at all, the run goes on rather than fail.
 */
async function waitForAdmission(status: ProvisionStatus): Promise<void> {
  let admitted = false;
  setHandler(admitSignal, () => {
    admitted = true;
  });
  for (;;) {
    let answer: AdmissionAnswer;
    try {
      answer = await callLocal(ADMISSION, 'Join the start line').joinStartLine();
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('Could not join the start line; going on without admission', { error: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (answer.admitted || admitted) return;
    status.phase = 'waiting-for-admission';
    log.info('Waiting for start admission', { ahead: answer.ahead ?? null });
    // No signal within the recheck time: the worker that holds our place may be gone; ask again.
    if (await condition(() => admitted, answer.recheckAfterMs ?? DEFAULT_RECHECK_MS)) return;
  }
}

const DEFAULT_RECHECK_MS = 30_000;

/** Works through launch candidates, recording every attempt, until one launches. */
class Launcher {
  readonly attempts: LaunchAttempt[] = [];
  /** Why each refused attempt was refused, in order: what the run fails with when all are. */
  private readonly refusals: RefusalKind[] = [];
  fallbackReason?: string;

  constructor(
    private readonly spec: ProvisionSpec,
    private readonly image: ResolvedImage,
    private readonly status: ProvisionStatus,
  ) {}

  async launchSpotThenOnDemand(spot: LaunchCandidate[], onDemand: LaunchCandidate[]): Promise<Launched> {
    if (spot.length > 0) {
      const launched = await this.tryInOrder(spot);
      if (launched !== undefined) return launched;
      if (onDemand.length > 0) {
        const last = this.attempts[this.attempts.length - 1];
        const why = this.refusals[this.refusals.length - 1] === 'capacity' ? 'no spot capacity' : 'spot refused';
        this.fallbackReason = `${why} for ${last ? describeCandidate(last) : 'the request'} (${last?.outcome ?? 'unknown'}); launched on-demand`;
        log.warn('Falling back to on-demand', { reason: this.fallbackReason });
      }
    }
    return this.launchFirstAvailable(onDemand);
  }

  async launchFirstAvailable(candidates: LaunchCandidate[]): Promise<Launched> {
    const launched = await this.tryInOrder(candidates);
    if (launched !== undefined) return launched;
    throw this.exhausted();
  }

  /** The failure of a run whose every candidate was refused, naming each attempt. */
  private exhausted(): ApplicationFailure {
    const type = exhaustedFailureType(this.refusals);
    const n = this.attempts.length;
    const tried = `Tried ${n} launch${n === 1 ? '' : 'es'}: ${this.attempts.map((a) => `${describeCandidate(a)}: ${a.outcome}`).join('; ')}.`;
    const { region } = this.spec;
    const message =
      type === FailureType.QuotaExceeded
        ? `The account's spot instance limit in ${region} is reached, and spotFallback is "none". ${tried} Terminate unused spot instances, request a higher limit in AWS Service Quotas, or allow on-demand.`
        : type === FailureType.InvalidConfiguration
          ? `EC2 does not offer this request's instance types where it was asked to launch them in ${region}. ${tried} Use subnets in zones that offer them (aws ec2 describe-instance-type-offerings), or another size.`
          : `AWS has no capacity for this request in ${region}. ${tried} Retry later, or allow more subnets (subnetIds) or another size.`;
    return ApplicationFailure.create({ type, message, nonRetryable: true, details: [{ attempts: this.attempts }] });
  }

  /** The first candidate that launches, or undefined when every one was refused (see launchRefusal). */
  private async tryInOrder(candidates: LaunchCandidate[]): Promise<Launched | undefined> {
    for (const candidate of candidates) {
      if (CancellationScope.current().consideredCancelled) {
        throw new CancelledFailure('Provision cancelled before the next launch attempt');
      }
      // A token per attempt: retries of one attempt share it (EC2 returns the same instance), while
      // the next candidate is a different launch.
      const clientToken = `${workflowInfo().runId}-${this.attempts.length + 1}`;
      try {
        // Not cancellable: once RunInstances is sent the instance may exist, and only a completed call
        // tells us its id. A cancellation that arrives meanwhile takes effect at the next await.
        const summary = `Launch ${describeCandidate(candidate)} (attempt ${this.attempts.length + 1})`;
        const result = await CancellationScope.nonCancellable(() =>
          call(LAUNCH, summary).runInstances({
            region: this.spec.region,
            instanceType: candidate.instanceType,
            imageId: this.image.imageId,
            rootDeviceName: this.image.rootDeviceName,
            rootVolumeGiB: this.spec.rootVolumeGiB,
            spot: candidate.spot,
            tags: this.spec.tags,
            clientToken,
            ...(this.spec.userData !== undefined && { userData: this.spec.userData }),
            ...(candidate.subnetId !== undefined && { subnetId: candidate.subnetId }),
            ...(this.spec.securityGroupIds.length > 0 && { securityGroupIds: this.spec.securityGroupIds }),
          }),
        );
        this.attempts.push({ ...candidate, outcome: 'launched', instanceId: result.instanceId });
        this.status.instanceId = result.instanceId;
        upsertSearchAttributes([
          { key: INSTANCE_ID, value: result.instanceId },
          { key: INSTANCE_TYPE, value: candidate.instanceType },
        ]);
        log.info('Instance launched', { instanceId: result.instanceId, attempt: describeCandidate(candidate) });
        if (result.adopted) log.warn('Adopted the instance an earlier launch attempt had started', { instanceId: result.instanceId });
        return { region: this.spec.region, instanceId: result.instanceId, candidate, ...(result.launchedAt !== undefined && { launchedAt: result.launchedAt }) };
      } catch (error) {
        const failure = launchFailureOf(error);
        const refusal = failure === undefined ? undefined : launchRefusal(failure, candidate.spot);
        // Runs recorded before "not offered" refused a candidate ended the run on it.
        if (refusal === undefined || (refusal.kind === 'not-offered' && !patched(LAUNCH_REFUSALS))) {
          // The launch's outcome is unknown: an attempt may have reached EC2 before the activity gave
          // up. Whatever carries this attempt's token is terminated before the failure is reported.
          if (patched(SWEEP_UNKNOWN_LAUNCH)) await sweepLaunch(this.spec.region, clientToken, error);
          throw error;
        }
        this.attempts.push({ ...candidate, outcome: refusal.code });
        this.refusals.push(refusal.kind);
        log.warn('Launch refused; trying the next option', { attempt: describeCandidate(candidate), code: refusal.code });
        // Refused on a retry: the attempt before it failed with an unknown outcome (no answer, a time-out,
        // a dead worker) and may have started an instance that the retry's look-up could not see yet.
        if ((failure?.activityAttempt ?? 1) > 1 && patched(SWEEP_RETRIED_REFUSAL)) await sweepLaunch(this.spec.region, clientToken, error);
        // The spot limit is the account's: no further spot candidate can launch.
        if (refusal.kind === 'spot-quota' && patched(LAUNCH_REFUSALS)) return undefined;
      }
    }
    return undefined;
  }
}

/** The launch activity's ApplicationFailure, as launchRefusal reads it, with the attempt that threw it. */
function launchFailureOf(error: unknown): (LaunchFailure & { activityAttempt?: number }) | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure)) return undefined;
  const { type, message } = error.cause;
  const details: unknown = error.cause.details?.[0];
  const field = (name: string): unknown => (typeof details === 'object' && details !== null ? (details as Record<string, unknown>)[name] : undefined);
  const awsErrorCode = field('awsErrorCode');
  const activityAttempt = field('activityAttempt');
  return {
    type,
    message,
    ...(typeof awsErrorCode === 'string' && { awsErrorCode }),
    ...(typeof activityAttempt === 'number' && { activityAttempt }),
  };
}

function isFailureOfType(error: unknown, type: string): boolean {
  return error instanceof ApplicationFailure && error.type === type;
}

/** Polls until the instance has a public IP; throws PublicIpTimeout or InstanceLost otherwise. */
async function waitForPublicIp(
  launched: Launched,
  spec: ProvisionSpec,
  status: ProvisionStatus,
): Promise<InstanceStatus & { publicIp: string }> {
  const { instanceId } = launched;
  // Counted from launch on the workflow clock, so a replay or a restarted worker keeps the same deadline.
  const waitFrom = Date.now();
  const limited = ipDeadline(waitFrom, spec.ipWaitTimeoutMs, runLimits());
  // Cut short only when the caller's time-out would otherwise close the run before compensation ran;
  // runs recorded before this keep the full wait.
  const cutShortBy = limited.cutShortBy !== undefined && patched(IP_DEADLINE_UNDER_TIMEOUT) ? limited.cutShortBy : undefined;
  const deadline = cutShortBy !== undefined ? limited.at : waitFrom + spec.ipWaitTimeoutMs;
  status.instanceId = instanceId;
  status.deadline = new Date(deadline).toISOString();
  status.phase = 'waiting-for-ip';

  // Runs started before shared poll ticks replay the way they ran: activity-task polls, plain sleeps.
  const onTicks = patched(POLL_TICKS);
  let pollAt = Date.now();
  for (;;) {
    const seen = await describeOrSkip(launched, status.polls + 1, onTicks ? { dueAt: pollAt, intervalMs: spec.pollIntervalMs } : undefined);
    status.polls += 1;
    if (seen === undefined) {
      log.warn('Poll failed after its retries; trying again at the next interval', { instanceId, poll: status.polls });
    } else if (seen === null) {
      log.info('Poll: instance not visible yet', { instanceId, poll: status.polls });
    } else {
      status.lastState = seen.state;
      log.info('Poll', { instanceId, poll: status.polls, state: seen.state, publicIp: seen.publicIp ?? null });
      // A gone state wins over an address: EC2 can still list the public IP of an instance that is
      // stopping or shutting down, and that VM is no use to the caller. Runs recorded before returned it.
      const gone = isGone(seen.state) && (!seen.publicIp || patched(GONE_BEATS_PUBLIC_IP));
      if (seen.publicIp && !gone) return { ...seen, publicIp: seen.publicIp };
      if (gone) {
        throw ApplicationFailure.nonRetryable(
          `Instance ${instanceId} reached state "${seen.state}" before it got a public IP (spot interruption, a failed boot, or someone stopped it). It has been terminated; start a new provision.`,
          FailureType.InstanceLost,
        );
      }
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw ApplicationFailure.nonRetryable(
        cutShortBy !== undefined
          ? `Instance ${instanceId} had no public IP after ${formatDuration(deadline - waitFrom)} (${status.polls} polls): the wait was cut short from ipWaitTimeout (${formatDuration(spec.ipWaitTimeoutMs)}) so that the instance could be terminated before the workflow's ${cutShortBy} closes the run. It has been terminated. Allow a longer ${cutShortBy}, then retry.`
          : `Instance ${instanceId} had no public IP after ${formatDuration(spec.ipWaitTimeoutMs)} (${status.polls} polls). It has been terminated. Check that the subnet assigns public IPv4 addresses (MapPublicIpOnLaunch) or raise ipWaitTimeout, then retry.`,
        FailureType.PublicIpTimeout,
      );
    }
    if (onTicks) {
      // The workflow clock is the time this workflow task started, and it stands still while the
      // local activity runs; a sleep timed from it would fire late by the poll's own duration, a
      // different amount each round, and scatter the runs of one tick. The poll's answer time (in
      // the marker, so replay sees it too) is the better "now" when it is later.
      const now = Math.max(Date.now(), seen?.checkedAt ?? 0);
      pollAt = nextPollAt(pollAt, now, spec.pollIntervalMs);
      await sleep(Math.min(pollAt - now, remaining));
    } else {
      await sleep(Math.min(spec.pollIntervalMs, remaining));
    }
  }
}

/** The run's time-outs, as ipDeadline needs them. */
function runLimits(): RunLimits {
  const info = workflowInfo();
  // The run time-out counts from the run's start event. startTime is that event's time for the first
  // run of a chain; runStartTime (the first workflow task) is the closest a later run knows.
  const runStartedAt = (info.runId === info.firstExecutionRunId ? info.startTime : info.runStartTime).getTime();
  const executionExpiresAt =
    info.executionExpirationTime?.getTime() ?? (info.executionTimeoutMs !== undefined ? info.startTime.getTime() + info.executionTimeoutMs : undefined);
  return {
    runStartedAt,
    ...(info.runTimeoutMs !== undefined && { runTimeoutMs: info.runTimeoutMs }),
    ...(executionExpiresAt !== undefined && { executionExpiresAt }),
    ...(info.executionTimeoutMs !== undefined && { executionTimeoutMs: info.executionTimeoutMs }),
  };
}

/**
 * One poll. A poll whose retries ran out on a transient error (throttling, 5xx, network) returns
 * undefined so the loop tries again next interval: the deadline, not one bad minute, ends the wait.
 * Permanent failures (credentials, for example) and cancellation still end the run.
 */
async function describeOrSkip(ref: InstanceRef, pollNumber: number, tick?: PollSchedule): Promise<InstanceStatus | null | undefined> {
  const summary = `Poll ${ref.instanceId} for a public IP (#${pollNumber})`;
  // On ticks, a poll is a local activity and says which tick it is for, so the worker can ask EC2
  // about every run due on a tick in one call, at the tick.
  const activities = tick !== undefined ? callLocal(LOCAL_POLL, summary) : call(POLL, summary);
  return orSkip(() => activities.describeInstance({ region: ref.region, instanceId: ref.instanceId, ...tick }));
}

/** The call's answer, or undefined when it failed retryably after its retries (see describeOrSkip). */
async function orSkip<T>(attempt: () => Promise<T>): Promise<T | undefined> {
  try {
    return await attempt();
  } catch (error) {
    if (isCancellation(error)) throw error;
    // A local activity's failure arrives as the ApplicationFailure itself (or a TimeoutFailure); an
    // activity task's, wrapped in an ActivityFailure.
    const cause = error instanceof ActivityFailure ? error.cause : error;
    if (cause instanceof ApplicationFailure ? cause.nonRetryable : !(cause instanceof TimeoutFailure || error instanceof ActivityFailure)) throw error;
    return undefined;
  }
}

/**
 * Waits, after the public IP, until every readiness check the request asked for has passed: EC2's
 * status checks "ok", a TCP connection accepted. Checks on the same shared ticks as the IP polls
 * (local activities, so runs due together share DescribeInstanceStatus calls), each check until it
 * passes once. At the deadline, fails as NotReady with what it saw last and the console output's tail.
 */
async function waitForReady(
  ref: Launched,
  ip: InstanceStatus & { publicIp: string },
  readiness: ReadinessSpec,
  pollIntervalMs: number,
  status: ProvisionStatus,
): Promise<{ readyAt: string; readiness: ReadinessResult }> {
  const { region, instanceId } = ref;
  // Counted from the IP on the workflow clock; cut short like the IP wait when a run time-out would
  // otherwise close the run before compensation ran.
  const waitFrom = Date.now();
  const { at: deadline, cutShortBy } = ipDeadline(waitFrom, readiness.timeoutMs, runLimits());
  status.phase = 'waiting-for-ready';
  status.readyDeadline = new Date(deadline).toISOString();
  const host = readiness.address === 'private' ? ip.privateIp : ip.publicIp;
  const { tcpPort } = readiness;
  let checksOk = !readiness.statusChecks;
  let tcpOk = tcpPort === undefined;
  const seen: NotReadyDetails = {};
  /** A gone state the status checks saw: the VM will never be ready, so the wait ends at once. */
  let goneAs: string | undefined;
  let round = 0;
  let pollAt = Date.now();
  for (;;) {
    round += 1;
    let answeredAt = 0;
    if (!checksOk) {
      const checks = await orSkip(() =>
        callLocal(LOCAL_POLL, `Status checks of ${instanceId} (#${round})`).describeInstanceStatus({ region, instanceId }),
      );
      if (checks) {
        seen.statusChecks = { instance: checks.instance, system: checks.system };
        answeredAt = checks.checkedAt;
        if (isGone(checks.state)) goneAs = checks.state;
        else checksOk = checks.instance === 'ok' && checks.system === 'ok';
        log.info('Status checks', { instanceId, round, state: checks.state, instance: checks.instance, system: checks.system });
      }
    }
    if (!tcpOk && tcpPort !== undefined && goneAs === undefined) {
      if (host === undefined || host === '') {
        seen.lastTcpError = `the instance has no ${readiness.address} address`;
      } else {
        const probe = await orSkip(() =>
          callLocal(LOCAL_POLL, `Connect to ${host}:${tcpPort} (#${round})`).probeTcp({ host, port: tcpPort, timeoutMs: TCP_ATTEMPT_TIMEOUT_MS }),
        );
        if (probe?.accepted) {
          tcpOk = true;
          delete seen.lastTcpError;
        } else if (probe !== undefined) {
          seen.lastTcpError = probe.error;
        }
        log.info('TCP check', { instanceId, round, accepted: tcpOk, error: seen.lastTcpError ?? null });
      }
    }
    const now = Math.max(Date.now(), answeredAt);
    if (checksOk && tcpOk) {
      const checked: ReadinessResult = { address: readiness.address };
      if (readiness.statusChecks) checked.statusChecks = 'ok';
      if (tcpPort !== undefined) checked.tcpPort = tcpPort;
      log.info('Instance ready', { instanceId, rounds: round });
      return { readyAt: new Date(now).toISOString(), readiness: checked };
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0 || goneAs !== undefined) {
      throw await notReady(ref, seen, { checksOk, tcpOk, goneAs, waitedMs: deadline - waitFrom, timeoutMs: readiness.timeoutMs, cutShortBy });
    }
    pollAt = nextPollAt(pollAt, now, pollIntervalMs);
    await sleep(Math.min(pollAt - now, remaining));
  }
}

/** The NotReady failure: which checks had not passed, what they saw last, and the console output's tail. */
async function notReady(
  { region, instanceId }: InstanceRef,
  seen: NotReadyDetails,
  wait: { checksOk: boolean; tcpOk: boolean; goneAs: string | undefined; waitedMs: number; timeoutMs: number; cutShortBy: string | undefined },
): Promise<ApplicationFailure> {
  const details: NotReadyDetails = { ...seen };
  try {
    const output = await call(POLL, `Read the console output of ${instanceId}`).consoleOutputTail({ region, instanceId });
    if (output.tail !== undefined) details.consoleOutputTail = output.tail;
  } catch (error) {
    if (isCancellation(error)) throw error;
    // Best effort: the failure matters more than its evidence.
    log.warn('Could not read the console output', { instanceId, error: errorMessage(error) });
  }
  const failing: string[] = [];
  if (!wait.checksOk) {
    const last = seen.statusChecks;
    failing.push(last === undefined ? 'EC2 listed no status checks' : `status checks not ok (instance ${last.instance}, system ${last.system})`);
  }
  if (!wait.tcpOk) failing.push(`TCP check failing (${seen.lastTcpError ?? 'not tried'})`);
  const within =
    wait.cutShortBy !== undefined
      ? `${formatDuration(wait.waitedMs)} after its public IP (cut short from readiness.timeout ${formatDuration(wait.timeoutMs)} so the instance could be terminated before the workflow's ${wait.cutShortBy} closes the run)`
      : `${formatDuration(wait.timeoutMs)} after its public IP`;
  const what =
    wait.goneAs !== undefined
      ? `Instance ${instanceId} reached state "${wait.goneAs}" before it was ready (spot interruption, a failed host, a shutdown from inside, or someone stopped it)`
      : `Instance ${instanceId} was not ready ${within}`;
  return ApplicationFailure.create({
    type: FailureType.NotReady,
    message: `${what}: ${failing.join('; ')}. It has been terminated. The failure's details hold the tail of its console output (a failed boot or cloud-init shows there); fix the user data, image or security groups, or raise readiness.timeout, then retry.`,
    nonRetryable: true,
    details: [details],
  });
}

/**
 * Patch id: polls are local activities on shared ticks (common/poll-ticks.ts), so concurrent runs'
 * polls meet in one DescribeInstances call and a round costs one workflow task.
 */
const POLL_TICKS = 'poll-ticks';

/** Patch id: a poll that sees a gone state ends the wait as InstanceLost even when EC2 still lists a public IP. */
const GONE_BEATS_PUBLIC_IP = 'gone-beats-public-ip';

/** Patch id: the IP deadline leaves room for compensation inside a run or execution time-out (common/ip-deadline.ts). */
const IP_DEADLINE_UNDER_TIMEOUT = 'ip-deadline-under-timeout';

/** Patch id: runs recorded before the unknown-outcome sweep existed replay without it. */
const SWEEP_UNKNOWN_LAUNCH = 'sweep-unknown-launch';

/**
 * Patch id: a type not offered in a zone or region refuses that candidate (the run moves on), and the
 * spot limit ends the spot candidates. Runs recorded before ended on the first and went on after the other.
 */
const LAUNCH_REFUSALS = 'launch-refusals';

/** Patch id: a launch refused on an activity retry has its token swept before the next candidate. */
const SWEEP_RETRIED_REFUSAL = 'sweep-retried-refusal';

/** Patch id: a new provision's first step waits for the worker's start admission (waitForAdmission). */
const START_ADMISSION = 'start-admission';

/** Compensation for a launch that failed with an unknown outcome; like terminateAfterFailure, never throws. */
async function sweepLaunch(region: string, clientToken: string, cause: unknown): Promise<void> {
  try {
    const summary = `Terminate anything launched with token ${clientToken}: the launch failed`;
    const terminated = await CancellationScope.nonCancellable(() => call(CLEANUP, summary).terminateLaunchedBy({ region, clientToken }));
    if (terminated.length > 0) {
      log.warn('Terminated instances from a launch whose outcome was unknown', { instanceIds: terminated, reason: errorMessage(cause) });
    }
  } catch (error) {
    log.error('Could not check for instances from the failed launch; the orphan reaper will find any', {
      clientToken,
      error: errorMessage(error),
    });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Compensation. Runs where cancellation cannot reach it; a failure here is logged, never thrown,
 * so the caller always sees the failure that ended the run.
 */
async function terminateAfterFailure(ref: Launched, cause: unknown): Promise<void> {
  const { region, instanceId, launchedAt } = ref;
  log.warn('Provision did not succeed; terminating the instance', {
    instanceId,
    reason: cause instanceof Error ? cause.message : String(cause),
  });
  try {
    const summary = `Terminate ${instanceId}: the provision did not succeed`;
    const result = await CancellationScope.nonCancellable(() =>
      call(CLEANUP, summary).terminateInstance({ region, instanceId, ...(launchedAt !== undefined && { launchedAt }) }),
    );
    log.info('Instance terminated', { instanceId, alreadyGone: result.alreadyGone });
  } catch (error) {
    log.error('Could not terminate the instance; it may still be running', {
      instanceId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
