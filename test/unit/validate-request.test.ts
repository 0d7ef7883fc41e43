import { describeProblems, type Problem } from '../../src/common/field-checks';
import { PROVISION_REQUEST, utf8Length, validateProvisionRequest, type ProvisionSpec } from '../../src/common/validate-provision-request';
import { INSTANCE_STATUS_REQUEST, validateInstanceStatusRequest } from '../../src/common/validate-instance-status-request';
import { TEARDOWN_REQUEST, validateTeardownRequest } from '../../src/common/validate-teardown-request';
import { EVERY_FIELD_REQUEST } from '../support/requests';

/** The spec of an accepted request; fails the test with the problems when it was refused. */
function specOf(input: unknown): ProvisionSpec {
  const check = validateProvisionRequest(input);
  if (!check.ok) throw new Error(`expected the request to be accepted, got: ${JSON.stringify(check.problems)}`);
  return check.spec;
}

/** The problems of a refused request; fails the test when it was accepted. */
function problemsOf(input: unknown): Problem[] {
  const check = validateProvisionRequest(input);
  if (check.ok) throw new Error(`expected the request to be refused, got: ${JSON.stringify(check.spec)}`);
  return check.problems;
}

/** `count` tags named tag-1, tag-2, ... */
function manyTags(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`tag-${i + 1}`, `value-${i + 1}`]));
}

const minimal = { size: 'small', architecture: 'arm64' } as const;

