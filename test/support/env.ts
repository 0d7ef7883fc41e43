/** Reading what the global setups started, and small helpers the suites share. */
import { randomUUID } from 'node:crypto';
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../../src/activities';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run this suite through jest (its global setup sets it)`);
  return value;
}

export const motoEndpoint = (): string => requireEnv('STAGELY_TEST_MOTO_ENDPOINT');

/** An EC2 client for moto, built the way the worker builds one: region and endpoint from the environment. */
export function motoEc2Client(endpoint = motoEndpoint(), credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }): EC2Client {
  return new EC2Client({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });
}

const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * Per-region clients for the activities, all sent to one endpoint (moto, or a fault proxy in front of
 * it), recording which regions were asked for. SDK retries are off so tests see each call, unless
 * `sdkRetries` keeps the SDK's defaults (3 attempts), as the worker has them.
 */
export function endpointClients(endpoint = motoEndpoint(), options: { sdkRetries?: boolean } = {}): AwsClients & { regions: string[]; destroy(): void } {
  const maxAttempts = options.sdkRetries ? 3 : 1;
  const ec2 = new Map<string, EC2Client>();
  const ssm = new Map<string, SSMClient>();
  const regions: string[] = [];
  const get = <C>(map: Map<string, C>, region: string, make: () => C): C => {
    regions.push(region);
    const client = map.get(region) ?? make();
    map.set(region, client);
    return client;
  };
  return {
    regions,
    ec2: (region) => get(ec2, region, () => new EC2Client({ region, endpoint, credentials: TEST_CREDENTIALS, maxAttempts })),
    ssm: (region) => get(ssm, region, () => new SSMClient({ region, endpoint, credentials: TEST_CREDENTIALS, maxAttempts })),
    destroy: () => [...ec2.values(), ...ssm.values()].forEach((c) => c.destroy()),
  };
}

/** A name nobody else in this run uses: task queues, workflow IDs, tag values. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Every instance moto knows that carries the tag, with its state, as moto sees it. */
export async function instancesTagged(ec2: EC2Client, key: string, value: string): Promise<Instance[]> {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${key}`, Values: [value] }] }));
  return out.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
}

export function isRunningOrPending(instance: Instance): boolean {
  return instance.State?.Name === 'running' || instance.State?.Name === 'pending';
}
