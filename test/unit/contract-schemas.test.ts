/**
 * The request schemas in contract/ against the validators that are the authority: the schema accepts
 * every request the validator accepts (so a Go or CLI caller checking against it refuses nothing the
 * worker would run), and refuses every request the validator refuses on shape (types, enums, required
 * and unknown fields). Value rules the schema cannot hold (UTF-8 byte limits, duration grammar and
 * bounds, reserved tag prefixes, known regions) may pass the schema and are refused by the validator.
 *
 * The requests are those of the validator's unit suite (its tests run in this file, with
 * validateProvisionRequest recording each input) and of both fuzz suites (the same generator, seed
 * and counts).
 */
import {
  CATEGORIES,
  FUZZ_SEED,
  generateMalformedRequests,
  VALID_BASES,
  WORKFLOW_FUZZ_COUNT,
  WORKFLOW_HUGE_LENGTH,
  type Category,
} from '../support/malformed-requests';
import { validateReapRequest } from '../../src/common/validate-reap-request';
import type * as validateRequest from '../../src/common/validate-provision-request';
import { validateProvisionRequest } from '../../src/common/validate-provision-request';
import { validateInstanceStatusRequest } from '../../src/common/validate-instance-status-request';
import { validateTeardownRequest } from '../../src/common/validate-teardown-request';
import { compileContractSchema } from '../support/contract-schemas';
// Runs the validator's unit tests here too, recording every request they validate (see the mock).
import './validate-request.test';

const mockValidated: unknown[] = [];
jest.mock('../../src/common/validate-provision-request', () => {
  const actual = jest.requireActual<typeof validateRequest>('../../src/common/validate-provision-request');
  return {
    ...actual,
    validateProvisionRequest: (input: unknown) => {
      mockValidated.push(input);
      return actual.validateProvisionRequest(input);
    },
  };
});

/** The categories whose last mutation breaks the shape; the others break a value rule. */
const SHAPE_CATEGORIES: readonly Category[] = [
  'non-object',
  'missing-required',
  'wrong-type',
  'invalid-enum',
  'unknown-field',
  'case-mangled-field',
  'prototype-pollution',
  'nested-garbage',
];

/** Whether the value survives JSON unchanged: only such requests can reach the worker or a schema. */
function isJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every((item, i) => i in value && isJson(item));
  if (typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value).every(isJson);
}

const provisionSchema = compileContractSchema('provision-instance.request.schema.json');

function schemaErrors(input: unknown): string {
  return (provisionSchema.errors ?? []).map((e) => `${e.instancePath || '(request)'} ${e.message ?? ''}`).join('; ').slice(0, 300) || String(input);
}

describe('the provisionInstance request schema against validateProvisionRequest', () => {
  it('accepts every request the validator accepts in its unit suite', () => {
    const accepted = mockValidated.filter((input) => isJson(input) && validateProvisionRequest(input).ok);
    expect(accepted.length).toBeGreaterThan(40);
    const refused = accepted.filter((input) => !provisionSchema(input)).map(schemaErrors);
    expect(refused).toEqual([]);
  });

  it('refuses nothing the validator accepts, among the unit suite\'s requests', () => {
    const jsonInputs = mockValidated.filter(isJson);
    const wronglyRefused = jsonInputs.filter((input) => !provisionSchema(input) && validateProvisionRequest(input).ok);
    expect(wronglyRefused).toEqual([]);
  });

  it('accepts the requests the fuzz suites start from', () => {
    for (const base of VALID_BASES) {
      expect(validateProvisionRequest(base).ok).toBe(true);
      expect(provisionSchema(base) ? 'accepted' : schemaErrors(base)).toBe('accepted');
    }
  });

  it.each([
    ['unit', { seed: FUZZ_SEED, count: 100 * CATEGORIES.length }],
    ['workflow', { seed: FUZZ_SEED, count: WORKFLOW_FUZZ_COUNT, jsonOnly: true, hugeLength: WORKFLOW_HUGE_LENGTH }],
  ] as const)('refuses every malformed request of the %s fuzz suite that breaks the shape, and only what the validator refuses', (_suite, options) => {
    const requests = generateMalformedRequests(options).filter(({ input }) => isJson(input));
    expect(requests.length).toBeGreaterThan(500);
    const failures: string[] = [];
    for (const { index, category, label, input } of requests) {
      const schemaAccepts = provisionSchema(input);
      const validatorAccepts = validateProvisionRequest(input).ok;
      if (validatorAccepts) failures.push(`#${index} [${category}] ${label}: the validator accepts a malformed request`);
      else if (schemaAccepts && SHAPE_CATEGORIES.includes(category)) failures.push(`#${index} [${category}] ${label}: the schema accepts it`);
    }
    expect(failures).toEqual([]);
  });
});

describe('the other request schemas against their validators', () => {
  it.each<[string, unknown, boolean]>([
    ['an instance id', { instanceId: 'i-0123456789abcdef0' }, true],
    ['an instance id and region', { instanceId: 'i-01234567', region: 'eu-west-1' }, true],
    ['no instance id', { region: 'eu-west-1' }, false],
    ['an unknown field', { instanceId: 'i-0123456789abcdef0', force: true }, false],
    ['a number id', { instanceId: 42 }, false],
    ['a number region', { instanceId: 'i-0123456789abcdef0', region: 1 }, false],
    ['not an object', ['i-0123456789abcdef0'], false],
  ])('terminateInstance and getInstanceStatus, %s: schema and validator agree', (_name, input, valid) => {
    expect(validateTeardownRequest(input).ok).toBe(valid);
    expect(compileContractSchema('terminate-instance.request.schema.json')(input)).toBe(valid);
    expect(validateInstanceStatusRequest(input).ok).toBe(valid);
    expect(compileContractSchema('get-instance-status.request.schema.json')(input)).toBe(valid);
  });

  it.each<[string, unknown, boolean]>([
    ['no fields', {}, true],
    ['every field', { regions: ['us-east-1', 'eu-west-1'], gracePeriod: '30m', dryRun: true, openRunLimit: 10_800_000 }, true],
    ['an unknown field', { dryrun: true }, false],
    ['a string dryRun', { dryRun: 'yes' }, false],
    ['regions as a string', { regions: 'us-east-1' }, false],
    ['an empty regions list', { regions: [] }, false],
    ['a region named twice', { regions: ['us-east-1', 'us-east-1'] }, false],
    ['a boolean grace period', { gracePeriod: true }, false],
  ])('reapOrphans, %s: schema and validator agree', (_name, input, valid) => {
    expect(validateReapRequest(input).ok).toBe(valid);
    expect(compileContractSchema('reap-orphans.request.schema.json')(input)).toBe(valid);
  });
});
