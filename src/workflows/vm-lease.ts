/**
 * vmLease: holds one VM for a preview environment's whole life. It provisions through a child
 * `provisionInstance` run, then watches the VM until the `destroy` update (or a cancellation), the TTL,
 * the VM's loss (replaced up to MAX_REPLACEMENTS times with `onInstanceLost: "replace"`) or a failed
 * provision ends it. Whatever ends it, the VM is terminated before the lease closes. docs/leases.md.
 *
 * An entity workflow: updates drive it (`destroy`, `extend`, `waitReady`), each refused by its
 * validator before it reaches history when it is malformed; the handlers only change state and wait,
 * and the main loop makes every activity call, so no lock is needed between them. It continues as new
 * while it holds a ready VM, before its history grows large, carrying its state.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  condition,
  defineQuery,
  defineUpdate,
  executeChild,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  setCurrentDetails,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InstanceStatus } from '../activities';
import { STATUS_QUERY, type ProvisionResult } from '../common/contract';
import { FailureType, LEASE_ENDED } from '../common/failures';
import { isGone } from '../common/instance-state';
import {
  LeaseUpdate,
  type DestroyRequest,
  type ExtendRequest,
  type ExtendResult,
  type LeaseEnd,
  type LeaseFailure,
  type LeasePhase,
  type LeaseReplacement,
  type LeaseRequest,
  type LeaseResult,
  type LeaseStatus,
} from '../common/lease-contract';
import { checkDestroy, checkExtend, describeLeaseProblems, MAX_REPLACEMENTS, validateLeaseRequest, type LeaseSpec } from '../common/lease-request';
import { nextPollAt } from '../common/poll-ticks';
import { INSTANCE_ID, provisionSummary, STAGELY_ENVIRONMENT } from '../common/visibility';
import { call, callLocal, CLEANUP, LOCAL_POLL } from './activity-profiles';
import { provisionInstance } from './provision-instance';

export const leaseStatusQuery = defineQuery<LeaseStatus>(STATUS_QUERY);
export const destroyUpdate = defineUpdate<LeaseResult, [DestroyRequest]>(LeaseUpdate.destroy);
export const extendUpdate = defineUpdate<ExtendResult, [ExtendRequest]>(LeaseUpdate.extend);
export const waitReadyUpdate = defineUpdate<ProvisionResult, []>(LeaseUpdate.waitReady);

/**
 * A run continues as new once its history has this many events (or the server suggests it): a 30-day
 * lease watching every minute would otherwise write hundreds of thousands.
 */
export const LEASE_HISTORY_LIMIT = 1_000;

/** Consecutive watches that find no such instance before the VM counts as lost (EC2 is eventually consistent). */
const NOT_FOUND_WATCHES = 2;

/** What a lease carries into the run it continues as (its second argument). */
export interface LeaseCarry {
  /** When the lease's first run started (ms since the epoch): extensions are bounded from it. */
  startedAt: number;
  expiresAt: number;
  /** Child provisions started so far: names the next one. */
  provisions: number;
  /** The ready VM the lease holds. */
  instance: ProvisionResult;
  instanceIds: string[];
  replaced: LeaseReplacement[];
  /** The tick of the next watch. */
  nextWatchAt: number;
}

interface LeaseState {
  phase: LeasePhase;
  startedAt: number;
  expiresAt: number;
  provisions: number;
  /** The last VM that became ready. */
  instance?: ProvisionResult;
  /** Whether `instance` may still be running: it is terminated when the lease ends. */
  holding: boolean;
  instanceIds: string[];
  replaced: LeaseReplacement[];
  nextWatchAt?: number;
  /** Set by `destroy` (or a cancellation): the lease is to end as destroyed. */
  destroyRequested?: { reason?: string };
  endedBy?: LeaseEnd;
  failure?: LeaseFailure;
  result?: LeaseResult;
  /** Bumped by `extend`, so a waiting hold re-reads the expiry. */
  extensions: number;
}

type HoldOutcome = { end: 'expired' } | { end: 'continue' } | { lost: string };

