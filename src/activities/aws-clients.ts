import { EC2Client } from '@aws-sdk/client-ec2';
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

/**
 * Clients with the SDK's defaults: credentials from the default chain (environment, profile, SSO,
 * instance or task role), endpoints from AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL.
 * With a budget, each region's EC2 client spends calls from its own token buckets.
 */
export function regionalClients(budget?: Ec2Budget): AwsClients & { destroy(): void } {
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
        const client = new EC2Client({ region });
        if (budget !== undefined) applyBudget(client, budget);
        return client;
      }),
    ssm: (region) => cached(ssm, region, () => new SSMClient({ region })),
    destroy: () => {
      for (const client of [...ec2.values(), ...ssm.values()]) client.destroy();
      ec2.clear();
      ssm.clear();
    },
  };
}
