import { instanceTypeFor, isArchitecture, isSize, type Architecture, type Size } from '../../src/common/instance-types';

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
