/**
 * The yardstick for the single-provision scenario: what a careful plain script does without Temporal.
 * Resolve the Ubuntu image from its SSM parameter, RunInstances once (with a ClientToken, so a retried
 * call cannot launch twice, and tags), then DescribeInstances every 5 s until the instance has a public
 * IP. It terminates nothing: the provisioner's runs keep their VMs too.
 */
import { randomUUID } from 'node:crypto';
import { DescribeInstancesCommand, RunInstancesCommand, type EC2Client, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

export interface PlainRequest {
  instanceType: string;
  /** An SSM parameter holding the image ID, as Canonical publishes Ubuntu's. */
  imageParameter: string;
  tags: Record<string, string>;
  /** @default 5000 */
  pollIntervalMs?: number;
  /** Give up after this long. @default 600000 */
  timeoutMs?: number;
}

export interface PlainResult {
  instanceId: string;
  publicIp: string;
}

export async function plainProvision(ec2: EC2Client, ssm: SSMClient, request: PlainRequest): Promise<PlainResult> {
  const pollIntervalMs = request.pollIntervalMs ?? 5_000;
  const deadline = Date.now() + (request.timeoutMs ?? 600_000);
  const parameter = await ssm.send(new GetParameterCommand({ Name: request.imageParameter }));
  const imageId = parameter.Parameter?.Value;
  if (!imageId) throw new Error(`SSM parameter ${request.imageParameter} has no value`);
  const tags = Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value }));
  const launched = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: request.instanceType as RunInstancesCommandInput['InstanceType'],
      MinCount: 1,
      MaxCount: 1,
      ClientToken: randomUUID(),
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
    }),
  );
  const instanceId = launched.Instances?.[0]?.InstanceId;
  if (!instanceId) throw new Error('RunInstances answered without an instance');
  for (;;) {
    await new Promise((r) => setTimeout(r, pollIntervalMs));
    try {
      const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = described.Reservations?.[0]?.Instances?.[0];
      if (instance?.PublicIpAddress) return { instanceId, publicIp: instance.PublicIpAddress };
      const state = instance?.State?.Name;
      if (state === 'terminated' || state === 'shutting-down') throw new Error(`${instanceId} is ${state}`);
    } catch (error) {
      // EC2 is eventually consistent: a new instance may be unknown to DescribeInstances for a moment.
      if ((error as { name?: string }).name !== 'InvalidInstanceID.NotFound') throw error;
    }
    if (Date.now() > deadline) throw new Error(`${instanceId} had no public IP in time`);
  }
}
