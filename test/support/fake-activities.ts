/**
 * Fake AWS activities for workflow tests: typed like the real ones, scripted per test, and recording
 * every call so tests can assert what the workflow asked for.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AdmissionAnswer } from '../../src/common/admission';
import type { Activities, ImageRequest, InstanceRef, InstanceStatus, LaunchRequest, ProbeOutcome, ResolvedImage, StatusChecks } from '../../src/activities';

export interface FakeActivityScript {
  /** What each describe call returns (1-based call number and the instance asked about). May throw. */
  describe?: (call: number, instanceId: string) => InstanceStatus | null;
  /** Launch behaviour; the default launches INSTANCE_ID, then INSTANCE_ID_2, ... */
  launch?: (request: LaunchRequest, call: number) => Promise<{ instanceId: string; launchedAt?: string }>;
  terminate?: (ref: InstanceRef) => Promise<{ instanceId: string; alreadyGone: boolean }>;
  /** The unknown-outcome sweep; the default finds nothing. */
  sweep?: (clientToken: string) => Promise<string[]>;
  image?: (request: ImageRequest) => Promise<ResolvedImage>;
  /** What each readiness status read returns (1-based call number); the default: both checks ok. */
  statusChecks?: (call: number, instanceId: string) => StatusChecks | null;
  /** What each readiness TCP attempt returns (1-based); the default: accepted. */
  probe?: (call: number) => ProbeOutcome;
  /** The start line's answer to each join (1-based); the default: admitted at once. */
  admission?: (call: number) => AdmissionAnswer;
}

export interface FakeActivityCalls {
  images: ImageRequest[];
  launched: LaunchRequest[];
  described: string[];
  terminated: string[];
  /** Client tokens of launches the workflow swept after an unknown outcome. */
  swept: string[];
  /** Instances whose status checks were read, one entry per read. */
  statusRead: string[];
  /** host:port of each TCP attempt. */
  probed: string[];
  /** Workflow IDs of the runs that joined the start line, one entry per join. */
  joinedLine: string[];
}

/** The activities a provision uses. */
export type ProvisionActivities = Pick<
  Activities,
  'joinStartLine' | 'resolveImage' | 'runInstances' | 'describeInstance' | 'terminateInstance' | 'terminateLaunchedBy' | 'validateCredentials' | 'describeInstanceStatus' | 'probeTcp' | 'consoleOutputTail'
>;

export const INSTANCE_ID = 'i-0fa1e5ca1ab1ec0de';
export const LAUNCHED_AT = '2026-11-25T12:00:00.000Z';

/** The instance id of the n-th successful fake launch (1-based). */
export function instanceIdOf(n: number): string {
  return n === 1 ? INSTANCE_ID : `i-0fa1e5ca1ab1ec0d${n}`;
}

export function pending(instanceId = INSTANCE_ID): InstanceStatus {
  return { instanceId, state: 'pending', spot: false };
}

export function ready(publicIp = '203.0.113.10', instanceId = INSTANCE_ID): InstanceStatus {
  return { instanceId, state: 'running', publicIp, privateIp: '10.0.0.10', launchedAt: LAUNCHED_AT, spot: false };
}

/** What the fake resolveImage answers by default: the static table's image, as on AWS without SSM. */
export function staticImage(request: ImageRequest): ResolvedImage {
  const imageId = request.architecture === 'arm64' ? 'ami-0c7a8e3f05e4e5f0c' : 'ami-0c7217cdde317cfec';
  return { imageId, source: 'static', rootDeviceName: '/dev/sda1' };
}

export function fakeActivities(script: FakeActivityScript = {}): { activities: ProvisionActivities; calls: FakeActivityCalls } {
  const calls: FakeActivityCalls = { images: [], launched: [], described: [], terminated: [], swept: [], statusRead: [], probed: [], joinedLine: [] };
  let launches = 0;
  const activities: ProvisionActivities = {
    async joinStartLine() {
      calls.joinedLine.push(Context.current().info.workflowExecution?.workflowId ?? '');
      return script.admission ? script.admission(calls.joinedLine.length) : { admitted: true };
    },
    async resolveImage(request) {
      calls.images.push(request);
      return script.image ? script.image(request) : staticImage(request);
    },
    async runInstances(request) {
      calls.launched.push(request);
      if (script.launch) return script.launch(request, calls.launched.length);
      launches += 1;
      return { instanceId: instanceIdOf(launches), launchedAt: LAUNCHED_AT };
    },
    async describeInstance({ instanceId }) {
      calls.described.push(instanceId);
      return script.describe ? script.describe(calls.described.length, instanceId) : ready(undefined, instanceId);
    },
    async terminateInstance(ref) {
      calls.terminated.push(ref.instanceId);
      return script.terminate ? script.terminate(ref) : { instanceId: ref.instanceId, alreadyGone: false };
    },
    async terminateLaunchedBy({ clientToken }) {
      calls.swept.push(clientToken);
      return script.sweep ? script.sweep(clientToken) : [];
    },
    async validateCredentials(region) {
      return { region: region ?? 'us-east-1', regionCount: 17 };
    },
    async describeInstanceStatus({ instanceId }) {
      calls.statusRead.push(instanceId);
      const ok: StatusChecks = { instanceId, state: 'running', instance: 'ok', system: 'ok', checkedAt: Date.now() };
      return script.statusChecks ? script.statusChecks(calls.statusRead.length, instanceId) : ok;
    },
    async probeTcp({ host, port }) {
      calls.probed.push(`${host}:${port}`);
      return script.probe ? script.probe(calls.probed.length) : { accepted: true };
    },
    async consoleOutputTail() {
      return { tail: 'cloud-init[812]: Failed to run module scripts-user\n' };
    },
  };
  return { activities, calls };
}

/**
 * What the real runInstances throws when AWS has no capacity: the failure toApplicationFailure makes
 * of such an AWS error (non-retryable, the AWS code in its details).
 */
export function capacityError(awsErrorCode = 'InsufficientInstanceCapacity', activityAttempt?: number): ApplicationFailure {
  const type = awsErrorCode === 'MaxSpotInstanceCountExceeded' ? 'QuotaExceeded' : 'InsufficientCapacity';
  return ApplicationFailure.create({
    type,
    message: `${awsErrorCode}: no capacity`,
    nonRetryable: true,
    details: [{ awsErrorCode, ...(activityAttempt !== undefined && { activityAttempt }) }],
  });
}

/**
 * What the real runInstances throws when EC2 does not offer the type there: `Unsupported` in the
 * subnet's zone, or an unknown type in the region (EC2's generic code, naming the parameter).
 */
export function notOfferedError(instanceType: string, awsErrorCode: 'Unsupported' | 'InvalidParameterValue' = 'Unsupported'): ApplicationFailure {
  const awsMessage =
    awsErrorCode === 'Unsupported'
      ? `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone.`
      : `Invalid value '${instanceType}' for InstanceType.`;
  return ApplicationFailure.create({
    type: 'InvalidConfiguration',
    message: `RunInstances ${instanceType} failed: ${awsErrorCode}: ${awsMessage}`,
    nonRetryable: true,
    details: [{ awsErrorCode }],
  });
}
