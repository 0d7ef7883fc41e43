/**
 * Checks a provision request before anything touches AWS, and turns it into a normalised spec.
 *
 * Every field is checked for type, range and spelling, unknown fields are refused (a typo like "spot"
 * must not silently launch an on-demand VM), and every problem is reported at once, each naming its
 * field (field-checks.ts).
 */
import type { ProvisionRequest } from './contract';
import { describeType } from './durations';
import {
  checkBoolean,
  checkDuration,
  checkEnum,
  checkId,
  checkIdList,
  checkKnownFields,
  checkRegion,
  fieldName,
  isPlainObject,
  listed,
  problemList,
  type Problem,
  type ProblemSubject,
  type Report,
} from './field-checks';
import {
  ARCHITECTURES,
  isArchitecture,
  isSize,
  ROOT_VOLUME_BOUNDS_GIB,
  ROOT_VOLUME_GIB,
  SIZES,
  type Architecture,
  type Size,
} from './instance-types';
import { checkReadiness, type ReadinessSpec } from './readiness';
import { provenanceTags, RESERVED_TAG_PREFIX } from './tags';

/** EC2 refuses user data over 16 KiB (before base64). */
export const MAX_USER_DATA_BYTES = 16 * 1024;
/** Stagely's own provenance tags (common/tags.ts), on every instance besides the caller's. */
const STAGELY_TAG_COUNT = Object.keys(provenanceTags({ namespaceId: '', workflowId: '', runId: '', token: '' })).length;
/** EC2's limit per resource is 50, less Stagely's own tags. */
export const MAX_TAGS = 50 - STAGELY_TAG_COUNT;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
/** The default-VPC limit of security groups per network interface is 5; 16 is EC2's hard ceiling. */
export const MAX_SECURITY_GROUPS = 16;
/** One subnet per availability zone; no region has more than six. */
export const MAX_SUBNETS = 6;
export const DEFAULT_NAME_TAG = 'stagely-vm';

export const DEFAULT_IP_WAIT_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_POLL_INTERVAL_MS = 5_000;
export const IP_WAIT_TIMEOUT_BOUNDS_MS = { min: 10_000, max: 60 * 60_000 } as const;
export const POLL_INTERVAL_BOUNDS_MS = { min: 1_000, max: 60_000 } as const;

export const SPOT_FALLBACKS = ['on-demand', 'none'] as const;
export type SpotFallback = (typeof SPOT_FALLBACKS)[number];

/** A validated, normalised request: defaults applied, durations in milliseconds, tags merged. */
export interface ProvisionSpec {
  size: Size;
  architecture: Architecture;
  region: string;
  spotInstance: boolean;
  spotFallback: SpotFallback;
  /** An image the caller chose; otherwise the worker resolves Ubuntu 22.04 for the region. */
  imageId?: string;
  userData?: string;
  /** The tags the instance and its volumes get, `Name` included. */
  tags: Record<string, string>;
  /** Subnets to try in order (from `subnetIds`, or the single `subnetId`); empty: the default VPC. */
  subnetIds: string[];
  securityGroupIds: string[];
  rootVolumeGiB: number;
  ipWaitTimeoutMs: number;
  pollIntervalMs: number;
  /** What must pass after the public IP (common/readiness.ts); absent: the run is done at the IP. */
  readiness?: ReadinessSpec;
}

export type SpecCheck = { ok: true; spec: ProvisionSpec } | { ok: false; problems: Problem[] };

export const PROVISION_REQUEST: ProblemSubject = {
  name: 'provision request',
  advice: 'Fix the request and start the provision again; nothing was launched.',
};

const KNOWN_FIELDS: readonly (keyof ProvisionRequest)[] = [
  'size',
  'architecture',
  'region',
  'spotInstance',
  'spotFallback',
  'imageId',
  'userData',
  'tags',
  'subnetId',
  'subnetIds',
  'securityGroupIds',
  'rootVolumeGiB',
  'ipWaitTimeout',
  'pollInterval',
  'readiness',
];

