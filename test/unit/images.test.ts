import {
  CANONICAL_UBUNTU_2204_PARAMETER,
  EC2_ARCHITECTURE,
  imageParameterPath,
  staticImageFor,
} from '../../src/common/images';
import type { Architecture } from '../../src/common/instance-types';

describe('staticImageFor', () => {
  it.each<[string, Architecture, string]>([
    ['us-east-1', 'amd64', 'ami-0c7217cdde317cfec'],
    ['us-east-1', 'arm64', 'ami-0c7a8e3f05e4e5f0c'],
  ])('%s / %s -> %s', (region, architecture, expected) => {
    expect(staticImageFor(region, architecture)).toBe(expected);
  });

  it.each(['eu-west-1', 'us-west-2', 'US-EAST-1', '', 'constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'returns undefined for the region %p, which the static table does not list',
    (region) => {
      expect(staticImageFor(region, 'amd64')).toBeUndefined();
      expect(staticImageFor(region, 'arm64')).toBeUndefined();
    },
  );
});

describe('imageParameterPath', () => {
  it('names the Canonical Ubuntu 22.04 parameter template', () => {
    expect(CANONICAL_UBUNTU_2204_PARAMETER).toBe('/aws/service/canonical/ubuntu/server/22.04/stable/current/{arch}/hvm/ebs-gp2/ami-id');
  });

  it.each<[string, Architecture, string]>([
    [CANONICAL_UBUNTU_2204_PARAMETER, 'amd64', '/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id'],
    [CANONICAL_UBUNTU_2204_PARAMETER, 'arm64', '/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id'],
    ['/stagely/{arch}/ami', 'amd64', '/stagely/amd64/ami'],
    ['/stagely/{arch}/ami', 'arm64', '/stagely/arm64/ami'],
    ['/stagely/{arch}/ami-{arch}', 'arm64', '/stagely/arm64/ami-arm64'],
    ['/stagely/golden-ami', 'amd64', '/stagely/golden-ami'],
  ])('%s with %s -> %s', (template, architecture, expected) => {
    expect(imageParameterPath(template, architecture)).toBe(expected);
  });
});

describe('EC2_ARCHITECTURE', () => {
  it('maps our architecture names to the ones DescribeImages reports', () => {
    expect(EC2_ARCHITECTURE).toEqual({ amd64: 'x86_64', arm64: 'arm64' });
  });
});