export async function vmLease(request: LeaseRequest, carried?: LeaseCarry): Promise<LeaseResult> {
  const checked = validateLeaseRequest(request);
  if (!checked.ok) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidSpec,
      message: describeLeaseProblems(checked.problems),
      nonRetryable: true,
      details: [{ problems: checked.problems }],
    });
  }
  const spec = checked.spec;
  const environment = environmentOf();
  const now = Date.now();
  const state: LeaseState =
    carried === undefined
      ? { phase: 'provisioning', startedAt: now, expiresAt: now + spec.ttlMs, provisions: 0, holding: false, instanceIds: [], replaced: [], extensions: 0 }
      : { phase: 'ready', ...carried, holding: true, extensions: 0 };
  const main = new CancellationScope();
  registerHandlers(state, main);
  showDetails(state, environment);

  let outcome: HoldOutcome | { end: 'lost' | 'failed' } | undefined;
  let cancelled: unknown;
  try {
    outcome = await main.run(() => live(spec, state, environment));
  } catch (error) {
    // A destroy cancels the main scope; a cancellation of the lease reaches it from the root scope.
    if (!isCancellation(error)) throw await tearDownAfter(error, spec, state);
    if (state.destroyRequested === undefined) {
      state.destroyRequested = { reason: 'the lease was cancelled' };
      cancelled = error;
    }
  }

  if (outcome !== undefined && 'end' in outcome && outcome.end === 'continue') {
    // Not while an update is half-way: the next run would not answer it. A destroy ends the lease here.
    await CancellationScope.nonCancellable(() => condition(() => allHandlersFinished() || state.destroyRequested !== undefined));
    if (state.destroyRequested === undefined && CancellationScope.current().consideredCancelled) {
      state.destroyRequested = { reason: 'the lease was cancelled' };
      cancelled = new CancelledFailure('Lease cancelled');
    }
    if (state.destroyRequested === undefined && state.instance !== undefined && state.nextWatchAt !== undefined) {
      const carry: LeaseCarry = {
        startedAt: state.startedAt,
        expiresAt: state.expiresAt,
        provisions: state.provisions,
        instance: state.instance,
        instanceIds: state.instanceIds,
        replaced: state.replaced,
        nextWatchAt: state.nextWatchAt,
      };
      log.info('Continuing as new', { historyLength: workflowInfo().historyLength, instanceId: state.instance.instanceId });
      return makeContinueAsNewFunc<typeof vmLease>({ typedSearchAttributes: workflowInfo().typedSearchAttributes })(request, carry);
    }
  }

  const endedBy: LeaseEnd = state.destroyRequested !== undefined ? 'destroyed' : outcome !== undefined && 'end' in outcome && outcome.end !== 'continue' ? outcome.end : 'lost';
  const result = await CancellationScope.nonCancellable(async () => {
    await tearDown(spec, state);
    return end(state, endedBy);
  });
  // Updates waiting on the end (destroy, waitReady) answer before the run closes.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  if (cancelled !== undefined) throw cancelled;
  return result;
}

/** Provision, hold, and replace when asked: returns how the lease ends (or that it continues as new). */
async function live(spec: LeaseSpec, state: LeaseState, environment: string): Promise<HoldOutcome | { end: 'lost' | 'failed' }> {
  for (;;) {
    if (!state.holding) {
      const provisioned = await provisionVm(spec, state, environment);
      if ('type' in provisioned) {
        state.failure = provisioned;
        log.warn('The lease ends: its provision failed', { ...provisioned });
        return { end: 'failed' };
      }
      state.instance = provisioned;
      state.holding = true;
      state.instanceIds.push(provisioned.instanceId);
      state.phase = 'ready';
      state.nextWatchAt = undefined;
      upsertSearchAttributes([{ key: INSTANCE_ID, value: provisioned.instanceId }]);
      showDetails(state, environment);
      log.info('The lease holds its VM', { instanceId: provisioned.instanceId, expiresAt: new Date(state.expiresAt).toISOString() });
    }
    const held = await hold(spec, state);
    if (!('lost' in held)) return held;

    const lost = state.instance;
    if (lost === undefined) return { end: 'lost' };
    log.warn('The lease lost its VM', { instanceId: lost.instanceId, state: held.lost });
    // A stopped VM still bills its volumes: terminate whatever is left of it.
    await terminate(spec.region, lost.instanceId, 'it was lost');
    state.holding = false;
    if (spec.onInstanceLost !== 'replace' || state.replaced.length >= MAX_REPLACEMENTS) return { end: 'lost' };
    state.replaced.push({ instanceId: lost.instanceId, state: held.lost, at: new Date(Date.now()).toISOString() });
    state.phase = 'replacing';
  }
}

