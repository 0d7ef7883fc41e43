import type { EC2Client } from '@aws-sdk/client-ec2';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../common/failures';

/** The activity's cancellation signal, so a cancelled or timed-out attempt stops its HTTP call. */
export function abortSignal(): AbortSignal {
  return Context.current().cancellationSignal;
}

export async function clientRegion(ec2: EC2Client): Promise<string> {
  return ec2.config.region();
}

/**
 * The worker holds one EC2 client for one region. A request for another region must fail loudly:
 * launching it in the worker's region would put the VM (and its bill) somewhere nobody looks.
 */
export async function assertRegion(ec2: EC2Client, region: string): Promise<void> {
  const workerRegion = await clientRegion(ec2);
  if (workerRegion !== region) {
    throw ApplicationFailure.nonRetryable(
      `The request asks for region ${region} but this worker's EC2 client is for ${workerRegion}. Run a worker with AWS_REGION=${region} on this task queue, or omit region.`,
      FailureType.InvalidConfiguration,
    );
  }
}
