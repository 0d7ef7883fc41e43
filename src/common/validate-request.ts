/**
 * Checks a provision request before anything touches AWS, and turns it into a normalised spec.
 *
 * Input arrives as untrusted JSON from the backend or the `temporal` CLI, so every field is checked
 * for type, range and spelling, unknown fields are refused (a typo like "spot" must not silently
 * launch an on-demand VM), and every problem is reported at once (up to MAX_PROBLEMS), each naming its
 * field. Whatever the input, the answer stays short: names and values are echoed truncated.
 */
import type { ProvisionRequest } from './contract';
import { describeType, formatDuration, parseDuration, quote, truncate } from './durations';
import { DEFAULT_REGION } from './images';
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
import { isKnownRegion } from './regions';
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
/**
 * Problems listed at most; the last then says how many more there were. A request of thousands of
 * bad fields or tags still gets a short message and a small InvalidSpec failure.
 */
export const MAX_PROBLEMS = 10;

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
}

export interface SpecProblem {
  /** The offending field, as the caller spelled it ("tags.aws:owner", "securityGroupIds[1]"). */
  field: string;
  message: string;
}

export type SpecCheck = { ok: true; spec: ProvisionSpec } | { ok: false; problems: SpecProblem[] };

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
  const problems: SpecProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ field, message });
  };

  if (!isPlainObject(input)) {
    problem('(request)', `must be a JSON object with at least "size" and "architecture" (got ${describeType(input)})`);
    return { ok: false, problems };
  }

  for (const key of Object.keys(input)) {
    if (!(KNOWN_FIELDS as readonly string[]).includes(key)) {
      const meant = KNOWN_FIELDS.find((known) => known.toLowerCase() === key.toLowerCase());
      problem(
        fieldName(key),
        meant
          ? `unknown field; field names are case-sensitive, did you mean "${meant}"?`
          : `unknown field; allowed fields are ${KNOWN_FIELDS.join(', ')}`,
      );
    }
  }

  const size = checkEnum(input.size, 'size', SIZES, isSize, {}, problem);
  const architecture = checkEnum(input.architecture, 'architecture', ARCHITECTURES, isArchitecture, ARCHITECTURE_ALIASES, problem);
  const region = checkRegion(input.region, problem);

  let spotInstance = false;
  if (input.spotInstance !== undefined) {
    if (typeof input.spotInstance === 'boolean') spotInstance = input.spotInstance;
    else problem('spotInstance', `must be true or false (got ${describeType(input.spotInstance)})`);
  }
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
    pollIntervalMs === undefined
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
  return { ok: true, spec };
}

/** Input of the `terminateInstance` teardown workflow. */
export interface TeardownRequest {
  instanceId: string;
  /** @default "us-east-1" */
  region?: string;
}

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

export type TeardownCheck = { ok: true; request: Required<TeardownRequest> } | { ok: false; problems: SpecProblem[] };

export function validateTeardownRequest(input: unknown): TeardownCheck {
  const problems: SpecProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ field, message });
  };
  if (!isPlainObject(input)) {
    problem('(request)', `must be a JSON object with "instanceId" (got ${describeType(input)})`);
    return { ok: false, problems };
  }
  for (const key of Object.keys(input)) {
    if (key !== 'instanceId' && key !== 'region') problem(fieldName(key), 'unknown field; allowed fields are instanceId, region');
  }
  const instanceId =
    input.instanceId === undefined
      ? (problem('instanceId', 'is required'), undefined)
      : checkId(input.instanceId, 'instanceId', INSTANCE_ID, 'i-0123456789abcdef0', problem);
  const region = checkRegion(input.region, problem);
  if (problems.length > 0 || instanceId === undefined || region === undefined) return { ok: false, problems: listed(problems) };
  return { ok: true, request: { instanceId, region } };
}

/** The first MAX_PROBLEMS - 1 problems and a count of the rest, when there are more than MAX_PROBLEMS. */
export function listed(problems: SpecProblem[]): SpecProblem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const rest = problems.length - (MAX_PROBLEMS - 1);
  return [...problems.slice(0, MAX_PROBLEMS - 1), { field: '(request)', message: `${rest} more problems not listed; fix the ones above first` }];
}

