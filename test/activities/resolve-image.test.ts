/**
 * resolveImage against moto's SSM and EC2 over HTTP. moto does not ship Canonical's public parameters
 * and refuses writes under /aws/, so the parameter tests use a custom path, as an operator with
 * golden images would; moto's image catalogue is tools/moto/amis.json.
 */
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ApplicationFailure } from '@temporalio/common';
import { freePort } from '../../tools/local-stack';
import { createActivities, type AwsClients } from '../../src/activities';
import { runActivity } from '../support/activity-env';
import { startEc2FaultProxy } from '../../tools/ec2-fault-proxy';
import { endpointClients, motoEndpoint, uniqueName } from '../support/env';

const ssm = new SSMClient({ region: 'eu-west-1', endpoint: motoEndpoint(), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const clients = endpointClients();

afterAll(() => {
  ssm.destroy();
  clients.destroy();
});

/** A fresh parameter template with the golden arm64 image under it, in eu-west-1. */
async function goldenParameter(): Promise<string> {
  const template = `/stagely/${uniqueName('images')}/{arch}`;
  await ssm.send(new PutParameterCommand({ Name: template.replace('{arch}', 'arm64'), Value: 'ami-0ffeec0ffeec0ffee', Type: 'String', DataType: 'aws:ec2:image' }));
  return template;
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

/** EC2 through moto, SSM somewhere nothing listens. */
async function unreachableSsm(): Promise<AwsClients & { destroy(): void }> {
  const dead = endpointClients(`http://127.0.0.1:${await freePort()}`);
  return { ec2: clients.ec2, ssm: dead.ssm, destroy: dead.destroy };
}

describe('resolveImage', () => {
  it('reads a custom SSM parameter and learns the root device from DescribeImages', async () => {
    const imageParameter = await goldenParameter();
    const { resolveImage } = createActivities({ clients, imageParameter });

    await expect(runActivity(resolveImage, { region: 'eu-west-1', architecture: 'arm64' })).resolves.toEqual({
      imageId: 'ami-0ffeec0ffeec0ffee',
      source: 'parameter',
      parameter: imageParameter.replace('{arch}', 'arm64'),
      rootDeviceName: '/dev/xvda',
    });
  });

  it('falls back to the static table when the parameter does not exist', async () => {
    const { resolveImage } = createActivities({ clients, imageParameter: `/stagely/${uniqueName('missing')}/{arch}` });
    await expect(runActivity(resolveImage, { region: 'us-east-1', architecture: 'amd64' })).resolves.toMatchObject({
      imageId: 'ami-0c7217cdde317cfec',
      source: 'static',
      rootDeviceName: '/dev/sda1',
    });
  });

  it("falls back to the static table when SSM cannot be reached (Canonical's parameter by default)", async () => {
    const broken = await unreachableSsm();
    const { resolveImage } = createActivities({ clients: broken });
    await expect(runActivity(resolveImage, { region: 'us-east-1', architecture: 'arm64' })).resolves.toEqual({
      imageId: 'ami-0c7a8e3f05e4e5f0c',
      source: 'static',
      parameter: '/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id',
      rootDeviceName: '/dev/sda1',
    });
    broken.destroy();
  });

  it('fails with InvalidConfiguration naming the parameter when a region has no parameter and no static image', async () => {
    const { resolveImage } = createActivities({ clients });
    const failure = await failureOf(runActivity(resolveImage, { region: 'ap-southeast-2', architecture: 'amd64' }));
    expect(failure.type).toBe('InvalidConfiguration');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id');
    expect(failure.message).toContain('ap-southeast-2');
  });

  it('keeps a transient SSM failure retryable when there is no static image to fall back to', async () => {
    const broken = await unreachableSsm();
    const failure = await failureOf(runActivity(createActivities({ clients: broken }).resolveImage, { region: 'eu-west-1', architecture: 'amd64' }));
    expect(failure.type).toBe('InvalidConfiguration');
    expect(failure.nonRetryable).toBe(false);
    broken.destroy();
  });

  it("uses the request's own image without reading SSM", async () => {
    const broken = await unreachableSsm();
    await expect(
      runActivity(createActivities({ clients: broken }).resolveImage, { region: 'eu-west-1', architecture: 'arm64', imageId: 'ami-0ffeec0ffeec0ffee' }),
    ).resolves.toEqual({ imageId: 'ami-0ffeec0ffeec0ffee', source: 'request', rootDeviceName: '/dev/xvda' });
    broken.destroy();
  });

  it.each([
    ['an image that does not exist', 'ami-0123456789abcdef0', 'arm64', 'does not exist in us-east-1'],
    ['an image for the other architecture', 'ami-0c7217cdde317cfec', 'arm64', 'is built for x86_64, but the request is for arm64'],
  ] as const)('refuses %s with InvalidConfiguration', async (_label, imageId, architecture, message) => {
    const failure = await failureOf(runActivity(createActivities({ clients }).resolveImage, { region: 'us-east-1', architecture, imageId }));
    expect(failure.type).toBe('InvalidConfiguration');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(message);
  });

  it('reuses a resolution within the cache time and reads SSM again without a cache', async () => {
    const imageParameter = await goldenParameter();
    const cached = createActivities({ clients, imageParameter });
    const uncached = createActivities({ clients, imageParameter, imageCacheTtlMs: 0 });
    const request = { region: 'eu-west-1', architecture: 'arm64' } as const;
    await runActivity(cached.resolveImage, request);
    await runActivity(uncached.resolveImage, request);

    await ssm.send(new DeleteParameterCommand({ Name: imageParameter.replace('{arch}', 'arm64') }));

    await expect(runActivity(cached.resolveImage, request)).resolves.toMatchObject({ imageId: 'ami-0ffeec0ffeec0ffee', source: 'parameter' });
    const failure = await failureOf(runActivity(uncached.resolveImage, request));
    expect(failure.message).toContain('ParameterNotFound');
  });

  it('shares one lookup among concurrent requests, even a static fallback (one SSM and one DescribeImages call for 25 starts)', async () => {
    const proxy = await startEc2FaultProxy(motoEndpoint());
    const proxied = endpointClients(proxy.endpoint);
    try {
      // A parameter that does not exist: every request falls back to the static table, which is not cached.
      const activities = createActivities({ clients: proxied, imageParameter: `/stagely/${uniqueName('missing')}/{arch}` });
      const request = { region: 'us-east-1', architecture: 'amd64' } as const;
      const images = await Promise.all(Array.from({ length: 25 }, () => runActivity(activities.resolveImage, request)));

      expect(new Set(images.map((i) => `${i.imageId} ${i.source}`))).toEqual(new Set(['ami-0c7217cdde317cfec static']));
      expect(proxy.requests.filter((r) => r.action === 'DescribeImages')).toHaveLength(1);
      expect(proxy.requests.filter((r) => r.action === '')).toHaveLength(1); // SSM's JSON protocol has no Action field
      // Not cached: the next request (after the burst) reads SSM again.
      await runActivity(activities.resolveImage, request);
      expect(proxy.requests.filter((r) => r.action === 'DescribeImages')).toHaveLength(2);
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
});
