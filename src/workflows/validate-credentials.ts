import type { CredentialsCheck, CredentialsRequest } from '../common/contract';
import { call, POLL } from './activity-profiles';

/**
 * Checks the worker's AWS credentials without launching anything, in `region` (default: the worker's). Fails with InvalidCredentials when
 * AWS rejects them; network trouble is retried and, if it lasts, surfaces as a timeout, not as bad credentials.
 */
export async function validateCredentials(input?: CredentialsRequest): Promise<CredentialsCheck> {
  return call(POLL, `Check the worker's AWS credentials with DescribeRegions in ${input?.region ?? 'its region'}`).validateCredentials(input?.region);
}