/** A child provision: its result, or its failure's type and message. Cancellation goes through. */
async function provisionVm(spec: LeaseSpec, state: LeaseState, environment: string): Promise<ProvisionResult | LeaseFailure> {
  state.provisions += 1;
  try {
    return await executeChild(provisionInstance, {
      args: [spec.instance],
      workflowId: `${workflowInfo().workflowId}-vm-${state.provisions}`,
      // A destroy during the provision waits for the child to terminate what it launched.
      cancellationType: 'WAIT_CANCELLATION_COMPLETED',
      // A lease terminated mid-provision takes its child with it; the reaper then finds that child's VM.
      parentClosePolicy: 'TERMINATE',
      typedSearchAttributes: [{ key: STAGELY_ENVIRONMENT, value: environment }],
      staticSummary: `${provisionSummary(spec.instance, environment)} (lease ${workflowInfo().workflowId})`,
    });
  } catch (error) {
    if (isCancellation(error) || !(error instanceof ChildWorkflowFailure)) throw error;
    const cause = error.cause;
    return {
      type: cause instanceof ApplicationFailure && cause.type ? cause.type : (cause?.name ?? 'ProvisionFailed'),
      message: cause?.message ?? error.message,
    };
  }
}

/** Watches the held VM on shared ticks until the lease expires, loses it, or should continue as new. */
async function hold(spec: LeaseSpec, state: LeaseState): Promise<HoldOutcome> {
  const instance = state.instance;
  if (instance === undefined) return { lost: 'not-found' };
  const interval = spec.watchIntervalMs;
  let dueAt = state.nextWatchAt ?? nextPollAt(Date.now(), Date.now(), interval);
  let notFound = 0;
  for (;;) {
    state.nextWatchAt = dueAt;
    const now = Date.now();
    if (now >= state.expiresAt) return { end: 'expired' };
    if (now < dueAt) {
      const extensions = state.extensions;
      await condition(() => state.extensions !== extensions, Math.min(dueAt, state.expiresAt) - now);
      continue;
    }
    const seen = await watch(spec.region, instance.instanceId, dueAt, interval);
    if (seen === null) {
      notFound += 1;
      if (notFound >= NOT_FOUND_WATCHES) return { lost: 'not-found' };
    } else if (seen !== undefined) {
      notFound = 0;
      if (isGone(seen.state)) return { lost: seen.state };
    }
    dueAt = nextPollAt(dueAt, Math.max(Date.now(), seen?.checkedAt ?? 0), interval);
    state.nextWatchAt = dueAt;
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= LEASE_HISTORY_LIMIT) return { end: 'continue' };
  }
}

/**
 * One watch, a local activity on the lease's tick so the worker asks EC2 about every lease (and
 * provision) due then in one call. A watch whose retries ran out on a transient error returns
 * undefined: the next tick tries again. Permanent failures and cancellation go through.
 */
async function watch(region: string, instanceId: string, dueAt: number, intervalMs: number): Promise<InstanceStatus | null | undefined> {
  try {
    return await callLocal(LOCAL_POLL, `Watch ${instanceId}`).describeInstance({ region, instanceId, dueAt, intervalMs, watch: true });
  } catch (error) {
    if (isCancellation(error)) throw error;
    const cause = error instanceof ActivityFailure ? error.cause : error;
    if (cause instanceof ApplicationFailure ? cause.nonRetryable : !(cause instanceof TimeoutFailure || error instanceof ActivityFailure)) throw error;
    log.warn('Watch failed after its retries; trying again at the next tick', { instanceId });
    return undefined;
  }
}

/** Terminates the held VM, if any; the activity returns once EC2 reports it shutting down or gone. */
async function tearDown(spec: LeaseSpec, state: LeaseState): Promise<void> {
  state.phase = 'tearing-down';
  if (state.holding && state.instance !== undefined) {
    await terminate(spec.region, state.instance.instanceId, 'the lease ended');
    state.holding = false;
  }
}

/** An unexpected failure in the lease: tear down all the same, then fail with it. */
async function tearDownAfter(error: unknown, spec: LeaseSpec, state: LeaseState): Promise<unknown> {
  try {
    await CancellationScope.nonCancellable(() => tearDown(spec, state));
  } catch (cleanup) {
    log.error('Could not terminate the lease\'s VM; the orphan reaper will', { error: String(cleanup) });
  }
  state.phase = 'ended';
  return error;
}

async function terminate(region: string, instanceId: string, why: string): Promise<void> {
  const result = await call(CLEANUP, `Terminate ${instanceId}: ${why}`).terminateInstance({ region, instanceId });
  log.info('Instance terminated', { instanceId, alreadyGone: result.alreadyGone });
}

