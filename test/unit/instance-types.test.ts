import {
  ALTERNATE_INSTANCE_TYPES,
  instanceTypeFor,
  instanceTypesFor,
  isArchitecture,
  isSize,
  ROOT_VOLUME_BOUNDS_GIB,
  ROOT_VOLUME_GIB,
  type Architecture,
  type Size,
} from '../../src/common/instance-types';

describe('instanceTypeFor', () => {
  it.each<[Size, Architecture, string]>([
    ['small', 'amd64', 't3.small'],
    ['small', 'arm64', 't4g.small'],
    ['medium', 'amd64', 'c5.xlarge'],
    ['medium', 'arm64', 'c6g.xlarge'],
    ['large', 'amd64', 'c5.2xlarge'],
    ['large', 'arm64', 'c6g.2xlarge'],
  ])('%s / %s -> %s', (size, architecture, expected) => {
    expect(instanceTypeFor(size, architecture)).toBe(expected);
  });
});

describe('isSize', () => {
  it.each(['small', 'medium', 'large'])('accepts %p', (value) => {
    expect(isSize(value)).toBe(true);
  });

  it.each<[unknown]>([['Small'], ['SMALL'], ['xlarge'], ['x86_64'], [''], [' small'], [null], [undefined], [1], [{}], [['small']]])(
    'rejects %p',
    (value) => {
      expect(isSize(value)).toBe(false);
    },
  );
});

describe('isArchitecture', () => {
  it.each(['amd64', 'arm64'])('accepts %p', (value) => {
    expect(isArchitecture(value)).toBe(true);
  });

  it.each<[unknown]>([['Small'], ['x86_64'], ['aarch64'], ['AMD64'], [''], [null], [undefined], [1], [{}], [['arm64']]])(
    'rejects %p',
    (value) => {
      expect(isArchitecture(value)).toBe(false);
    },
  );
});

describe('ALTERNATE_INSTANCE_TYPES', () => {
  it.each<[Size, Architecture, string[]]>([
    ['small', 'amd64', ['t3a.small']],
    ['small', 'arm64', []],
    ['medium', 'amd64', ['c6i.xlarge', 'c5a.xlarge', 'c6a.xlarge']],
    ['medium', 'arm64', ['c7g.xlarge', 'c6gn.xlarge']],
    ['large', 'amd64', ['c6i.2xlarge', 'c5a.2xlarge', 'c6a.2xlarge']],
    ['large', 'arm64', ['c7g.2xlarge', 'c6gn.2xlarge']],
  ])('%s / %s -> %p', (size, architecture, expected) => {
    expect(ALTERNATE_INSTANCE_TYPES[size][architecture]).toEqual(expected);
  });

  it('has a row for every size and architecture, and no other', () => {
    expect(Object.keys(ALTERNATE_INSTANCE_TYPES).sort()).toEqual(['large', 'medium', 'small']);
    for (const row of Object.values(ALTERNATE_INSTANCE_TYPES)) {
      expect(Object.keys(row).sort()).toEqual(['amd64', 'arm64']);
    }
  });
});

describe('instanceTypesFor', () => {
  it.each<[Size, Architecture, string[]]>([
    ['small', 'amd64', ['t3.small', 't3a.small']],
    ['small', 'arm64', ['t4g.small']],
    ['medium', 'amd64', ['c5.xlarge', 'c6i.xlarge', 'c5a.xlarge', 'c6a.xlarge']],
    ['medium', 'arm64', ['c6g.xlarge', 'c7g.xlarge', 'c6gn.xlarge']],
    ['large', 'amd64', ['c5.2xlarge', 'c6i.2xlarge', 'c5a.2xlarge', 'c6a.2xlarge']],
    ['large', 'arm64', ['c6g.2xlarge', 'c7g.2xlarge', 'c6gn.2xlarge']],
  ])('%s / %s -> the primary type first, then %p', (size, architecture, expected) => {
    expect(instanceTypesFor(size, architecture)).toEqual(expected);
  });

  it('returns a fresh array the caller may change', () => {
    const types = instanceTypesFor('medium', 'amd64');
    types.push('x1.32xlarge');
    expect(instanceTypesFor('medium', 'amd64')).toEqual(['c5.xlarge', 'c6i.xlarge', 'c5a.xlarge', 'c6a.xlarge']);
    expect(ALTERNATE_INSTANCE_TYPES.medium.amd64).toEqual(['c6i.xlarge', 'c5a.xlarge', 'c6a.xlarge']);
  });
});

describe('root volume sizes', () => {
  it.each<[Size, number]>([
    ['small', 20],
    ['medium', 40],
    ['large', 80],
  ])('%s -> %p GiB', (size, gib) => {
    expect(ROOT_VOLUME_GIB[size]).toBe(gib);
  });

  it('allows 8 to 1024 GiB', () => {
    expect(ROOT_VOLUME_BOUNDS_GIB).toEqual({ min: 8, max: 1024 });
  });
});