describe('validateProvisionRequest: valid requests', () => {
  it('normalises a minimal request with every default', () => {
    const spec = specOf({ size: 'small', architecture: 'arm64' });

    expect(spec).toEqual({
      size: 'small',
      architecture: 'arm64',
      region: 'us-east-1',
      spotInstance: false,
      spotFallback: 'on-demand',
      tags: { Name: 'stagely-vm' },
      subnetIds: [],
      securityGroupIds: [],
      rootVolumeGiB: 20,
      ipWaitTimeoutMs: 300_000,
      pollIntervalMs: 5_000,
    });
    expect(spec).not.toHaveProperty('userData');
    expect(spec).not.toHaveProperty('imageId');
    expect(spec).not.toHaveProperty('subnetId');
  });

  it('normalises a request with every field', () => {
    const spec = specOf(EVERY_FIELD_REQUEST);

    expect(spec).toEqual({
      size: 'large',
      architecture: 'amd64',
      region: 'us-east-1',
      spotInstance: true,
      spotFallback: 'none',
      imageId: 'ami-0123456789abcdef0',
      userData: '#!/bin/bash\necho hello\n',
      tags: { Name: 'preview-pr-42', team: 'web', empty: '' },
      subnetIds: ['subnet-0123456789abcdef0'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      rootVolumeGiB: 100,
      ipWaitTimeoutMs: 120_000,
      pollIntervalMs: 2_000,
    });
    expect(spec).not.toHaveProperty('subnetId');
  });

  it('normalises a request with several subnets, in the order given', () => {
    const spec = specOf({
      size: 'medium',
      architecture: 'arm64',
      region: 'eu-west-1',
      spotInstance: true,
      subnetIds: ['subnet-bbbbbbbb', 'subnet-aaaaaaaa', 'subnet-0123456789abcdef0'],
    });

    expect(spec).toEqual({
      size: 'medium',
      architecture: 'arm64',
      region: 'eu-west-1',
      spotInstance: true,
      spotFallback: 'on-demand',
      tags: { Name: 'stagely-vm' },
      subnetIds: ['subnet-bbbbbbbb', 'subnet-aaaaaaaa', 'subnet-0123456789abcdef0'],
      securityGroupIds: [],
      rootVolumeGiB: 40,
      ipWaitTimeoutMs: 300_000,
      pollIntervalMs: 5_000,
    });
  });

  it('accepts 8-hex-digit subnet and security group ids', () => {
    const spec = specOf({ ...minimal, subnetId: 'subnet-0123abcd', securityGroupIds: ['sg-0123abcd', 'sg-89abcdef'] });
    expect(spec.subnetIds).toEqual(['subnet-0123abcd']);
    expect(spec.securityGroupIds).toEqual(['sg-0123abcd', 'sg-89abcdef']);
  });

  it('drops empty user data', () => {
    expect(specOf({ ...minimal, userData: '' })).not.toHaveProperty('userData');
  });

  it('accepts explicit spotInstance false and an empty securityGroupIds array', () => {
    const spec = specOf({ ...minimal, spotInstance: false, securityGroupIds: [] });
    expect(spec.spotInstance).toBe(false);
    expect(spec.securityGroupIds).toEqual([]);
  });

  it('accepts an object without a prototype (as some JSON parsers build)', () => {
    const input = Object.assign(Object.create(null) as Record<string, unknown>, minimal);
    expect(specOf(input).size).toBe('small');
  });
});

describe('validateProvisionRequest: boundaries that are accepted', () => {
  it('accepts user data of exactly 16384 bytes', () => {
    const userData = 'a'.repeat(16_384);
    expect(specOf({ ...minimal, userData }).userData).toBe(userData);
  });

  it('accepts 44 caller tags plus Name (45 tags, leaving EC2\'s other five for Stagely\'s own)', () => {
    const tags = specOf({ ...minimal, tags: manyTags(44) }).tags;
    expect(Object.keys(tags)).toHaveLength(45);
    expect(tags.Name).toBe('stagely-vm');
    expect(tags['tag-44']).toBe('value-44');
  });

  it('accepts 45 caller tags when one of them is Name', () => {
    const tags = specOf({ ...minimal, tags: { ...manyTags(44), Name: 'mine' } }).tags;
    expect(Object.keys(tags)).toHaveLength(45);
    expect(tags.Name).toBe('mine');
  });

  it('accepts a tag key of 128 characters and a tag value of 256 characters', () => {
    const key = 'k'.repeat(128);
    const value = 'v'.repeat(256);
    expect(specOf({ ...minimal, tags: { [key]: value } }).tags).toEqual({ Name: 'stagely-vm', [key]: value });
  });

  it('counts tag lengths in code points, not UTF-16 units', () => {
    const key = '😀'.repeat(128);
    const value = '😀'.repeat(256);
    expect(specOf({ ...minimal, tags: { [key]: value } }).tags[key]).toBe(value);
  });

  it('accepts an empty tag value', () => {
    expect(specOf({ ...minimal, tags: { owner: '' } }).tags).toEqual({ Name: 'stagely-vm', owner: '' });
  });

  it('accepts 16 security groups', () => {
    const ids = [
      'sg-00000001', 'sg-00000002', 'sg-00000003', 'sg-00000004', 'sg-00000005', 'sg-00000006', 'sg-00000007', 'sg-00000008',
      'sg-00000009', 'sg-0000000a', 'sg-0000000b', 'sg-0000000c', 'sg-0000000d', 'sg-0000000e', 'sg-0000000f', 'sg-00000010',
    ];
    expect(specOf({ ...minimal, securityGroupIds: ids }).securityGroupIds).toEqual(ids);
  });

  it.each<[string | number, number]>([
    ['1s', 1_000],
    ['1m', 60_000],
    [1000, 1_000],
    [60000, 60_000],
  ])('accepts pollInterval %p (%p ms)', (pollInterval, ms) => {
    expect(specOf({ ...minimal, pollInterval }).pollIntervalMs).toBe(ms);
  });

  it.each<[string | number, number]>([
    ['10s', 10_000],
    ['1h', 3_600_000],
    ['0.5h', 1_800_000],
    ['1m30s', 90_000],
    ['10000', 10_000],
  ])('accepts ipWaitTimeout %p (%p ms)', (ipWaitTimeout, ms) => {
    expect(specOf({ ...minimal, ipWaitTimeout }).ipWaitTimeoutMs).toBe(ms);
  });
});

describe('validateProvisionRequest: region, spot fallback, image, subnets and root volume', () => {
  it.each(['eu-west-1', 'us-east-1', 'ap-southeast-2', 'us-gov-west-1'])('accepts the region %p', (region) => {
    expect(specOf({ ...minimal, region }).region).toBe(region);
  });

  it.each<[boolean, 'on-demand' | 'none']>([
    [true, 'none'],
    [true, 'on-demand'],
    [false, 'none'],
  ])('accepts spotInstance %p with spotFallback %p', (spotInstance, spotFallback) => {
    const spec = specOf({ ...minimal, spotInstance, spotFallback });
    expect(spec.spotInstance).toBe(spotInstance);
    expect(spec.spotFallback).toBe(spotFallback);
  });

  it('defaults spotFallback to "on-demand" for a spot request', () => {
    expect(specOf({ ...minimal, spotInstance: true }).spotFallback).toBe('on-demand');
  });

  it.each(['ami-0123456789abcdef0', 'ami-0123abcd'])('accepts the imageId %p', (imageId) => {
    expect(specOf({ ...minimal, imageId }).imageId).toBe(imageId);
  });

  it('normalises subnetId to a one-element subnetIds', () => {
    const spec = specOf({ ...minimal, subnetId: 'subnet-0123456789abcdef0' });
    expect(spec.subnetIds).toEqual(['subnet-0123456789abcdef0']);
    expect(spec).not.toHaveProperty('subnetId');
  });

  it('accepts 6 subnets and keeps their order', () => {
    const ids = ['subnet-00000006', 'subnet-00000005', 'subnet-00000004', 'subnet-00000003', 'subnet-00000002', 'subnet-00000001'];
    expect(specOf({ ...minimal, subnetIds: ids }).subnetIds).toEqual(ids);
  });

  it('accepts a single subnet in subnetIds', () => {
    expect(specOf({ ...minimal, subnetIds: ['subnet-0123abcd'] }).subnetIds).toEqual(['subnet-0123abcd']);
  });

  it.each<['small' | 'medium' | 'large', number]>([
    ['small', 20],
    ['medium', 40],
    ['large', 80],
  ])('gives a %s VM a %p GiB root volume by default', (size, gib) => {
    expect(specOf({ size, architecture: 'amd64' }).rootVolumeGiB).toBe(gib);
  });

  it.each<['small' | 'medium' | 'large', number]>([
    ['small', 8],
    ['small', 1024],
    ['large', 8],
    ['medium', 100],
  ])('accepts a %s VM with rootVolumeGiB %p', (size, rootVolumeGiB) => {
    expect(specOf({ size, architecture: 'arm64', rootVolumeGiB }).rootVolumeGiB).toBe(rootVolumeGiB);
  });
});

const SIZES = '"small", "medium", "large"';
const ARCHITECTURES = '"amd64", "arm64"';

describe('validateProvisionRequest: bad requests', () => {
  it.each<[string, unknown, string, string | RegExp]>([
    // The request itself
    ['null', null, '(request)', 'must be a JSON object with at least "size" and "architecture" (got null)'],
    ['an array', [], '(request)', '(got an array)'],
    ['a string', 'small', '(request)', '(got string "small")'],
    ['a number', 42, '(request)', '(got number 42)'],
    ['a Date', new Date(0), '(request)', '(got an object)'],
    // size and architecture
    ['missing size', { architecture: 'amd64' }, 'size', `is required; one of ${SIZES}`],
    ['missing architecture', { size: 'small' }, 'architecture', `is required; one of ${ARCHITECTURES}`],
    ['size "Small"', { ...minimal, size: 'Small' }, 'size', `must be one of ${SIZES} (got "Small"); values are lower-case, did you mean "small"?`],
    ['size "xlarge"', { ...minimal, size: 'xlarge' }, 'size', `must be one of ${SIZES} (got "xlarge")`],
    ['size 1', { ...minimal, size: 1 }, 'size', `must be one of ${SIZES} (got number 1)`],
    ['size null', { ...minimal, size: null }, 'size', `must be one of ${SIZES} (got null)`],
    ['size "constructor" (no bogus hint)', { ...minimal, size: 'constructor' }, 'size', /\(got "constructor"\)$/],
    ['architecture "__proto__" (no bogus hint)', { ...minimal, architecture: '__proto__' }, 'architecture', /\(got "__proto__"\)$/],
    ['architecture "x86_64"', { ...minimal, architecture: 'x86_64' }, 'architecture', `must be one of ${ARCHITECTURES} (got "x86_64"); did you mean "amd64"?`],
    ['architecture "AMD64"', { ...minimal, architecture: 'AMD64' }, 'architecture', 'values are lower-case, did you mean "amd64"?'],
    ['architecture "aarch64"', { ...minimal, architecture: 'aarch64' }, 'architecture', '(got "aarch64"); did you mean "arm64"?'],
    ['architecture "ARM"', { ...minimal, architecture: 'ARM' }, 'architecture', '(got "ARM"); did you mean "arm64"?'],
    // unknown fields
    ['unknown field "spot"', { ...minimal, spot: true }, 'spot', 'unknown field; allowed fields are size, architecture, region, spotInstance, spotFallback, imageId, userData, tags, subnetId, subnetIds, securityGroupIds, rootVolumeGiB, ipWaitTimeout, pollInterval, readiness'],
    ['field "Size" in the wrong case', { ...minimal, Size: 'medium' }, 'Size', 'field names are case-sensitive, did you mean "size"?'],
    ['field "spotinstance" in the wrong case', { ...minimal, spotinstance: true }, 'spotinstance', 'did you mean "spotInstance"?'],
    // region
    ['region "mars-north-1"', { ...minimal, region: 'mars-north-1' }, 'region', '"mars-north-1" is not an AWS region; use a region code like "us-east-1" or "eu-west-1"'],
    ['region "US-EAST-1"', { ...minimal, region: 'US-EAST-1' }, 'region', '"US-EAST-1" is not an AWS region; use a region code like "us-east-1" or "eu-west-1"'],
    ['region "us-east1"', { ...minimal, region: 'us-east1' }, 'region', '"us-east1" is not an AWS region'],
    ['region ""', { ...minimal, region: '' }, 'region', '"" is not an AWS region'],
    ['region 5', { ...minimal, region: 5 }, 'region', 'must be an AWS region name like "us-east-1" (got number 5)'],
    // spotInstance
    ['spotInstance "true"', { ...minimal, spotInstance: 'true' }, 'spotInstance', 'must be true or false (got string "true")'],
    ['spotInstance 1', { ...minimal, spotInstance: 1 }, 'spotInstance', 'must be true or false (got number 1)'],
    // userData
    ['userData 123', { ...minimal, userData: 123 }, 'userData', 'must be a string of raw (not base64) user data (got number 123)'],
    ['userData of 16385 bytes', { ...minimal, userData: 'a'.repeat(16_385) }, 'userData', 'is 16385 bytes; EC2 accepts at most 16384 bytes (16 KiB)'],
    ['userData of 6000 "€" (18000 bytes)', { ...minimal, userData: '€'.repeat(6_000) }, 'userData', 'is 18000 bytes; EC2 accepts at most 16384 bytes'],
    // tags
    ['tags []', { ...minimal, tags: [] }, 'tags', 'must be an object of string keys to string values (got an array)'],
    ['tags "a=b"', { ...minimal, tags: 'a=b' }, 'tags', 'must be an object of string keys to string values (got string "a=b")'],
    ['tags null', { ...minimal, tags: null }, 'tags', '(got null)'],
    ['tag value 5', { ...minimal, tags: { team: 5 } }, 'tags.team', 'tag values must be strings (got number 5)'],
    ['tag value null', { ...minimal, tags: { team: null } }, 'tags.team', 'tag values must be strings (got null)'],
    ['tag value undefined', { ...minimal, tags: { team: undefined } }, 'tags.team', 'tag values must be strings (got undefined)'],
    ['an emoji tag key over the length limit, shortened without splitting the emoji', { ...minimal, tags: { ['😀'.repeat(129)]: 'x' } }, `tags.${'😀'.repeat(37)}...`, '(got 129)'],
    ['tag key ""', { ...minimal, tags: { '': 'x' } }, 'tags.', 'tag keys must be 1 to 128 characters (got 0)'],
    ['tag key of 129 characters', { ...minimal, tags: { ['k'.repeat(129)]: 'x' } }, `tags.${'k'.repeat(37)}...`, 'tag keys must be 1 to 128 characters (got 129)'],
    ['tag value of 257 characters', { ...minimal, tags: { team: 'v'.repeat(257) } }, 'tags.team', 'tag values must be at most 256 characters (got 257)'],
    ['tag key "aws:owner"', { ...minimal, tags: { 'aws:owner': 'me' } }, 'tags.aws:owner', 'tag keys starting with "aws:" are reserved by AWS'],
    ['tag key "AWS:Owner"', { ...minimal, tags: { 'AWS:Owner': 'me' } }, 'tags.AWS:Owner', 'reserved by AWS'],
    ['45 caller tags (46 with Name)', { ...minimal, tags: manyTags(45) }, 'tags', 'an instance may carry at most 45 tags including "Name"; Stagely adds 5 of its own (got 46)'],
    ['tag key "stagely:managed"', { ...minimal, tags: { 'stagely:managed': 'false' } }, 'tags.stagely:managed', 'tag keys starting with "stagely:" are reserved for Stagely\'s own tags'],
    ['tag key "Stagely:Run-Id"', { ...minimal, tags: { 'Stagely:Run-Id': 'x' } }, 'tags.Stagely:Run-Id', 'reserved for Stagely'],
    // subnetId
    ['subnetId "subnet-xyz"', { ...minimal, subnetId: 'subnet-xyz' }, 'subnetId', 'must be an id like "subnet-0123456789abcdef0" (got string "subnet-xyz")'],
    ['subnetId 12', { ...minimal, subnetId: 12 }, 'subnetId', 'must be an id like "subnet-0123456789abcdef0" (got number 12)'],
    ['subnetId with upper-case hex', { ...minimal, subnetId: 'subnet-0123456789ABCDEF0' }, 'subnetId', 'must be an id like'],
    ['subnetId of 9 hex digits', { ...minimal, subnetId: 'subnet-0123456789' }, 'subnetId', 'must be an id like'],
    // subnetIds
    ['subnetIds as a string', { ...minimal, subnetIds: 'subnet-0123456789abcdef0' }, 'subnetIds', 'must be an array of ids like "subnet-0123456789abcdef0" (got string "subnet-0123456789abcdef0")'],
    ['subnetIds null', { ...minimal, subnetIds: null }, 'subnetIds', 'must be an array of ids like "subnet-0123456789abcdef0" (got null)'],
    ['subnetIds []', { ...minimal, subnetIds: [] }, 'subnetIds', 'must list at least one subnet, or be left out for the default VPC'],
    ['7 subnets', { ...minimal, subnetIds: ['subnet-00000001', 'subnet-00000002', 'subnet-00000003', 'subnet-00000004', 'subnet-00000005', 'subnet-00000006', 'subnet-00000007'] }, 'subnetIds', 'at most 6 subnets (got 7)'],
    ['a duplicate subnet', { ...minimal, subnetIds: ['subnet-aaaaaaaa', 'subnet-bbbbbbbb', 'subnet-aaaaaaaa'] }, 'subnetIds[2]', 'subnet-aaaaaaaa is listed twice'],
    ['subnetIds ["nope"]', { ...minimal, subnetIds: ['nope'] }, 'subnetIds[0]', 'must be an id like "subnet-0123456789abcdef0" (got string "nope")'],
    ['subnetIds with an upper-case id', { ...minimal, subnetIds: ['subnet-0123abcd', 'subnet-0123ABCD'] }, 'subnetIds[1]', 'must be an id like "subnet-0123456789abcdef0" (got string "subnet-0123ABCD")'],
    ['subnetId together with subnetIds', { ...minimal, subnetId: 'subnet-aaaaaaaa', subnetIds: ['subnet-bbbbbbbb'] }, 'subnetIds', 'give either subnetId or subnetIds, not both'],
    // spotFallback
    ['spotFallback "spot"', { ...minimal, spotFallback: 'spot' }, 'spotFallback', 'must be one of "on-demand", "none" (got "spot")'],
    ['spotFallback "On-Demand"', { ...minimal, spotFallback: 'On-Demand' }, 'spotFallback', 'must be one of "on-demand", "none" (got "On-Demand"); values are lower-case, did you mean "on-demand"?'],
    ['spotFallback 1', { ...minimal, spotFallback: 1 }, 'spotFallback', 'must be one of "on-demand", "none" (got number 1)'],
    ['spotFallback null', { ...minimal, spotFallback: null }, 'spotFallback', 'must be one of "on-demand", "none" (got null)'],
    // imageId
    ['imageId "ami-xyz"', { ...minimal, imageId: 'ami-xyz' }, 'imageId', 'must be an id like "ami-0123456789abcdef0" (got string "ami-xyz")'],
    ['imageId "AMI-0123456789abcdef0"', { ...minimal, imageId: 'AMI-0123456789abcdef0' }, 'imageId', 'must be an id like "ami-0123456789abcdef0" (got string "AMI-0123456789abcdef0")'],
    ['imageId 5', { ...minimal, imageId: 5 }, 'imageId', 'must be an id like "ami-0123456789abcdef0" (got number 5)'],
    ['imageId ""', { ...minimal, imageId: '' }, 'imageId', 'must be an id like "ami-0123456789abcdef0" (got string "")'],
    ['imageId of 9 hex digits', { ...minimal, imageId: 'ami-0123456789' }, 'imageId', 'must be an id like'],
    // rootVolumeGiB
    ['rootVolumeGiB 7', { ...minimal, rootVolumeGiB: 7 }, 'rootVolumeGiB', 'must be a whole number of GiB from 8 to 1024 (got number 7)'],
    ['rootVolumeGiB 1025', { ...minimal, rootVolumeGiB: 1025 }, 'rootVolumeGiB', 'must be a whole number of GiB from 8 to 1024 (got number 1025)'],
    ['rootVolumeGiB 20.5', { ...minimal, rootVolumeGiB: 20.5 }, 'rootVolumeGiB', 'must be a whole number of GiB from 8 to 1024 (got number 20.5)'],
    ['rootVolumeGiB "20"', { ...minimal, rootVolumeGiB: '20' }, 'rootVolumeGiB', 'must be a whole number of GiB from 8 to 1024 (got string "20")'],
    ['rootVolumeGiB null', { ...minimal, rootVolumeGiB: null }, 'rootVolumeGiB', 'must be a whole number of GiB from 8 to 1024 (got null)'],
    ['rootVolumeGiB NaN', { ...minimal, rootVolumeGiB: Number.NaN }, 'rootVolumeGiB', '(got number NaN)'],
    ['rootVolumeGiB Infinity', { ...minimal, rootVolumeGiB: Number.POSITIVE_INFINITY }, 'rootVolumeGiB', '(got number Infinity)'],
    // securityGroupIds
    ['securityGroupIds as a string', { ...minimal, securityGroupIds: 'sg-0123456789abcdef0' }, 'securityGroupIds', 'must be an array of ids like "sg-0123456789abcdef0" (got string "sg-0123456789abcdef0")'],
    ['securityGroupIds ["nope"]', { ...minimal, securityGroupIds: ['nope'] }, 'securityGroupIds[0]', 'must be an id like "sg-0123456789abcdef0" (got string "nope")'],
    ['securityGroupIds [null]', { ...minimal, securityGroupIds: [null] }, 'securityGroupIds[0]', '(got null)'],
    ['securityGroupIds [undefined] (a TypeScript caller)', { ...minimal, securityGroupIds: [undefined] }, 'securityGroupIds[0]', '(got undefined)'],
    ['a duplicate security group', { ...minimal, securityGroupIds: ['sg-0123456789abcdef0', 'sg-0123456789abcdef0'] }, 'securityGroupIds[1]', 'sg-0123456789abcdef0 is listed twice'],
    ['17 security groups', { ...minimal, securityGroupIds: Array.from({ length: 17 }, () => 'sg-0123abcd') }, 'securityGroupIds', 'at most 16 security groups (got 17)'],
    // durations
    ['pollInterval "500ms"', { ...minimal, pollInterval: '500ms' }, 'pollInterval', 'must be between 1s and 1m (got "500ms")'],
    ['pollInterval "2m"', { ...minimal, pollInterval: '2m' }, 'pollInterval', 'must be between 1s and 1m (got "2m")'],
    ['pollInterval -1000', { ...minimal, pollInterval: -1000 }, 'pollInterval', 'must be between 1s and 1m (got -1000)'],
    ['pollInterval "5"', { ...minimal, pollInterval: '5' }, 'pollInterval', 'must be between 1s and 1m (got "5")'],
    ['pollInterval true', { ...minimal, pollInterval: true }, 'pollInterval', 'must be a duration string like "5s" or a number of milliseconds (got boolean true)'],
    ['ipWaitTimeout "5s"', { ...minimal, ipWaitTimeout: '5s' }, 'ipWaitTimeout', 'must be between 10s and 1h (got "5s")'],
    ['ipWaitTimeout "2h"', { ...minimal, ipWaitTimeout: '2h' }, 'ipWaitTimeout', 'must be between 10s and 1h (got "2h")'],
    ['ipWaitTimeout "soon"', { ...minimal, ipWaitTimeout: 'soon' }, 'ipWaitTimeout', 'must be a duration string like "5s" or "1m30s" (got "soon")'],
    ['ipWaitTimeout Infinity', { ...minimal, ipWaitTimeout: Number.POSITIVE_INFINITY }, 'ipWaitTimeout', 'must be a finite number of milliseconds'],
    ['ipWaitTimeout NaN', { ...minimal, ipWaitTimeout: Number.NaN }, 'ipWaitTimeout', 'must be a finite number of milliseconds'],
    ['ipWaitTimeout null', { ...minimal, ipWaitTimeout: null }, 'ipWaitTimeout', /\(got null\)$/],
  ])('%s', (_label, input, field, message) => {
    const problems = problemsOf(input);

    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe(field);
    expect(problems[0]?.message).toEqual(typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message));
  });
});

