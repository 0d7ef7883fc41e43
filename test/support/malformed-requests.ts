/**
 * A seeded, deterministic generator of malformed provision requests, for the fuzz tests of request
 * validation (test/unit/validation-fuzz.test.ts, test/workflows/validation-fuzz.test.ts).
 *
 * Each input starts from a valid request and applies mutations. Invalid by construction:
 * - every mutation leaves the request invalid by itself, whatever the other fields hold (it writes a
 *   value of the wrong type or out of range, adds a field the contract does not have, or removes a
 *   required one), and
 * - a mutation only removes or overwrites a field's value when it leaves an invalidity of its own,
 *   so the last mutation applied is never undone; `field` names where its problem must be reported.
 * The literal tables are checked against the contract's own enums and id formats when they are used
 * (`refuseValid`), so a typo in this file cannot turn a "malformed" input into a valid one.
 */
import { truncate } from '../../src/common/durations';
import { ARCHITECTURES, SIZES } from '../../src/common/instance-types';
import { AWS_REGIONS } from '../../src/common/regions';
import { RESERVED_TAG_PREFIX } from '../../src/common/tags';
import {
  MAX_SECURITY_GROUPS,
  MAX_SUBNETS,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
  MAX_USER_DATA_BYTES,
  SPOT_FALLBACKS,
} from '../../src/common/validate-provision-request';
import { EVERY_FIELD_REQUEST } from './requests';
import { mulberry32 } from '../../tools/seeded-random';

/** The seed both fuzz tests use; change it to explore, keep it fixed so a failure reproduces. */
export const FUZZ_SEED = 0x5eed_2026;
/** How many JSON-only requests the workflow test sends through provisionInstance. */
export const WORKFLOW_FUZZ_COUNT = 1_000;
/**
 * Huge strings in the workflow test: 128 Ki code points, far over every limit of the contract (16 KiB
 * of user data), while a request with three of them stays under the 2 MB payload limit of a Temporal
 * server (a 1 Mi-emoji string is 4 MB of JSON: the server, not the workflow, would refuse it).
 */
export const WORKFLOW_HUGE_LENGTH = 128 * 1024;

export const CATEGORIES = [
  'non-object',
  'missing-required',
  'wrong-type',
  'invalid-enum',
  'bad-id',
  'bad-number',
  'bad-duration',
  'bad-tags',
  'huge-string',
  'unicode',
  'unknown-field',
  'case-mangled-field',
  'prototype-pollution',
  'nested-garbage',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface MalformedRequest {
  index: number;
  category: Category;
  /** What was done, short enough for a failure message ("size <- number 42 + tags.team <- null"). */
  label: string;
  input: unknown;
  /**
   * The field the last mutation broke, as the validator names it. A problem on this field, or below
   * it ("tags.team", "securityGroupIds[2]"), must be reported unless the problem list was cut short.
   */
  field: string;
}

export interface MalformedRequestOptions {
  seed: number;
  count: number;
  /**
   * Only JSON-representable inputs (what the Go backend and the temporal CLI can send, and what the
   * workflow receives): no undefined, NaN, Infinity, -0, bigints, symbols, functions, class instances,
   * sparse arrays or null-prototype objects. @default false
   */
  jsonOnly?: boolean;
  /** Length of the huge strings, in UTF-16 code units. @default 1 MiB */
  hugeLength?: number;
}

/** Valid requests the mutations start from (the unit tests of the validator accept each). */
export const VALID_BASES: readonly Readonly<Record<string, unknown>>[] = [
  { size: 'small', architecture: 'arm64' },
  EVERY_FIELD_REQUEST,
  {
    size: 'medium',
    architecture: 'arm64',
    region: 'eu-west-1',
    spotInstance: true,
    subnetIds: ['subnet-bbbbbbbb', 'subnet-aaaaaaaa', 'subnet-0123456789abcdef0'],
  },
];

type Rng = () => number;
type Req = Record<string, unknown>;
interface Ctx {
  rng: Rng;
  json: boolean;
  huge: number;
}
interface Mutated {
  label: string;
  field: string;
}
type Mutation = (req: Req, ctx: Ctx) => Mutated;

function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(rng() * items.length)] as T;
}

