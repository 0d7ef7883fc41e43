/**
 * What each scenario reports: one result per run, tagged with its scenario, as the table prints it
 * and the results JSON stores it.
 */
import type { Mode } from './modes';

export type Scenario = 'burst' | 'restart' | 'single';

/** One worker process's part in a run. */
export interface WorkerReport {
  index: number;
  pid: number;
  peakRssMb: number;
  cpuSeconds: number;
  /** Its share of the workflow tasks completed in the run's histories (WorkflowTaskCompleted identity). */
  workflowTaskShare: number;
  /** Its share of the activity tasks started (ActivityTaskStarted identity); polls run as local activities and are not among them. */
  activityTaskShare: number;
}

interface Common {
  scenario: Scenario;
  n: number;
  mode: Mode;
  workers: WorkerReport[];
}

/** N provisions started at once. */
export interface BurstResult extends Common {
  scenario: 'burst';
  wallSeconds: number;
  provisionsPerSecond: number;
  /** From the moment EC2 showed the public IP to the run's completion. */
  latencyFromIpMs: { p50: number; p99: number; max: number };
  /**
   * The same for IPs that appeared after the last launch: polling alone, without a burst of launches
   * competing for the machine (on this machine, for moto's single Python process).
   */
  latencyAfterLaunchesMs: { count: number; p50: number; p99: number };
  /** The latency in two parts: IP visible -> a DescribeInstances answer first carried it (the wait for a poll)... */
  ipToSeenMs: { p50: number; p99: number };
  /** ...and that answer -> the run completed (the worker, the workflow task and the server). */
  seenToCompletedMs: { p50: number; p99: number };
  describeCalls: number;
  /** How long the EC2 stand-in (moto) took to answer DescribeInstances: part of every poll's latency. */
  describeAnswerMs: { p50: number; p99: number };
  describeCallsPerInstance: number;
  /** DescribeInstances calls (every worker's) divided by the polls the workflows made (one poll = one tick). */
  describeCallsPerPoll: number;
  ec2Calls: number;
  throttledCalls: number;
  throttledShare: number;
  failedRuns: number;
  historyEventsPerProvision: number;
  activitiesPerPollRound: number;
  timersPerPollRound: number;
  billableActionsPerProvision: number;
  /** The largest of the workers' peaks (each worker's is in `workers`). */
  workerPeakRssMb: number;
  /** Every worker's CPU together. */
  workerCpuSecondsPerProvision: number;
  /**
   * The rest of the machine, which shares its two cores with the workers: the Temporal dev server,
   * moto (the EC2 stand-in) and this process (the realism layer and the client waiting on results).
   */
  otherCpuSecondsPerProvision: { server: number; moto: number; harness: number };
}

/** N runs waiting for their IPs when their worker is killed and another one starts. */
export interface RestartResult extends Common {
  scenario: 'restart';
  /** Runs that had launched and polled once when the worker was killed (N, unless that took too long). */
  polledAtKill: number;
  /** Runs still waiting for an IP when the worker was killed. */
  waitingAtKill: number;
  /** From the new worker's spawn to its "Worker ready" line: the part of the wait below that is start-up. */
  workerReadyMs: number;
  /** From the new worker's spawn until every waiting run had polled again (its instance was in a DescribeInstances answer). */
  allPolledAgainMs: number;
  /** The same per run. */
  polledAgainMs: { p50: number; p99: number; max: number };
  /** Instances with the project's tags in moto, whatever their state. */
  instancesLaunched: number;
  /** Instances beyond the first that one run launched, and results that name an instance another run named. */
  instancesDoubled: number;
  /** Instances running that no successful run returned. */
  instancesLeft: number;
  /** Runs that did not succeed. */
  runsLost: number;
  wallSeconds: number;
}

/** Start -> result of one provision, with the parts of it the realism layer and the history can time. */
export interface SingleSide {
  startToResultMs: { p50: number; p99: number; max: number };
  /** Start -> RunInstances answered. */
  startToLaunchedMs: { p50: number; p99: number };
  /** RunInstances answered -> the first DescribeInstances answer that carried the instance. */
  launchToFirstPollMs: { p50: number; p99: number };
  /** IP visible -> the first DescribeInstances answer that carried it. */
  ipToSeenMs: { p50: number; p99: number };
  /** That answer -> the caller has the result. */
  seenToResultMs: { p50: number; p99: number };
  failedRuns: number;
}

/** N provisions one after another, each beside one made by a plain AWS SDK script (bench/plain-provision.ts). */
export interface SingleResult extends Common {
  scenario: 'single';
  provisioner: SingleSide & {
    /** Parts of start -> launched from the history: start -> the launch activity started, and its duration. */
    startToLaunchActivityMs: { p50: number; p99: number };
    launchActivityMs: { p50: number; p99: number };
    /** The workflow's close on the server -> the client's result() returned. */
    closeToResultMs: { p50: number; p99: number };
  };
  plain: SingleSide;
  /** p50 start -> result, provisioner / plain (target <= 1.10). */
  p50Ratio: number;
}

export type RunResult = BurstResult | RestartResult | SingleResult;