describe('validateProvisionRequest: several problems', () => {
  it('reports a miscased field and the required field it was meant to be', () => {
    expect(problemsOf({ Size: 'small', architecture: 'arm64' })).toEqual([
      { field: 'Size', message: 'unknown field; field names are case-sensitive, did you mean "size"?' },
      { field: 'size', message: 'is required; one of "small", "medium", "large"' },
    ]);
  });


  const input = {
    size: 'Small',
    architecture: 'x86_64',
    region: 'mars-north-1',
    spot: true,
    tags: { 'aws:owner': 'me' },
    pollInterval: '500ms',
  };

  it('reports every problem, each naming its field', () => {
    const problems = problemsOf(input);

    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(problems.map((p) => p.field).sort()).toEqual(['architecture', 'pollInterval', 'region', 'size', 'spot', 'tags.aws:owner']);
  });

  it('describes every problem in one line and says nothing was launched', () => {
    const text = describeProblems(PROVISION_REQUEST, problemsOf(input));

    expect(text).toMatch(/^Invalid provision request \(6 problems\): /);
    for (const field of ['size: ', 'architecture: ', 'region: ', 'spot: ', 'tags.aws:owner: ', 'pollInterval: ']) {
      expect(text).toContain(field);
    }
    expect(text).toContain('nothing was launched');
    expect(text).not.toContain('\n');
  });

  it('says "1 problem" for one problem', () => {
    expect(describeProblems(PROVISION_REQUEST, [{ field: 'size', message: 'is required' }])).toBe(
      'Invalid provision request (1 problem): size: is required. Fix the request and start the provision again; nothing was launched.',
    );
  });
});

