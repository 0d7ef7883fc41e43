/**
 * runInstances / describeInstance / terminateInstance against moto's EC2 API over HTTP: the requests
 * the activities send, as moto recorded them.
 */
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type LaunchRequest } from '../../src/activities';
import { runActivity } from '../support/activity-env';
import { endpointClients, motoEc2Client, uniqueName } from '../support/env';

const ec2 = motoEc2Client();
const clients = endpointClients();
const activities = createActivities({ clients });
const at = (instanceId: string) => ({ region: 'us-east-1', instanceId });

function launchRequest(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    region: 'us-east-1',
    instanceType: 't4g.small',
    imageId: 'ami-0c7a8e3f05e4e5f0c',
    rootDeviceName: '/dev/sda1',
    rootVolumeGiB: 20,
    spot: false,
    tags: { Name: 'stagely-vm', team: 'previews' },
    clientToken: uniqueName('token'),
    ...overrides,
  };
}

async function motoView(instanceId: string): Promise<Instance> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`moto does not know ${instanceId}`);
  return instance;
}

async function expectFailure(promise: Promise<unknown>, type: string, nonRetryable: boolean): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  const failure = error as ApplicationFailure;
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(nonRetryable);
  return failure;
}

afterAll(() => {
  ec2.destroy();
  clients.destroy();
});

describe('runInstances', () => {
  it('launches the requested type and image with the tags and base64 user data', async () => {
    const userData = '#!/bin/bash\necho "hello from stagely" > /tmp/hello\n';
    const launched = await runActivity(activities.runInstances, launchRequest({ userData }));

    expect(launched.instanceId).toMatch(/^i-[0-9a-f]+$/);
    expect(launched.launchedAt).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/));
    const seen = await motoView(launched.instanceId);
    expect(seen.InstanceType).toBe('t4g.small');
    expect(seen.ImageId).toBe('ami-0c7a8e3f05e4e5f0c');
    expect(seen.InstanceLifecycle).toBeUndefined();
    const tags = Object.fromEntries((seen.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ Name: 'stagely-vm', team: 'previews' });

    const attribute = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: launched.instanceId, Attribute: 'userData' }),
    );
    const sent = attribute.UserData?.Value;
    expect(sent).toBe(Buffer.from(userData).toString('base64'));
  });

  it('requires IMDSv2 and gives the instance an encrypted gp3 root volume carrying the tags', async () => {
    const launched = await runActivity(activities.runInstances, launchRequest({ rootVolumeGiB: 33 }));

    const seen = await motoView(launched.instanceId);
    expect(seen.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 });
    const volumes = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [launched.instanceId] }] }));
    expect(volumes.Volumes).toHaveLength(1);
    const root = volumes.Volumes?.[0];
    expect(root).toMatchObject({ Size: 33, VolumeType: 'gp3', Encrypted: true });
    expect(root?.Attachments?.[0]?.Device).toBe('/dev/sda1');
    expect(seen.BlockDeviceMappings?.[0]).toMatchObject({ DeviceName: '/dev/sda1', Ebs: { DeleteOnTermination: true } });
    expect(Object.fromEntries((root?.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ Name: 'stagely-vm', team: 'previews', 'stagely:managed': 'true' });
  });

  it('puts the root volume on the device the image boots from', async () => {
    const launched = await runActivity(activities.runInstances, launchRequest({ imageId: 'ami-0ffeec0ffeec0ffee', rootDeviceName: '/dev/xvda' }));
    const volumes = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [launched.instanceId] }] }));
    expect(volumes.Volumes?.map((v) => v.Attachments?.[0]?.Device)).toEqual(['/dev/xvda']);
  });

  it('uses the client of the region the request names', async () => {
    const regional = endpointClients();
    const launched = await runActivity(createActivities({ clients: regional }).runInstances, launchRequest({ region: 'eu-west-1' }));
    expect(regional.regions).toEqual(['eu-west-1']);
    await expect(runActivity(createActivities({ clients: regional }).describeInstance, { region: 'eu-west-1', instanceId: launched.instanceId })).resolves.toMatchObject({
      instanceId: launched.instanceId,
    });
    // Instance ids are regional: us-east-1 does not know it.
    await expect(runActivity(activities.describeInstance, at(launched.instanceId))).resolves.toBeNull();
    regional.destroy();
  });

  it('sends no user data when none is asked for', async () => {
    const launched = await runActivity(activities.runInstances, launchRequest());
    const attribute = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: launched.instanceId, Attribute: 'userData' }),
    );
    expect(attribute.UserData?.Value).toBeUndefined();
  });

  it('launches on the spot market when asked', async () => {
    const launched = await runActivity(activities.runInstances, launchRequest({ spot: true, instanceType: 't3.small', imageId: 'ami-0c7217cdde317cfec' }));
    const seen = await motoView(launched.instanceId);
    expect(seen.InstanceLifecycle).toBe('spot');
    expect(seen.InstanceType).toBe('t3.small');
  });

  it('launches into the given subnet with the given security groups', async () => {
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
    const vpcId = vpc.Vpc?.VpcId ?? '';
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.42.1.0/24' }));
    const subnetId = subnet.Subnet?.SubnetId ?? '';
    const group = await ec2.send(new CreateSecurityGroupCommand({ GroupName: uniqueName('sg'), Description: 'test', VpcId: vpcId }));
    const groupId = group.GroupId ?? '';

    const launched = await runActivity(activities.runInstances, launchRequest({ subnetId, securityGroupIds: [groupId] }));

    const seen = await motoView(launched.instanceId);
    expect(seen.SubnetId).toBe(subnetId);
    expect(seen.SecurityGroups?.map((g) => g.GroupId)).toEqual([groupId]);
  });

  it('turns an EC2 refusal into a non-retryable InvalidConfiguration naming the AWS code', async () => {
    const failure = await expectFailure(
      runActivity(activities.runInstances, launchRequest({ subnetId: 'subnet-0123456789abcdef0' })),
      'InvalidConfiguration',
      true,
    );
    expect(failure.message).toContain('InvalidSubnetID.NotFound');
    expect(failure.message).toContain('RunInstances t4g.small in subnet-0123456789abcdef0');
  });
});

