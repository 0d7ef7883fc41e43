import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import type { CredentialsCheck } from '../common/contract';
import type { AwsClients } from './aws-clients';
import { abortSignal } from './cancellation-and-heartbeats';
import { toApplicationFailure } from './ec2-errors';

/**
 * Proves the worker's credentials work with the cheapest signed call EC2 has (DescribeRegions).
 * Only EC2's rejection means bad credentials (InvalidCredentials); a network error stays a retryable
 * Ec2Unreachable and a failed credential fetch a retryable CredentialsUnavailable, so an outage is
 * never reported as a credentials problem.
 */
export async function validateCredentials(clients: AwsClients, region: string): Promise<CredentialsCheck> {
  try {
    const output = await clients.ec2(region).send(new DescribeRegionsCommand({}), { abortSignal: abortSignal() });
    return { region, regionCount: output.Regions?.length ?? 0 };
  } catch (error) {
    throw toApplicationFailure(error, `DescribeRegions in ${region}`);
  }
}
