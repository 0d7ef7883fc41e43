import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CredentialsCheck } from '../common/contract';

const { validateCredentials: checkCredentials } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
});

/**
 * Checks the worker's AWS credentials without launching anything, in `region` (default: the worker's). Fails with InvalidCredentials when
 * AWS rejects them; network trouble is retried and, if it lasts, surfaces as a timeout, not as bad credentials.
 */
export async function validateCredentials(input?: { region?: string }): Promise<CredentialsCheck> {
  return checkCredentials(input?.region);
}