describe('describeInstance', () => {
  it('reports state, public and private IP and launch time', async () => {
    const launched = await runActivity(activities.runInstances, launchRequest());
    const status = await runActivity(activities.describeInstance, at(launched.instanceId));
    const seen = await motoView(launched.instanceId);

    expect(status).not.toBeNull();
    expect(status?.instanceId).toBe(launched.instanceId);
    expect(['pending', 'running']).toContain(status?.state);
    expect(status?.publicIp).toBe(seen.PublicIpAddress);
    expect(status?.publicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(status?.privateIp).toBe(seen.PrivateIpAddress);
    expect(status?.launchedAt).toBe(seen.LaunchTime?.toISOString());
    expect(status?.spot).toBe(false);
  });

  it('returns null for an id EC2 does not know (not visible yet)', async () => {
    await expect(runActivity(activities.describeInstance, at('i-0123456789abcdef0'))).resolves.toBeNull();
  });

  it('maps a terminated instance to "terminated"', async () => {
    const launched = await runActivity(activities.runInstances, launchRequest());
    await runActivity(activities.terminateInstance, at(launched.instanceId));
    const status = await runActivity(activities.describeInstance, at(launched.instanceId));
    expect(status?.state).toBe('terminated');
  });
});

describe('terminateInstance', () => {
  it('terminates, and a second call finds it already gone', async () => {
    const launched = await runActivity(activities.runInstances, launchRequest());

    await expect(runActivity(activities.terminateInstance, at(launched.instanceId))).resolves.toEqual({
      instanceId: launched.instanceId,
      alreadyGone: false,
    });
    expect(['shutting-down', 'terminated']).toContain((await motoView(launched.instanceId)).State?.Name);
    await expect(runActivity(activities.terminateInstance, at(launched.instanceId))).resolves.toEqual({
      instanceId: launched.instanceId,
      alreadyGone: true,
    });
  });

  it('treats an unknown instance id as already gone', async () => {
    await expect(runActivity(activities.terminateInstance, at('i-0123456789abcdef0'))).resolves.toEqual({
      instanceId: 'i-0123456789abcdef0',
      alreadyGone: true,
    });
  });
});
