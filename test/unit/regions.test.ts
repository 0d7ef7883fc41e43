import { AWS_REGIONS, DEFAULT_REGION, isKnownRegion } from '../../src/common/regions';

describe('isKnownRegion', () => {
  it.each(['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1', 'us-gov-west-1', 'cn-north-1'])(
    'accepts %p',
    (region) => {
      expect(isKnownRegion(region)).toBe(true);
    },
  );

  it.each(['us-east1', 'US-EAST-1', 'mars-north-1', '', ' us-east-1', 'us-east-1 ', 'us-east-1a', 'useast1', 'eu-west-9', 'constructor', '__proto__'])(
    'refuses %p',
    (region) => {
      expect(isKnownRegion(region)).toBe(false);
    },
  );
});

describe('AWS_REGIONS', () => {
  it('lists each region once', () => {
    expect(new Set(AWS_REGIONS).size).toBe(AWS_REGIONS.length);
  });

  it('lists only lower-case region codes', () => {
    for (const region of AWS_REGIONS) {
      expect(region).toMatch(/^[a-z]{2}(?:-gov)?-[a-z]+-\d$/);
    }
  });
});

describe('DEFAULT_REGION', () => {
  it('is us-east-1, a known region', () => {
    expect(DEFAULT_REGION).toBe('us-east-1');
    expect(isKnownRegion(DEFAULT_REGION)).toBe(true);
  });
});