describe('validateProvisionRequest: tag keys that look like object internals', () => {
  it('keeps a "__proto__" tag as an ordinary own key', () => {
    const input: unknown = JSON.parse('{"size":"small","architecture":"arm64","tags":{"__proto__":"polluted"}}');
    const tags = specOf(input).tags;

    expect(Object.keys(tags)).toContain('__proto__');
    expect(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value).toBe('polluted');
    expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(['constructor', 'toString', 'hasOwnProperty'])('keeps a %p tag as an ordinary key', (key) => {
    const tags = specOf({ ...minimal, tags: { [key]: 'x' } }).tags;
    expect(Object.getOwnPropertyDescriptor(tags, key)?.value).toBe('x');
  });
});

describe.each([
  ['validateTeardownRequest', validateTeardownRequest],
  ['validateInstanceStatusRequest', validateInstanceStatusRequest],
])('%s', (_name, validate) => {
  it('accepts an instance id and defaults the region', () => {
    expect(validate({ instanceId: 'i-0123456789abcdef0' })).toEqual({ ok: true, request: { instanceId: 'i-0123456789abcdef0', region: 'us-east-1' } });
    expect(validate({ instanceId: 'i-01234567', region: 'eu-west-1' })).toEqual({ ok: true, request: { instanceId: 'i-01234567', region: 'eu-west-1' } });
  });

  it.each<[string, unknown, { field: string; message: string }]>([
    ['a string', 'i-0123456789abcdef0', { field: '(request)', message: 'must be a JSON object with "instanceId" (got string "i-0123456789abcdef0")' }],
    ['no instance id', {}, { field: 'instanceId', message: 'is required' }],
    ['a bad instance id', { instanceId: 'i-nope' }, { field: 'instanceId', message: 'must be an id like "i-0123456789abcdef0" (got string "i-nope")' }],
    ['an upper-case instance id', { instanceId: 'i-0123456789ABCDEF0' }, { field: 'instanceId', message: 'must be an id like "i-0123456789abcdef0" (got string "i-0123456789ABCDEF0")' }],
    ['an unknown region', { instanceId: 'i-0123456789abcdef0', region: 'mars-1' }, { field: 'region', message: expect.stringContaining('"mars-1" is not an AWS region') }],
    ['an unknown field', { instanceId: 'i-0123456789abcdef0', force: true }, { field: 'force', message: 'unknown field; allowed fields are instanceId, region' }],
    ['a field in the wrong case', { InstanceId: 'i-0123456789abcdef0' }, { field: 'InstanceId', message: 'unknown field; field names are case-sensitive, did you mean "instanceId"?' }],
  ])('refuses %s, naming the field', (_label, input, problem) => {
    const check = validate(input);
    expect(check.ok ? [] : check.problems).toContainEqual(problem);
  });
});

it('describes a teardown request\'s problems as a teardown that terminated nothing', () => {
  const check = validateTeardownRequest({});
  expect(check.ok ? '' : describeProblems(TEARDOWN_REQUEST, check.problems)).toBe(
    'Invalid teardown request (1 problem): instanceId: is required. Fix the request and start the teardown again; nothing was terminated.',
  );
});

it('describes a status request\'s problems as a read that sent nothing to AWS', () => {
  const check = validateInstanceStatusRequest({ instanceId: 'i-1' });
  expect(check.ok ? '' : describeProblems(INSTANCE_STATUS_REQUEST, check.problems)).toBe(
    'Invalid instance status request (1 problem): instanceId: must be an id like "i-0123456789abcdef0" (got string "i-1"). Fix the request and ask again; nothing was sent to AWS.',
  );
});

describe('utf8Length', () => {
  it.each<[string, number]>([
    ['', 0],
    ['a', 1],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['aé€😀', 10],
  ])('%p is %p bytes', (text, bytes) => {
    expect(utf8Length(text)).toBe(bytes);
  });
});
