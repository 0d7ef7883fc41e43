import { EC2Client } from '@aws-sdk/client-ec2';
import { DEFAULT_REGION } from './common/images';

/**
 * Builds the worker's one EC2 client. Credentials come from the SDK's default chain (environment,
 * shared profile, SSO, instance or task role) and are never read or logged here. The endpoint comes
 * from the SDK's standard AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL, which is how tests reach moto.
 * The region comes from AWS_REGION / the profile; without one, the contract's default region.
 */
export async function createEc2Client(): Promise<EC2Client> {
  const client = new EC2Client({});
  try {
    await client.config.region();
    return client;
  } catch {
    client.destroy();
    return new EC2Client({ region: DEFAULT_REGION });
  }
}

/** Where the client sends requests, for the start-up log line (never includes credentials). */
export async function describeEndpoint(client: EC2Client): Promise<string> {
  const region = await client.config.region();
  const custom = process.env.AWS_ENDPOINT_URL_EC2 ?? process.env.AWS_ENDPOINT_URL;
  return custom ? `${custom} (region ${region})` : `AWS EC2 in ${region}`;
}
