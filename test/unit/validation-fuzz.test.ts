/**
 * Fuzz-style test of request validation: thousands of generated malformed requests (wrong types,
 * huge strings, unicode, nulls, nested garbage, unknown and prototype keys, non-object requests),
 * each refused with a short, bounded problem list and never an exception. The workflow test
 * (test/workflows/validation-fuzz.test.ts) sends the JSON-representable ones through provisionInstance.
 */
import { isDeepStrictEqual } from 'node:util';
import { describeProblems, MAX_PROBLEMS, type Problem } from '../../src/common/field-checks';
import { PROVISION_REQUEST, validateProvisionRequest } from '../../src/common/validate-provision-request';
import {
  CATEGORIES,
  FUZZ_SEED,
  generateMalformedRequests,
  VALID_BASES,
  WORKFLOW_FUZZ_COUNT,
  WORKFLOW_HUGE_LENGTH,
  type MalformedRequest,
} from '../support/malformed-requests';

/** 100 per category, JavaScript values outside JSON included. */
const UNIT_COUNT = 100 * CATEGORIES.length;
/** describeProblems and the problem list go into the InvalidSpec failure: they must stay small. */
const MAX_MESSAGE_BYTES = 4 * 1024;
const MAX_DETAILS_BYTES = 8 * 1024;

/** A failure description per input that is not refused cleanly; empty when all are. */
function refusalFailures(requests: readonly MalformedRequest[]): string[] {
  const failures: string[] = [];
  for (const { index, category, label, input, field } of requests) {
    const where = `#${index} [${category}] ${label}`;
    let check: ReturnType<typeof validateProvisionRequest>;
    try {
      check = validateProvisionRequest(input);
    } catch (error) {
      failures.push(`${where}: threw ${String(error)}`);
      continue;
    }
    if (check.ok) {
      failures.push(`${where}: accepted`);
      continue;
    }
    const problems: unknown = check.problems;
    if (!Array.isArray(problems) || problems.length === 0) {
      failures.push(`${where}: refused without problems`);
      continue;
    }
    const malformed = problems.filter(
      (p: Problem) => typeof p?.field !== 'string' || typeof p.message !== 'string' || p.message.length === 0,
    );
    if (malformed.length > 0) failures.push(`${where}: malformed problem ${JSON.stringify(malformed[0])}`);
    if (!reportsField(check.problems, field) && !isCutShort(check.problems)) {
      failures.push(`${where}: no problem on "${field}" (got ${check.problems.map((p) => p.field).join(', ').slice(0, 200)})`);
    }
    let message: string;
    try {
      message = describeProblems(PROVISION_REQUEST, check.problems);
    } catch (error) {
      failures.push(`${where}: describeProblems threw ${String(error)}`);
      continue;
    }
    const messageBytes = Buffer.byteLength(message, 'utf8');
    if (messageBytes > MAX_MESSAGE_BYTES) failures.push(`${where}: message of ${messageBytes} bytes`);
    const detailsBytes = Buffer.byteLength(JSON.stringify({ problems: check.problems }), 'utf8');
    if (detailsBytes > MAX_DETAILS_BYTES) failures.push(`${where}: problem list of ${detailsBytes} bytes as JSON`);
  }
  return failures;
}

/** A problem on the field itself, or on one of its parts ("tags.team", "subnetIds[1]"). */
function reportsField(problems: readonly Problem[], field: string): boolean {
  return problems.some((p) => p.field === field || p.field.startsWith(`${field}.`) || p.field.startsWith(`${field}[`));
}

/** The validator lists at most so many problems and says how many more there were. */
function isCutShort(problems: readonly Problem[]): boolean {
  return /more problems? not listed/.test(problems[problems.length - 1]?.message ?? '');
}

