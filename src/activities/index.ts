/**
 * The EC2 activities, bound to one EC2 client that the worker builds once.
 *
 * Workflows import only the type: `proxyActivities<Activities>()`.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { describeInstance } from './describe-instance';
import { runInstances, type LaunchRequest } from './run-instances';
import { terminateInstance } from './terminate-instance';
import { validateCredentials } from './validate-credentials';

export type { InstanceStatus } from './describe-instance';
export type { LaunchedInstance, LaunchRequest } from './run-instances';
export type { TerminationResult } from './terminate-instance';

export function createActivities(ec2: EC2Client) {
  return {
    runInstances: (request: LaunchRequest) => runInstances(ec2, request),
    describeInstance: (instanceId: string) => describeInstance(ec2, instanceId),
    terminateInstance: (instanceId: string) => terminateInstance(ec2, instanceId),
    validateCredentials: () => validateCredentials(ec2),
  };
}

export type Activities = ReturnType<typeof createActivities>;