function end(state: LeaseState, endedBy: LeaseEnd): LeaseResult {
  const result: LeaseResult = {
    endedBy,
    instance: state.instance ?? null,
    instanceIds: state.instanceIds,
    endedAt: new Date(Date.now()).toISOString(),
    replaced: state.replaced,
  };
  if (state.destroyRequested?.reason !== undefined) result.reason = state.destroyRequested.reason;
  if (state.failure !== undefined) result.failure = state.failure;
  state.endedBy = endedBy;
  state.result = result;
  state.phase = 'ended';
  log.info('The lease ended', { endedBy, instanceIds: state.instanceIds });
  return result;
}

function registerHandlers(state: LeaseState, main: CancellationScope): void {
  setHandler(leaseStatusQuery, () => {
    const status: LeaseStatus = {
      phase: state.phase,
      expiresAt: new Date(state.expiresAt).toISOString(),
      replacements: state.replaced.length,
      replaced: state.replaced,
      instanceIds: state.instanceIds,
    };
    if (state.instance !== undefined) status.instance = state.instance;
    if (state.endedBy !== undefined) status.endedBy = state.endedBy;
    if (state.destroyRequested?.reason !== undefined) status.reason = state.destroyRequested.reason;
    if (state.failure !== undefined) status.failure = state.failure;
    return status;
  });

  setHandler(
    extendUpdate,
    (request) => {
      const checked = checkExtend(request, state.startedAt, Date.now());
      if (!checked.ok) throw invalid(checked.reason);
      state.expiresAt = checked.expiresAt;
      state.extensions += 1;
      showDetails(state, environmentOf());
      log.info('Lease extended', { expiresAt: new Date(state.expiresAt).toISOString() });
      return { expiresAt: new Date(state.expiresAt).toISOString() };
    },
    {
      validator: (request) => {
        if (ending(state)) throw invalid(`The lease is ${state.phase === 'ended' ? 'over' : 'ending'}; it cannot be extended`);
        const checked = checkExtend(request, state.startedAt, Date.now());
        if (!checked.ok) throw invalid(checked.reason);
      },
    },
  );

  setHandler(
    destroyUpdate,
    async (request) => {
      const checked = checkDestroy(request);
      if (!ending(state)) {
        state.destroyRequested = checked.ok ? checked.request : {};
        log.info('Destroy requested', { reason: state.destroyRequested.reason ?? null });
        main.cancel();
      }
      await condition(() => state.result !== undefined);
      return state.result as LeaseResult;
    },
    {
      validator: (request) => {
        const checked = checkDestroy(request);
        if (!checked.ok) throw invalid(checked.reason);
      },
    },
  );

  setHandler(waitReadyUpdate, async () => {
    await condition(() => state.phase === 'ready' || ending(state) || state.failure !== undefined);
    if (state.phase === 'ready' && state.instance !== undefined) return state.instance;
    if (state.failure !== undefined) {
      throw ApplicationFailure.create({ type: state.failure.type, message: state.failure.message, nonRetryable: true });
    }
    await condition(() => state.endedBy !== undefined);
    throw ApplicationFailure.create({
      type: LEASE_ENDED,
      message: `The lease ended (${state.endedBy ?? 'destroyed'}) before it had a ready VM`,
      nonRetryable: true,
    });
  });
}

/** A destroy was asked for, or the lease is tearing down or over. */
function ending(state: LeaseState): boolean {
  return state.destroyRequested !== undefined || state.phase === 'tearing-down' || state.phase === 'ended';
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidSpec, message, nonRetryable: true });
}

/** The environment this lease is for: set at start, or the workflow ID (set here) when a caller did not. */
function environmentOf(): string {
  const set = workflowInfo().typedSearchAttributes.get(STAGELY_ENVIRONMENT);
  if (set !== undefined) return set;
  const workflowId = workflowInfo().workflowId;
  upsertSearchAttributes([{ key: STAGELY_ENVIRONMENT, value: workflowId }]);
  return workflowId;
}

/** The Web UI's current details: the environment, the VM and the expiry, which `extend` moves. */
function showDetails(state: LeaseState, environment: string): void {
  const vm = state.holding && state.instance !== undefined ? state.instance.instanceId : 'no VM yet';
  setCurrentDetails(`Lease for ${environment}: ${vm}, expires ${new Date(state.expiresAt).toISOString()}`);
}
