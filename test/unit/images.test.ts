import { DEFAULT_REGION, imageFor, SUPPORTED_REGIONS } from '../../src/common/images';

describe('imageFor', () => {
  it.each([
    ['us-east-1', 'amd64', 'ami-0c7217cdde317cfec'],
    ['us-east-1', 'arm64', 'ami-0c7a8e3f05e4e5f0c'],
  ] as const)('%s / %s -> %s', (region, architecture, expected) => {
    expect(imageFor(region, architecture)).toBe(expected);
  });

  it.each(['eu-west-1', 'us-west-2', 'US-EAST-1', ''])('returns undefined for the unconfigured region %p', (region) => {
    expect(imageFor(region, 'amd64')).toBeUndefined();
    expect(imageFor(region, 'arm64')).toBeUndefined();
  });
});

describe('regions', () => {
  it('supports only us-east-1', () => {
    expect(SUPPORTED_REGIONS).toEqual(['us-east-1']);
  });

  it('defaults to us-east-1', () => {
    expect(DEFAULT_REGION).toBe('us-east-1');
  });
});