const ARCHITECTURE_ALIASES: Readonly<Record<string, Architecture>> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  x64: 'amd64',
  aarch64: 'arm64',
  arm: 'arm64',
};

const SUBNET_ID = /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const SECURITY_GROUP_ID = /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const IMAGE_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

export function validateProvisionRequest(input: unknown): SpecCheck {
  const { problems, problem } = problemList();

  if (!isPlainObject(input)) {
    problem('(request)', `must be a JSON object with at least "size" and "architecture" (got ${describeType(input)})`);
    return { ok: false, problems };
  }

  checkKnownFields(input, KNOWN_FIELDS, problem);

  const size = checkEnum(input.size, 'size', SIZES, isSize, {}, problem);
  const architecture = checkEnum(input.architecture, 'architecture', ARCHITECTURES, isArchitecture, ARCHITECTURE_ALIASES, problem);
  const region = checkRegion(input.region, problem);

  const spotInstance = checkBoolean(input.spotInstance, 'spotInstance', false, problem);
  const spotFallback = input.spotFallback === undefined ? 'on-demand' : checkEnum(input.spotFallback, 'spotFallback', SPOT_FALLBACKS, isSpotFallback, {}, problem);
  const imageId = checkOptionalId(input.imageId, 'imageId', IMAGE_ID, 'ami-0123456789abcdef0', problem);

  let userData: string | undefined;
  if (input.userData !== undefined) {
    if (typeof input.userData !== 'string') {
      problem('userData', `must be a string of raw (not base64) user data (got ${describeType(input.userData)})`);
    } else if (utf8Length(input.userData) > MAX_USER_DATA_BYTES) {
      problem('userData', `is ${utf8Length(input.userData)} bytes; EC2 accepts at most ${MAX_USER_DATA_BYTES} bytes (16 KiB)`);
    } else if (input.userData.length > 0) {
      userData = input.userData;
    }
  }

  const tags = checkTags(input.tags, problem);
  const subnetIds = checkSubnets(input.subnetId, input.subnetIds, problem);
  const securityGroupIds = checkIdList(input.securityGroupIds, 'securityGroupIds', SECURITY_GROUP_ID, 'sg-0123456789abcdef0', { max: MAX_SECURITY_GROUPS, noun: 'security groups' }, problem);
  const rootVolumeGiB = checkRootVolume(input.rootVolumeGiB, size, problem);
  const ipWaitTimeoutMs = checkDuration(input.ipWaitTimeout, 'ipWaitTimeout', DEFAULT_IP_WAIT_TIMEOUT_MS, IP_WAIT_TIMEOUT_BOUNDS_MS, problem);
  const pollIntervalMs = checkDuration(input.pollInterval, 'pollInterval', DEFAULT_POLL_INTERVAL_MS, POLL_INTERVAL_BOUNDS_MS, problem);
  const readiness = checkReadiness(input.readiness, problem);

  if (
    problems.length > 0 ||
    size === undefined ||
    architecture === undefined ||
    region === undefined ||
    spotFallback === undefined ||
    tags === undefined ||
    subnetIds === undefined ||
    securityGroupIds === undefined ||
    rootVolumeGiB === undefined ||
    ipWaitTimeoutMs === undefined ||
    pollIntervalMs === undefined ||
    readiness === undefined
  ) {
    return { ok: false, problems: listed(problems) };
  }
  const spec: ProvisionSpec = {
    size,
    architecture,
    region,
    spotInstance,
    spotFallback,
    tags,
    subnetIds,
    securityGroupIds,
    rootVolumeGiB,
    ipWaitTimeoutMs,
    pollIntervalMs,
  };
  if (imageId !== undefined) spec.imageId = imageId;
  if (userData !== undefined) spec.userData = userData;
  if (readiness !== null) spec.readiness = readiness;
  return { ok: true, spec };
}