describe('validation fuzz: the generator', () => {
  it('starts from requests the validator accepts (the control)', () => {
    for (const base of VALID_BASES) {
      expect(validateProvisionRequest(JSON.parse(JSON.stringify(base)))).toMatchObject({ ok: true });
    }
  });

  it('is deterministic: the same seed gives the same inputs', () => {
    const summary = (requests: MalformedRequest[]) => requests.map((r) => [r.category, r.label, r.field, JSON.stringify(r.input)]);
    const options = { seed: 7, count: 300, jsonOnly: true, hugeLength: 20_000 };
    expect(summary(generateMalformedRequests(options))).toEqual(summary(generateMalformedRequests(options)));
  });

  it('makes only JSON-representable inputs when asked (what the workflow can receive)', () => {
    const requests = generateMalformedRequests({ seed: FUZZ_SEED, count: WORKFLOW_FUZZ_COUNT, jsonOnly: true, hugeLength: WORKFLOW_HUGE_LENGTH });
    const lossy = requests.filter((r) => !isJsonRoundTrip(r.input)).map((r) => `#${r.index} ${r.label}`);
    expect(lossy).toEqual([]);
  });
});

/** True when JSON.stringify then JSON.parse gives back an equal value (no undefined, NaN, -0, holes, classes). */
function isJsonRoundTrip(value: unknown): boolean {
  const text = JSON.stringify(value);
  if (text === undefined) return false;
  return isDeepStrictEqual(JSON.parse(text), value);
}

describe('validation fuzz: every malformed request is refused', () => {
  const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

  it(`refuses ${UNIT_COUNT} generated requests (${CATEGORIES.length} categories) with a short problem list, never an exception`, () => {
    const requests = generateMalformedRequests({ seed: FUZZ_SEED, count: UNIT_COUNT });
    expect(requests).toHaveLength(UNIT_COUNT);
    for (const category of CATEGORIES) {
      expect(requests.filter((r) => r.category === category).length).toBeGreaterThanOrEqual(100);
    }

    expectNone(refusalFailures(requests));
  });

  it(`refuses the ${WORKFLOW_FUZZ_COUNT} JSON-only requests the workflow test sends`, () => {
    const requests = generateMalformedRequests({ seed: FUZZ_SEED, count: WORKFLOW_FUZZ_COUNT, jsonOnly: true, hugeLength: WORKFLOW_HUGE_LENGTH });
    expectNone(refusalFailures(requests));
  });

  it('refuses id lists with holes instead of dropping the holes (found by this fuzzing)', () => {
    const sparse = (length: number, items: Record<number, string>) => Object.assign(new Array<unknown>(length), items);
    expect(validateProvisionRequest({ size: 'small', architecture: 'arm64', securityGroupIds: sparse(3, {}) })).toMatchObject({
      ok: false,
      problems: [{ field: 'securityGroupIds[0]' }, { field: 'securityGroupIds[1]' }, { field: 'securityGroupIds[2]' }],
    });
    expect(validateProvisionRequest({ size: 'small', architecture: 'arm64', subnetIds: sparse(2, { 1: 'subnet-0123abcd' }) })).toMatchObject({
      ok: false,
      problems: [{ field: 'subnetIds[0]', message: expect.stringContaining('(got undefined)') }],
    });
  });

  it('echoes a huge field name truncated and lists at most MAX_PROBLEMS problems (found by this fuzzing)', () => {
    const name = 'x'.repeat(1024 * 1024);
    const junk = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`junk${i}`, i]));
    const check = validateProvisionRequest({ size: 'small', architecture: 'arm64', [name]: 1, ...junk });

    expect(check.ok).toBe(false);
    const problems = check.ok ? [] : check.problems;
    expect(problems).toHaveLength(MAX_PROBLEMS);
    expect(problems[0]?.field).toBe(`${'x'.repeat(37)}...`);
    expect(problems[MAX_PROBLEMS - 1]).toEqual({ field: '(request)', message: '4992 more problems not listed; fix the ones above first' });
    expect(Buffer.byteLength(describeProblems(PROVISION_REQUEST, problems), 'utf8')).toBeLessThan(MAX_MESSAGE_BYTES);
  });

  it('leaves Object.prototype alone after "__proto__" and "constructor" keys', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

/** Fails with the count and the first few failures (not thousands of lines). */
function expectNone(failures: readonly string[]): void {
  expect({ failed: failures.length, first: failures.slice(0, 20) }).toEqual({ failed: 0, first: [] });
}