/**
 * A caller's field or tag name as problems name it: at most 40 characters. Only the start of a huge
 * name is looked at (84 UTF-16 units hold more than 40 code points), so a 1 MB name costs nothing.
 */
export function fieldName(name: string): string {
  return truncate(name.length > 84 ? name.slice(0, 84) : name, 40);
}

/** One line a person can act on, naming every problem. */
export function describeProblems(problems: readonly SpecProblem[]): string {
  const list = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return `Invalid provision request (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${list}. Fix the request and start the provision again; nothing was launched.`;
}

export type Report = (field: string, message: string) => void;

function checkEnum<T extends string>(
  value: unknown,
  field: string,
  allowed: readonly T[],
  isValid: (v: unknown) => v is T,
  aliases: Readonly<Record<string, T>>,
  problem: Report,
): T | undefined {
  const choices = allowed.map((a) => `"${a}"`).join(', ');
  if (value === undefined) {
    problem(field, `is required; one of ${choices}`);
    return undefined;
  }
  if (isValid(value)) return value;
  if (typeof value !== 'string') {
    problem(field, `must be one of ${choices} (got ${describeType(value)})`);
    return undefined;
  }
  const lower = value.toLowerCase();
  const alias = Object.hasOwn(aliases, lower) ? aliases[lower] : undefined;
  const hint = isValid(lower) ? `; values are lower-case, did you mean "${lower}"?` : alias ? `; did you mean "${alias}"?` : '';
  problem(field, `must be one of ${choices} (got ${quote(value)})${hint}`);
  return undefined;
}

function checkRegion(value: unknown, problem: Report): string | undefined {
  if (value === undefined) return DEFAULT_REGION;
  if (typeof value !== 'string') {
    problem('region', `must be an AWS region name like "${DEFAULT_REGION}" (got ${describeType(value)})`);
    return undefined;
  }
  if (!isKnownRegion(value)) {
    problem('region', `${quote(value)} is not an AWS region; use a region code like "${DEFAULT_REGION}" or "eu-west-1"`);
    return undefined;
  }
  return value;
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

/** Returns the id, or reports a problem and returns undefined. */
function checkId(value: unknown, field: string, pattern: RegExp, example: string, problem: Report): string | undefined {
  if (typeof value !== 'string' || !pattern.test(value)) {
    problem(field, `must be an id like "${example}" (got ${describeType(value)})`);
    return undefined;
  }
  return value;
}

/** An optional array of distinct ids, each matching the pattern. */
function checkIdList(
  value: unknown,
  field: string,
  pattern: RegExp,
  example: string,
  limit: { max: number; noun: string },
  problem: Report,
): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problem(field, `must be an array of ids like "${example}" (got ${describeType(value)})`);
    return undefined;
  }
  if (value.length > limit.max) {
    problem(field, `at most ${limit.max} ${limit.noun} (got ${value.length})`);
    return undefined;
  }
  const ids: string[] = [];
  let valid = true;
  // An index loop, not forEach: forEach skips the holes of a sparse array, which would drop them silently.
  for (let index = 0; index < value.length; index++) {
    const itemField = `${field}[${index}]`;
    const checked = checkId(value[index], itemField, pattern, example, problem);
    if (checked === undefined) {
      valid = false;
    } else if (ids.includes(checked)) {
      problem(itemField, `${checked} is listed twice`);
      valid = false;
    } else {
      ids.push(checked);
    }
  }
  return valid ? ids : undefined;
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

/** A duration field within bounds, or its default; reports a problem and returns undefined otherwise. */
export function checkDuration(
  value: unknown,
  field: string,
  fallback: number,
  bounds: { min: number; max: number },
  problem: Report,
): number | undefined {
  if (value === undefined) return fallback;
  const parsed = parseDuration(value);
  if (!parsed.ok) {
    problem(field, parsed.reason);
    return undefined;
  }
  const ms = Math.round(parsed.ms);
  if (ms < bounds.min || ms > bounds.max) {
    problem(field, `must be between ${formatDuration(bounds.min)} and ${formatDuration(bounds.max)} (got ${quote(value)})`);
    return undefined;
  }
  return ms;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
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