function checkTags(value: unknown, problem: Report): Record<string, string> | undefined {
  // A Map, then Object.fromEntries: a tag key such as "__proto__" stays an ordinary key.
  const tags = new Map<string, string>([['Name', DEFAULT_NAME_TAG]]);
  if (value === undefined) return Object.fromEntries(tags);
  if (!isPlainObject(value)) {
    problem('tags', `must be an object of string keys to string values (got ${describeType(value)})`);
    return undefined;
  }
  let valid = true;
  for (const [key, tagValue] of Object.entries(value)) {
    const field = `tags.${fieldName(key)}`;
    const keyLength = codePointLength(key);
    if (keyLength < 1 || keyLength > MAX_TAG_KEY_LENGTH) {
      problem(field, `tag keys must be 1 to ${MAX_TAG_KEY_LENGTH} characters (got ${keyLength})`);
      valid = false;
    } else if (key.toLowerCase().startsWith('aws:')) {
      problem(field, 'tag keys starting with "aws:" are reserved by AWS');
      valid = false;
    } else if (key.toLowerCase().startsWith(RESERVED_TAG_PREFIX)) {
      problem(field, `tag keys starting with "${RESERVED_TAG_PREFIX}" are reserved for Stagely's own tags`);
      valid = false;
    }
    if (typeof tagValue !== 'string') {
      problem(field, `tag values must be strings (got ${describeType(tagValue)})`);
      valid = false;
    } else if (codePointLength(tagValue) > MAX_TAG_VALUE_LENGTH) {
      problem(field, `tag values must be at most ${MAX_TAG_VALUE_LENGTH} characters (got ${codePointLength(tagValue)})`);
      valid = false;
    } else {
      tags.set(key, tagValue);
    }
  }
  const count = tags.size;
  if (count > MAX_TAGS) {
    problem('tags', `an instance may carry at most ${MAX_TAGS} tags including "Name"; Stagely adds ${STAGELY_TAG_COUNT} of its own (got ${count})`);
    valid = false;
  }
  return valid ? Object.fromEntries(tags) : undefined;
}

function checkOptionalId(value: unknown, field: string, pattern: RegExp, example: string, problem: Report): string | undefined {
  return value === undefined ? undefined : checkId(value, field, pattern, example, problem);
}

/** `subnetId` (one) or `subnetIds` (several, tried in order), not both; each is checked either way. */
function checkSubnets(single: unknown, several: unknown, problem: Report): string[] | undefined {
  const one = single === undefined ? undefined : checkId(single, 'subnetId', SUBNET_ID, 'subnet-0123456789abcdef0', problem);
  const list = checkIdList(several, 'subnetIds', SUBNET_ID, 'subnet-0123456789abcdef0', { max: MAX_SUBNETS, noun: 'subnets' }, problem);
  if (single !== undefined && several !== undefined) {
    problem('subnetIds', 'give either subnetId or subnetIds, not both');
    return undefined;
  }
  if (single !== undefined) return one === undefined ? undefined : [one];
  if (list !== undefined && several !== undefined && list.length === 0) {
    problem('subnetIds', 'must list at least one subnet, or be left out for the default VPC');
    return undefined;
  }
  return list;
}

function checkRootVolume(value: unknown, size: Size | undefined, problem: Report): number | undefined {
  if (value === undefined) return size === undefined ? undefined : ROOT_VOLUME_GIB[size];
  const { min, max } = ROOT_VOLUME_BOUNDS_GIB;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problem('rootVolumeGiB', `must be a whole number of GiB from ${min} to ${max} (got ${describeType(value)})`);
    return undefined;
  }
  return value;
}

function isSpotFallback(value: unknown): value is SpotFallback {
  return typeof value === 'string' && (SPOT_FALLBACKS as readonly string[]).includes(value);
}

/** Length in Unicode code points, the unit AWS counts tag lengths in. */
function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** UTF-8 byte length without TextEncoder, so this module stays free of runtime globals. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
