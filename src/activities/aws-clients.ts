import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { applyBudget, type Ec2Budget } from './ec2-budget';

/**
 * The AWS clients activities use, one per region. The worker builds each the first time a region is
 * asked for and keeps it; tests hand in their own (pointed at moto, or through a fault proxy).
 */
export interface AwsClients {
  ec2(region: string): EC2Client;
  ssm(region: string): SSMClient;
}

/** How long one AWS HTTP request may take to connect, and then to be answered, unless configured. */
export const DEFAULT_AWS_TIMEOUT_MS = 30_000;

export interface ClientOptions {
  /** Each region's EC2 client spends calls from its own token buckets. @default no budget */
  budget?: Ec2Budget;
  /** Connection and request time-out of every HTTP request (STAGELY_EC2_TIMEOUT). @default 30 s */
  timeoutMs?: number;
  /** Passed to every client as it is (tests: an endpoint, credentials, attempts). @default the SDK's */
  config?: Pick<EC2ClientConfig, 'endpoint' | 'credentials' | 'maxAttempts'>;
}

/**
 * The time-outs every AWS HTTP request gets. Without them the SDK waits on a connection that never
 * answers for as long as the OS keeps the socket, holding a batch of polls (and their workflow
 * tasks) with it. A request over time fails with TimeoutError, which the SDK retries and
 * ec2-errors.ts classes as Ec2Unreachable.
 */
function requestTimeouts(timeoutMs: number): Pick<EC2ClientConfig, 'requestHandler'> {
  return { requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true } };
}

/**
 * Clients with the SDK's defaults: credentials from the default chain (environment, profile, SSO,
 * instance or task role), endpoints from AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL,
 * attempts from AWS_MAX_ATTEMPTS / AWS_RETRY_MODE (docs/retries.md), plus time-outs on every request.
 */
export function regionalClients(options: ClientOptions = {}): AwsClients & { destroy(): void } {
  const { budget, timeoutMs = DEFAULT_AWS_TIMEOUT_MS, config = {} } = options;
  const ec2 = new Map<string, EC2Client>();
  const ssm = new Map<string, SSMClient>();
  const cached = <C>(map: Map<string, C>, region: string, make: () => C): C => {
    let client = map.get(region);
    if (client === undefined) {
      client = make();
      map.set(region, client);
    }
    return client;
  };
  return {
    ec2: (region) =>
      cached(ec2, region, () => {
        const client = new EC2Client({ region, ...config, ...requestTimeouts(timeoutMs) });
        if (budget !== undefined) applyBudget(client, budget);
        return client;
      }),
    ssm: (region) => cached(ssm, region, () => new SSMClient({ region, ...config, ...requestTimeouts(timeoutMs) })),
    destroy: () => {
      for (const client of [...ec2.values(), ...ssm.values()]) client.destroy();
      ec2.clear();
      ssm.clear();
    },
  };
}