/** Sets an own, enumerable data property, so "__proto__" is an ordinary key (as JSON.parse makes it). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short rendering of a value for labels: never the 1 MiB string itself. */
function show(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 24 ? `string(${value.length}) ${JSON.stringify(value.slice(0, 16))}...` : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `array(${value.length})`;
  if (value === null) return 'null';
  if (typeof value === 'object') return isPlainObject(value) ? `object(${Object.keys(value).length} keys)` : `${Object.prototype.toString.call(value)}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return typeof value;
  return Object.is(value, -0) ? '-0' : String(value);
}

/** The field name the validator reports for a top-level key or tag key. */
export function fieldOf(key: string): string {
  return truncate(key, 40);
}

// ---------------------------------------------------------------------------------------------
// Value tables
// ---------------------------------------------------------------------------------------------

const KNOWN_FIELDS = [
  'size', 'architecture', 'region', 'spotInstance', 'spotFallback', 'imageId', 'userData', 'tags',
  'subnetId', 'subnetIds', 'securityGroupIds', 'rootVolumeGiB', 'ipWaitTimeout', 'pollInterval',
] as const;
type Field = (typeof KNOWN_FIELDS)[number];
type Kind = 'enum' | 'region' | 'boolean' | 'id' | 'userData' | 'tags' | 'idList' | 'integer' | 'duration';
const KIND: Readonly<Record<Field, Kind>> = {
  size: 'enum',
  architecture: 'enum',
  region: 'region',
  spotInstance: 'boolean',
  spotFallback: 'enum',
  imageId: 'id',
  userData: 'userData',
  tags: 'tags',
  subnetId: 'id',
  subnetIds: 'idList',
  securityGroupIds: 'idList',
  rootVolumeGiB: 'integer',
  ipWaitTimeout: 'duration',
  pollInterval: 'duration',
};
const ENUMS: Readonly<Record<'size' | 'architecture' | 'spotFallback' | 'region', readonly string[]>> = {
  size: SIZES,
  architecture: ARCHITECTURES,
  spotFallback: SPOT_FALLBACKS,
  region: AWS_REGIONS,
};
const ID_PREFIX = { imageId: 'ami-', subnetId: 'subnet-', subnetIds: 'subnet-', securityGroupIds: 'sg-' } as const;
/** The AWS id format (prefix, then 8 or 17 lower-case hex digits), stated independently of the validator. */
const AWS_ID = /^(?:ami|subnet|sg)-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** Throws when a table entry meant to be invalid is a valid value: a bug in this generator. */
function refuseValid<T>(value: T, valid: (v: T) => boolean, what: string): T {
  if (valid(value)) throw new Error(`malformed-requests generator bug: ${show(value)} is a valid ${what}`);
  return value;
}

const NEAR_MISSES: Readonly<Record<'size' | 'architecture' | 'spotFallback' | 'region', readonly string[]>> = {
  size: [
    'Small', 'SMALL', 'sMall', 'MEDIUM', 'Large', 'xlarge', 'xl', 'tiny', 'micro', 'nano', 't3.small', 't4g.small',
    'c5.2xlarge', 'smal', 'smalll', 'small ', ' small', '\tsmall', 'small\n', 'small,medium', 'small|large', '', ' ',
    'null', 'undefined', '0', '1', 'S', 'M', 'L', '2xlarge', 'huge', 'med', 'medium-large', '"small"', "'small'",
  ],
  architecture: [
    'AMD64', 'Arm64', 'ARM64', 'x86_64', 'x86-64', 'x64', 'x86', 'i386', 'i686', 'aarch64', 'arm', 'ARM', 'arm32',
    'armv7', 'arm64e', 'amd', 'intel', 'graviton', '64', 'arm 64', 'arm_64', 'amd-64', '', ' arm64', 'amd64\n',
  ],
  spotFallback: [
    'On-Demand', 'ON-DEMAND', 'ondemand', 'on_demand', 'onDemand', 'on demand', 'None', 'NONE', 'null', 'spot',
    'fail', 'retry', 'true', 'false', '', ' none', 'none ', 'on-demand\n', 'on–demand',
  ],
  region: [
    'US-EAST-1', 'us-east1', 'useast1', 'us-east-1a', 'us-east-1 ', ' us-east-1', 'us_east_1', 'us-east-01', 'us-east-7',
    'eu-west-4', 'mars-north-1', 'global', 'aws-global', 'local', 'localhost', '', '-', 'us', 'virginia',
    'N. Virginia', 'us-east-1,us-west-2', 'arn:aws:ec2:us-east-1', 'https://ec2.us-east-1.amazonaws.com',
    'ec2.us-east-1.amazonaws.com', 'us-east-1\n', 'null',
  ],
};
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

/** Each is refused for both ipWaitTimeout (10s..1h) and pollInterval (1s..1m). */
const BAD_DURATION_STRINGS = [
  '', ' ', '\t', '0', '0s', '0ms', '999ms', '500ms', '0.5s', '.5s', '999', '2h', '61m', '1h1s', '3600001', '3600001ms',
  '90m', '-5s', '-5000', '+5s', '5 minutes', '5min', '5mins', '5sec', '5 seconds', '1d', '1w', '1y', '5S', '5M', '5H',
  '5MS', '1e3', '1e4ms', '0x2710', 'Infinity', 'NaN', '-Infinity', 'ms', 's', 'm', '5', '1.5.5s', '5s5', 's5', '5 s 5',
  '1,000ms', '10_000', '10000.', '1m30', 'P5M', 'PT5M', 'PT30S', '00:05:00', '5:00', 'null', 'undefined', 'true',
  '10s'.repeat(22), '1'.repeat(65), '9'.repeat(30), '５s', '5ｓ',
];
const BAD_DURATION_NUMBERS = [0, -1, -1000, 1, 500, 999, 999.4, 0.4, 3_600_001, 3_600_000.6, 7_200_000, 1e12, 1e308, -1e308, 5e-324];
const BAD_ROOT_VOLUMES = [7, 0, -1, -8, 1, 1025, 2048, 1e6, 20.5, 8.5, 1023.999, 7.9999, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 5e-324, 1024.0000001];
const NON_JSON_NUMBERS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0];

/** Unicode that has bitten parsers: bidi controls, zero-width, BOM, separators, control bytes, lone surrogates. */
const UNICODE_JUNK = [
  '\u202E', '\u200F', '\u200B', '\u200D', '\uFEFF', '\u00A0', '\u2028', '\u0000', '\u0007', '\u001B', '\uD800',
  '\uDFFF', '😀', '👩‍👩‍👧', '\u0301', 'ﷺ', '\u0665', '\u3000', '\uFFFD', '\u{10FFFF}',
];
/** The junk String.prototype.trim and the duration pattern's \s do not skip. */
const NON_SPACE_JUNK = UNICODE_JUNK.filter((c) => !/^\s+$/.test(c));
const HOMOGLYPHS: Readonly<Record<string, string>> = {
  a: 'а', e: 'е', o: 'о', c: 'с', p: 'р', s: 'ѕ', i: 'і', x: 'х', y: 'у', l: 'ӏ', m: 'м', d: 'ԁ', '-': '‐', '1': '１', '6': '６', '4': '４', '0': 'О',
};

const hugeCache = new Map<string, string>();
const HUGE_KINDS = ['ascii', 'emoji', 'rtl', 'zero-width', 'nul', 'surrogates', 'digits'] as const;
/** A string of about `ctx.huge` code units (at least `min` code points); built once per kind and length. */
function huge(ctx: Ctx, min = 0): { value: string; kind: string } {
  const kind = pick(ctx.rng, HUGE_KINDS);
  const length = Math.max(ctx.huge, min);
  const key = `${kind}:${length}`;
  let value = hugeCache.get(key);
  if (value === undefined) {
    const unit = { ascii: 'A', emoji: '😀', rtl: '\u202Eevil\u202C', 'zero-width': '\u200B', nul: '\u0000', surrogates: 'x\uD800', digits: '7' }[kind];
    // Enough repeats for `length` code points even when a unit is several code points long.
    value = unit.repeat(Math.ceil(length / Array.from(unit).length));
    hugeCache.set(key, value);
  }
  return { value, kind };
}

function hex(rng: Rng, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += '0123456789abcdef'[int(rng, 0, 15)];
  return text;
}

function validId(rng: Rng, prefix: string): string {
  return prefix + hex(rng, pick(rng, [8, 17]));
}

function distinctIds(rng: Rng, prefix: string, count: number): string[] {
  const ids = new Set<string>();
  while (ids.size < count) ids.add(validId(rng, prefix));
  return [...ids];
}

function validValue(field: Field, rng: Rng): unknown {
  switch (field) {
    case 'size':
    case 'architecture':
    case 'spotFallback':
      return pick(rng, ENUMS[field]);
    case 'region':
      return pick(rng, ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1']);
    case 'spotInstance':
      return rng() < 0.5;
    case 'imageId':
    case 'subnetId':
      return validId(rng, ID_PREFIX[field]);
    case 'subnetIds':
    case 'securityGroupIds':
      return [validId(rng, ID_PREFIX[field])];
    case 'userData':
      return '#!/bin/bash\necho hi\n';
    case 'tags':
      return { team: 'web' };
    case 'rootVolumeGiB':
      return 20;
    case 'ipWaitTimeout':
      return pick(rng, ['5m', '30s', 90_000]);
    case 'pollInterval':
      return pick(rng, ['5s', '1m', 2_000]);
  }
}

/** Some garbage: scalars, arrays and objects, a few levels deep, fresh each call. */
function garbage(ctx: Ctx, depth = 2): unknown {
  const { rng } = ctx;
  const scalars: unknown[] = [null, true, false, 0, -1, 3.14, 1e21, '', 'x', '💥', '\u0000', '<script>', "'; DROP TABLE", '${jndi:x}', '../../etc/passwd'];
  if (!ctx.json) scalars.push(undefined, Number.NaN, Number.POSITIVE_INFINITY, -0, 10n, Symbol('garbage'), () => 'garbage', new Date(0));
  if (depth <= 0 || rng() < 0.4) return pick(rng, scalars);
  if (rng() < 0.5) return Array.from({ length: int(rng, 1, 3) }, () => garbage(ctx, depth - 1));
  const object: Record<string, unknown> = {};
  for (let i = int(rng, 1, 3); i > 0; i--) put(object, pick(rng, ['a', 'size', '__proto__', 'constructor', '', '😀', `k${i}`]), garbage(ctx, depth - 1));
  return object;
}

/** A structure nested `depth` levels deep (arrays and objects), never empty at the top. */
function deep(ctx: Ctx, depth: number): unknown[] | Record<string, unknown> {
  let value: unknown = garbage(ctx, 0);
  for (let level = 0; level < depth; level++) {
    if (ctx.rng() < 0.5) value = [value];
    else {
      const wrapper: Record<string, unknown> = {};
      put(wrapper, pick(ctx.rng, ['a', 'size', 'tags', '__proto__', 'x'.repeat(int(ctx.rng, 1, 5))]), value);
      value = wrapper;
    }
  }
  if (Array.isArray(value) || (isPlainObject(value) && Object.keys(value).length > 0)) return value;
  return [value];
}

/** A value whose JavaScript type the field does not accept (the right type with a wrong value is elsewhere). */
function wrongType(field: Field, ctx: Ctx): unknown {
  const { rng } = ctx;
  const valid = validValue(field, rng);
  const kind = KIND[field];
  // Not {} for tags (no tags is valid) nor [] for the id lists (no security groups is valid).
  const candidates: unknown[] = [null, [valid], { value: valid }];
  if (kind !== 'tags') candidates.push({});
  if (kind !== 'idList') candidates.push([]);
  if (kind !== 'boolean') candidates.push(true, false);
  if (kind !== 'integer' && kind !== 'duration') candidates.push(0, 1, -1, 42, 1.5, 1e21);
  if (!['enum', 'region', 'id', 'userData', 'duration'].includes(kind)) {
    candidates.push('', 'true', typeof valid === 'string' ? valid : JSON.stringify(valid), '20', 'a=b');
  }
  if (kind === 'tags') candidates.push([['team', 'web']], [{ Key: 'team', Value: 'web' }]);
  if (kind === 'idList') candidates.push({ 0: validId(rng, ID_PREFIX[field as 'subnetIds']), length: 1 });
  if (kind === 'integer') candidates.push('20', '1e2', { GiB: 20 });
  if (kind === 'duration') candidates.push(['5s'], { seconds: 5 }, { ms: 5000 });
  if (!ctx.json) {
    candidates.push(10n, Symbol('x'), () => valid, new Date(0), new Map(), new Set([valid]), /x/);
    if (kind === 'enum' || kind === 'region' || kind === 'id' || kind === 'userData') candidates.push(new String(valid), ...NON_JSON_NUMBERS);
    if (kind === 'boolean') candidates.push(new Boolean(true), Number.NaN);
    if (kind === 'integer') candidates.push(new Number(20), 20n);
    if (kind === 'duration') candidates.push(new String('5s'), new Number(5000), 5000n);
    // Sparse arrays: a hole reads as undefined, not an id.
    if (kind === 'idList') candidates.push(new Array(2), Object.assign(new Array(2), { 1: valid }), Object.assign(Object.create(null), { 0: valid }));
    if (kind === 'tags') candidates.push(new Map([['team', 'web']]));
  }
  return candidates[int(rng, 0, candidates.length - 1)];
}

/** Upper-cases some letters (all fields are camelCase starting lower-case), or re-spells the name. */
function mangleName(rng: Rng, name: Field): string {
  const styles = [
    name.toUpperCase(),
    (name[0] ?? '').toUpperCase() + name.slice(1),
    name.toLowerCase(),
    name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
    Array.from(name, (c) => (rng() < 0.5 ? c.toUpperCase() : c)).join(''),
  ].filter((styled) => styled !== name && !(KNOWN_FIELDS as readonly string[]).includes(styled));
  return styles.length > 0 ? pick(rng, styles) : name.toUpperCase();
}

const UNKNOWN_KEYS = [
  'spot', 'instanceType', 'instance_type', 'ami', 'count', 'keyName', 'iamInstanceProfile', 'availabilityZone', 'sizes',
  'arch', 'regions', 'tag', 'subnet', 'securityGroups', 'security_group_ids', 'rootVolumeGB', 'timeout', 'dryRun',
  '', ' ', '0', '-1', 'null', 'undefined', 'size ', ' size', 'size.x', 'tags.team', 'securityGroupIds[0]', '$where',
  'a'.repeat(1000), 'x-amz-security-token',
];

function unknownKey(ctx: Ctx): string {
  const { rng } = ctx;
  const roll = rng();
  if (roll < 0.15) return huge(ctx).value;
  if (roll < 0.3) return pick(rng, PROTOTYPE_NAMES);
  if (roll < 0.45) return pick(rng, KNOWN_FIELDS) + pick(rng, UNICODE_JUNK);
  return pick(rng, UNKNOWN_KEYS);
}

function refuseKnown(key: string): string {
  return refuseValid(key, (k) => (KNOWN_FIELDS as readonly string[]).includes(k), 'field name');
}

/** Inserts one junk character into text, at any position. */
function insertJunk(rng: Rng, text: string, junk: readonly string[]): { value: string; char: string } {
  const char = pick(rng, junk);
  const at = int(rng, 0, text.length);
  return { value: text.slice(0, at) + char + text.slice(at), char };
}

/** Replaces one character that has a lookalike (every enum, region and id has one). */
function homoglyph(rng: Rng, text: string): string {
  const positions = Array.from(text, (c, i) => (HOMOGLYPHS[c] ? i : -1)).filter((i) => i >= 0);
  const at = pick(rng, positions);
  return text.slice(0, at) + (HOMOGLYPHS[text[at] ?? ''] ?? '') + text.slice(at + 1);
}

function codepoints(text: string): string {
  return Array.from(text, (c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Mutations, one table per category
// ---------------------------------------------------------------------------------------------

function setField(req: Req, field: string, value: unknown, what: string): Mutated {
  put(req, field, value);
  return { label: `${field} <- ${what}`, field: fieldOf(field) };
}

/** The tags object to add to: the request's own, or a fresh one when it holds something else. */
function tagsOf(req: Req): Record<string, unknown> {
  if (isPlainObject(req.tags)) return req.tags;
  const tags: Record<string, unknown> = {};
  put(req, 'tags', tags);
  return tags;
}

function addTag(req: Req, key: string, value: unknown, what: string): Mutated {
  put(tagsOf(req), key, value);
  return { label: `tags: ${what}`, field: 'tags' };
}

const missingRequired: Mutation = (req, ctx) => {
  const field = pick(ctx.rng, ['size', 'architecture']);
  if (!ctx.json && ctx.rng() < 0.5) return setField(req, field, undefined, 'undefined');
  delete req[field];
  return { label: `${field} removed`, field };
};

const wrongTypeMutation: Mutation = (req, ctx) => {
  const field = pick(ctx.rng, KNOWN_FIELDS);
  const value = wrongType(field, ctx);
  return setField(req, field, value, show(value));
};

const invalidEnum: Mutation = (req, ctx) => {
  const { rng } = ctx;
  const field = pick(rng, ['size', 'architecture', 'spotFallback', 'region'] as const);
  const allowed = ENUMS[field];
  const valid = pick(rng, field === 'region' ? ['us-east-1', 'eu-west-1', 'ap-northeast-1'] : allowed);
  const variants = [
    () => pick(rng, NEAR_MISSES[field]),
    () => pick(rng, NEAR_MISSES[field]),
    () => Array.from(valid, (c, i) => (i === 0 || rng() < 0.3 ? c.toUpperCase() : c)).join(''),
    () => pick(rng, [' ', '\t', '\n', '\r\n', '\u00A0']) + valid,
    () => valid + pick(rng, [' ', '\t', '\n', '\r\n', '.', ',', ';']),
    () => valid.slice(0, -1),
    () => valid + valid,
    () => `${valid},${pick(rng, allowed)}`,
    () => pick(rng, PROTOTYPE_NAMES),
  ];
  const value = refuseValid(pick(rng, variants)(), (v) => allowed.includes(v), field);
  return setField(req, field, value, show(value));
};

/** An id that is not an AWS id of the field's kind. */
function badId(ctx: Ctx, prefix: string): string {
  const { rng } = ctx;
  const id = validId(rng, prefix);
  const digits = id.slice(prefix.length);
  const variants = [
    () => prefix + hex(rng, pick(rng, [0, 1, 7, 9, 16, 18, 32])),
    () => {
      const withLetter = digits.replace(/^./, pick(rng, ['a', 'b', 'c', 'd', 'e', 'f']));
      return prefix + withLetter.toUpperCase();
    },
    () => {
      const at = int(rng, 0, digits.length - 1);
      return prefix + digits.slice(0, at) + pick(rng, ['g', 'z', 'G', '-', '_', ' ', '.', 'x']) + digits.slice(at + 1);
    },
    () => pick(rng, ['ami-', 'subnet-', 'sg-', 'i-', 'vpc-', 'eni-', 'AMI-', 'Subnet-', 'SG-', 'ami_', 'ami', 'sg--', '-'].filter((p) => p !== prefix)) + digits,
    () => pick(rng, [' ', '\t']) + id,
    () => id + pick(rng, [' ', '\n', '\r\n', '\t']),
    () => pick(rng, ['', prefix, prefix.toUpperCase(), 'none', 'default', 'null']),
    () => `arn:aws:ec2:us-east-1:123456789012:${prefix.slice(0, -1)}/${id}`,
    () => `${id}${pick(rng, [',', ' ', ';'])}${validId(rng, prefix)}`,
    () => insertJunk(rng, id, UNICODE_JUNK).value,
  ];
  return refuseValid(pick(rng, variants)(), (v) => AWS_ID.test(v) && v.startsWith(prefix), `${prefix} id`);
}

const badIdMutation: Mutation = (req, ctx) => {
  const { rng } = ctx;
  const field = pick(rng, ['imageId', 'subnetId', 'subnetIds', 'securityGroupIds'] as const);
  const prefix = ID_PREFIX[field];
  if (field === 'imageId' || field === 'subnetId') {
    const value = badId(ctx, prefix);
    return setField(req, field, value, show(value));
  }
  const max = field === 'subnetIds' ? MAX_SUBNETS : MAX_SECURITY_GROUPS;
  if (!ctx.json && rng() < 0.25) {
    // A sparse array (a JavaScript caller's `new Array(n)`): a hole is not an id, however forEach sees it.
    const ids = distinctIds(rng, prefix, int(rng, 1, max));
    const hole = int(rng, 0, ids.length - 1);
    const sparse: unknown[] = new Array(ids.length);
    ids.forEach((id, i) => {
      if (i !== hole) sparse[i] = id;
    });
    return setField(req, field, sparse, `${ids.length} ids with a hole at [${hole}]`);
  }
  const roll = rng();
  if (roll < 0.4) {
    const ids: unknown[] = distinctIds(rng, prefix, int(rng, 0, max - 1));
    const value = badId(ctx, prefix);
    ids.splice(int(rng, 0, ids.length), 0, value);
    return setField(req, field, ids, `[..., ${show(value)}, ...]`);
  }
  if (roll < 0.6) {
    const ids = distinctIds(rng, prefix, int(rng, 1, max - 1));
    ids.splice(int(rng, 0, ids.length), 0, pick(rng, ids));
    return setField(req, field, ids, `${ids.length} ids, one twice`);
  }
  if (roll < 0.8) {
    const ids = distinctIds(rng, prefix, int(rng, max + 1, max * 3));
    return setField(req, field, ids, `${ids.length} ids (at most ${max})`);
  }
  if (field === 'subnetIds' && roll < 0.9) return setField(req, field, [], '[]');
  // Both spellings of the subnets: refused even when each is well-formed.
  put(req, 'subnetId', validId(rng, 'subnet-'));
  put(req, 'subnetIds', [validId(rng, 'subnet-')]);
  return { label: 'subnetId and subnetIds both given', field: 'subnetIds' };
};

const badNumber: Mutation = (req, ctx) => {
  const pool = ctx.json ? BAD_ROOT_VOLUMES : [...BAD_ROOT_VOLUMES, ...NON_JSON_NUMBERS];
  const value = pick(ctx.rng, pool);
  return setField(req, 'rootVolumeGiB', value, show(value));
};

const badDuration: Mutation = (req, ctx) => {
  const { rng } = ctx;
  const field = pick(rng, ['ipWaitTimeout', 'pollInterval']);
  const roll = rng();
  let value: unknown;
  if (roll < 0.55) value = pick(rng, BAD_DURATION_STRINGS);
  else if (roll < 0.85 || ctx.json) value = pick(rng, BAD_DURATION_NUMBERS);
  else value = pick(rng, NON_JSON_NUMBERS);
  return setField(req, field, value, show(value));
};

const badTags: Mutation = (req, ctx) => {
  const { rng } = ctx;
  const roll = rng();
  if (roll < 0.2) {
    const key = pick(rng, ['team', 'owner', 'Name', 'env', 'constructor', 'toString']);
    const value = pick<unknown>(rng, ctx.json ? [0, 1, true, false, null, [], ['web'], {}, { v: 'web' }] : [0, null, undefined, Number.NaN, 10n, ['web'], () => 'web', new String('web')]);
    return addTag(req, key, value, `${key} <- ${show(value)}`);
  }
  if (roll < 0.3) return addTag(req, '', 'x', 'empty key');
  if (roll < 0.45) {
    const unit = pick(rng, ['k', '😀', 'e\u0301', '👩‍👩‍👧‍👦', '字', '\u200B']);
    const key = unit.repeat(Math.ceil((MAX_TAG_KEY_LENGTH + int(rng, 1, 200)) / Array.from(unit).length));
    return addTag(req, key, 'x', `key of ${Array.from(key).length} code points (${codepoints(unit)})`);
  }
  if (roll < 0.6) {
    const unit = pick(rng, ['v', '😀', '€', '\u0000', '\u202E']);
    const value = unit.repeat(MAX_TAG_VALUE_LENGTH + int(rng, 1, 500));
    return addTag(req, pick(rng, ['team', 'Name']), value, `value of ${Array.from(value).length} code points`);
  }
  if (roll < 0.75) {
    const key = pick(rng, ['aws:owner', 'AWS:Owner', 'Aws:x', 'aWs:cloudformation:stack-name', 'aws:']);
    return addTag(req, key, 'me', `reserved key ${show(key)}`);
  }
  if (roll < 0.87) {
    const key = pick(rng, [`${RESERVED_TAG_PREFIX}managed`, `${RESERVED_TAG_PREFIX.toUpperCase()}RUN-ID`, RESERVED_TAG_PREFIX, `Stagely:workflow-id`]);
    return addTag(req, key, 'false', `reserved key ${show(key)}`);
  }
  // More than EC2 leaves for the caller: with "Name" and the existing tags, over MAX_TAGS.
  const tags = tagsOf(req);
  const extra = int(rng, MAX_TAGS, MAX_TAGS * 4);
  for (let i = 1; i <= extra; i++) put(tags, `fuzz-tag-${i}`, `value-${i}`);
  return { label: `tags: ${extra} more tags`, field: 'tags' };
};

const hugeString: Mutation = (req, ctx) => {
  const { rng } = ctx;
  const target = pick(rng, [
    'size', 'architecture', 'region', 'spotFallback', 'imageId', 'subnetId', 'userData', 'ipWaitTimeout', 'pollInterval',
    'spotInstance', 'rootVolumeGiB', 'securityGroupIds', 'subnetIds', 'tag key', 'tag value', 'unknown key', 'user data over 16 KiB',
  ] as const);
  const { value, kind } = huge(ctx, MAX_USER_DATA_BYTES + 1);
  const what = `${kind} string of ${value.length} code units`;
  switch (target) {
    case 'securityGroupIds':
    case 'subnetIds':
      return setField(req, target, [value], `[${what}]`);
    case 'tag key':
      return addTag(req, value, 'x', `key: ${what}`);
    case 'tag value':
      return addTag(req, 'team', value, `value: ${what}`);
    case 'unknown key':
      put(req, refuseKnown(value), garbage(ctx));
      return { label: `unknown key: ${what}`, field: fieldOf(value) };
    case 'user data over 16 KiB': {
      // Just over EC2's limit, counted in UTF-8 bytes: ASCII, 2-, 3- and 4-byte characters, lone surrogates (3 bytes as U+FFFD).
      const [unit, bytes] = pick(rng, [['a', 1], ['é', 2], ['€', 3], ['😀', 4], ['\uD800', 3]] as const);
      const data = unit.repeat(Math.floor(MAX_USER_DATA_BYTES / bytes) + 1);
      return setField(req, 'userData', data, `${data.length} code units of ${codepoints(unit)}`);
    }
    default:
      return setField(req, target, value, what);
  }
};

const unicode: Mutation = (req, ctx) => {
  const { rng } = ctx;
  const target = pick(rng, ['size', 'architecture', 'spotFallback', 'region', 'imageId', 'subnetId', 'securityGroupIds', 'ipWaitTimeout', 'pollInterval', 'field name'] as const);
  if (target === 'field name') {
    const name = pick(rng, KNOWN_FIELDS);
    const key = refuseKnown(rng() < 0.5 ? insertJunk(rng, name, UNICODE_JUNK).value : homoglyph(rng, name));
    put(req, key, validValue(name, rng));
    return { label: `field name ${codepoints(key)}`, field: fieldOf(key) };
  }
  if (target === 'ipWaitTimeout' || target === 'pollInterval') {
    const valid = String(validValue(target, rng));
    const value = rng() < 0.7 ? insertJunk(rng, valid, NON_SPACE_JUNK).value : valid.replace(/\d/g, (d) => String.fromCodePoint(0xff10 + Number(d)));
    return setField(req, target, value, codepoints(value));
  }
  const valid = target === 'securityGroupIds' ? validId(rng, 'sg-') : String(validValue(target, rng));
  const value = rng() < 0.6 ? insertJunk(rng, valid, UNICODE_JUNK).value : homoglyph(rng, valid);
  refuseValid(value, (v) => AWS_ID.test(v) || Object.values(ENUMS).some((allowed) => allowed.includes(v)), 'value');
  return setField(req, target, target === 'securityGroupIds' ? [value] : value, codepoints(value));
};

const unknownField: Mutation = (req, ctx) => {
  const key = refuseKnown(unknownKey(ctx));
  const value = ctx.rng() < 0.3 ? validValue(pick(ctx.rng, KNOWN_FIELDS), ctx.rng) : garbage(ctx);
  put(req, key, value);
  return { label: `unknown field ${show(key)} <- ${show(value)}`, field: fieldOf(key) };
};

const caseMangled: Mutation = (req, ctx) => {
  const { rng } = ctx;
  const present = KNOWN_FIELDS.filter((f) => Object.hasOwn(req, f));
  const name = present.length > 0 && rng() < 0.7 ? pick(rng, present) : pick(rng, KNOWN_FIELDS);
  const value = Object.hasOwn(req, name) ? req[name] : validValue(name, rng);
  const key = refuseKnown(mangleName(rng, name));
  // Removing the original leaves the mangled key, an unknown field, so the request stays invalid.
  delete req[name];
  put(req, key, value);
  return { label: `${name} spelled ${show(key)}`, field: fieldOf(key) };
};

const prototypePollution: Mutation = (req, ctx) => {
  const { rng } = ctx;
  const payload = (): unknown => pick(rng, [{ polluted: 'yes' }, { size: 'small', architecture: 'arm64' }, { prototype: { polluted: 'yes' } }, null, [], 'polluted']);
  const roll = rng();
  if (roll < 0.45) {
    const key = pick(rng, ['__proto__', 'constructor', 'prototype', '__defineGetter__', '__lookupGetter__']);
    const value = key === 'constructor' ? { prototype: { polluted: 'yes' } } : payload();
    put(req, key, value);
    return { label: `own key ${key} <- ${show(value)}`, field: key };
  }
  if (roll < 0.75) {
    // Object values: tag values must be strings, so "__proto__": {...} is refused like any other.
    const key = pick(rng, ['__proto__', 'constructor', 'prototype', 'hasOwnProperty']);
    const value = pick(rng, [{ polluted: 'yes' }, { prototype: { polluted: 'yes' } }, null, ['polluted']]);
    return addTag(req, key, value, `own key ${key} <- ${show(value)}`);
  }
  const field = pick(rng, ['size', 'architecture', 'spotFallback', 'region'] as const);
  const value = pick(rng, PROTOTYPE_NAMES);
  return setField(req, field, value, show(value));
};

const nestedGarbage: Mutation = (req, ctx) => {
  const { rng } = ctx;
  const roll = rng();
  if (roll < 0.15) {
    // Wide: thousands of bad tag values (one problem each).
    const tags = tagsOf(req);
    const count = int(rng, 100, 5_000);
    for (let i = 0; i < count; i++) put(tags, `t${i}`, garbage(ctx, 1));
    // A string value from garbage() would be a valid tag; make sure one value is not a string.
    put(tags, 'not-a-string', [1]);
    return { label: `tags: ${count} garbage values`, field: 'tags' };
  }
  if (roll < 0.3) {
    // Wide: thousands of unknown fields (one problem each).
    const count = int(rng, 100, 5_000);
    for (let i = 0; i < count; i++) put(req, `junk${i}`, garbage(ctx, 1));
    return { label: `${count} unknown fields`, field: 'junk0' };
  }
  const depth = int(rng, 2, ctx.json ? 200 : 2_000);
  const field = pick(rng, KNOWN_FIELDS);
  const kind = KIND[field];
  const nested = deep(ctx, depth);
  if (kind === 'tags') return addTag(req, 'nested', nested, `nested ${depth} deep`);
  return setField(req, field, kind === 'idList' ? [nested] : nested, `nested ${depth} deep`);
};

const MUTATIONS: Readonly<Record<Exclude<Category, 'non-object'>, Mutation>> = {
  'missing-required': missingRequired,
  'wrong-type': wrongTypeMutation,
  'invalid-enum': invalidEnum,
  'bad-id': badIdMutation,
  'bad-number': badNumber,
  'bad-duration': badDuration,
  'bad-tags': badTags,
  'huge-string': hugeString,
  unicode,
  'unknown-field': unknownField,
  'case-mangled-field': caseMangled,
  'prototype-pollution': prototypePollution,
  'nested-garbage': nestedGarbage,
};

/** Not an object at all: JSON scalars and arrays, and (outside JSON) what a JavaScript caller might pass. */
function nonObject(ctx: Ctx, base: Req): { input: unknown; label: string } {
  const { rng } = ctx;
  const candidates: [string, () => unknown][] = [
    ['null', () => null],
    ['true', () => true],
    ['false', () => false],
    ['0', () => 0],
    ['42', () => 42],
    ['-1.5', () => -1.5],
    ['1e308', () => 1e308],
    ['""', () => ''],
    ['"small"', () => 'small'],
    ['the request as a JSON string (double-encoded)', () => JSON.stringify(base)],
    ['a query string', () => 'size=small&architecture=arm64'],
    ['a huge string', () => huge(ctx).value],
    ['[]', () => []],
    ['[request]', () => [base]],
    ['[request, request]', () => [base, base]],
    ['entries', () => Object.entries(base)],
    ['a deep array', () => [deep(ctx, int(rng, 2, 100))]],
    ['an array of garbage', () => Array.from({ length: int(rng, 1, 20) }, () => garbage(ctx))],
  ];
  if (!ctx.json) {
    candidates.push(
      ['undefined', () => undefined],
      ['NaN', () => Number.NaN],
      ['Infinity', () => Number.POSITIVE_INFINITY],
      ['-0', () => -0],
      ['a bigint', () => 10n],
      ['a symbol', () => Symbol('request')],
      ['a function', () => () => base],
      ['a Date', () => new Date(0)],
      ['a Map of the fields', () => new Map(Object.entries(base))],
      ['a Set', () => new Set([base])],
      ['a RegExp', () => /small/],
      ['a boxed string', () => new String(JSON.stringify(base))],
      ['a boxed number', () => new Number(1)],
      ['an Error', () => new Error('request')],
      ['a Promise of the request', () => Promise.resolve(base)],
      ['a Uint8Array', () => new Uint8Array(4)],
      ['an object inheriting the fields', () => Object.create(base)],
      ['a sparse array', () => new Array(3)],
    );
  }
  const [label, make] = pick(rng, candidates);
  return { input: make(), label };
}

const FIELD_CATEGORIES = Object.keys(MUTATIONS) as (keyof typeof MUTATIONS)[];

/**
 * `count` malformed requests, the categories in turn. About a third carry one or two more
 * mutations before the category's own, so problems also come in combination.
 */
export function generateMalformedRequests(options: MalformedRequestOptions): MalformedRequest[] {
  const ctx: Ctx = { rng: mulberry32(options.seed), json: options.jsonOnly ?? false, huge: options.hugeLength ?? 1024 * 1024 };
  if (ctx.huge <= MAX_USER_DATA_BYTES) throw new Error('hugeLength must exceed every length limit (16 KiB)');
  const requests: MalformedRequest[] = [];
  for (let index = 0; index < options.count; index++) {
    const category = CATEGORIES[index % CATEGORIES.length] ?? 'non-object';
    const req: Req = JSON.parse(JSON.stringify(pick(ctx.rng, VALID_BASES))) as Req;
    if (category === 'non-object') {
      const { input, label } = nonObject(ctx, req);
      requests.push({ index, category, label, input, field: '(request)' });
      continue;
    }
    const labels: string[] = [];
    if (ctx.rng() < 0.33) {
      for (let extra = int(ctx.rng, 1, 2); extra > 0; extra--) labels.push(MUTATIONS[pick(ctx.rng, FIELD_CATEGORIES)](req, ctx).label);
    }
    const last = MUTATIONS[category](req, ctx);
    labels.push(last.label);
    // Outside JSON, sometimes a prototype-less object (valid in itself, as some JSON parsers build).
    const input = !ctx.json && ctx.rng() < 0.1 ? Object.assign(Object.create(null) as Req, req) : req;
    requests.push({ index, category, label: labels.join(' + '), input, field: last.field });
  }
  return requests;
}
