/**
 * Fake EC2 activities for workflow tests: typed like the real ones, scripted per test, and recording
 * every call so tests can assert what the workflow asked for.
 */
import type { Activities, InstanceStatus, LaunchRequest } from '../../src/activities';

export interface FakeEc2Script {
  /** What each describe call returns, in order; the last entry repeats. A function may throw. */
  describe?: (call: number) => InstanceStatus | null;
  launch?: (request: LaunchRequest) => Promise<{ instanceId: string; launchedAt?: string }>;
  terminate?: (instanceId: string) => Promise<{ instanceId: string; alreadyGone: boolean }>;
}

export interface FakeEc2Calls {
  launched: LaunchRequest[];
  described: string[];
  terminated: string[];
}

export const INSTANCE_ID = 'i-0fa1e5ca1ab1ec0de';
export const LAUNCHED_AT = '2026-11-25T12:00:00.000Z';

export function pending(): InstanceStatus {
  return { instanceId: INSTANCE_ID, state: 'pending', spot: false };
}

export function ready(publicIp = '203.0.113.10'): InstanceStatus {
  return { instanceId: INSTANCE_ID, state: 'running', publicIp, privateIp: '10.0.0.10', launchedAt: LAUNCHED_AT, spot: false };
}

export function fakeEc2(script: FakeEc2Script = {}): { activities: Activities; calls: FakeEc2Calls } {
  const calls: FakeEc2Calls = { launched: [], described: [], terminated: [] };
  const activities: Activities = {
    async runInstances(request) {
      calls.launched.push(request);
      return script.launch ? script.launch(request) : { instanceId: INSTANCE_ID, launchedAt: LAUNCHED_AT };
    },
    async describeInstance(instanceId) {
      calls.described.push(instanceId);
      return script.describe ? script.describe(calls.described.length) : ready();
    },
    async terminateInstance(instanceId) {
      calls.terminated.push(instanceId);
      return script.terminate ? script.terminate(instanceId) : { instanceId, alreadyGone: false };
    },
    async validateCredentials() {
      return { region: 'us-east-1', regionCount: 17 };
    },
  };
  return { activities, calls };
}
