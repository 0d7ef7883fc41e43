/**
 * The checks every request validator shares (validate-provision-request.ts, validate-teardown-request.ts,
 * validate-instance-status-request.ts, validate-reap-request.ts), and the one shape their problems take.
 *
 * Input arrives as untrusted JSON from the backend, the `temporal` CLI or a Schedule, so each check
 * reports what is wrong with its field and the validator goes on, so that every problem is reported at
 * once (up to MAX_PROBLEMS). Whatever the input, the answer stays short: names and values are echoed
 * truncated.
 */
import { describeType, formatDuration, parseDuration, quote, truncate } from './durations';
import { DEFAULT_REGION, isKnownRegion } from './regions';

/** One thing wrong with a request; InvalidSpec failures carry a list of them (`details[0].problems`). */
export interface Problem {
  /** The offending field, as the caller spelled it ("tags.aws:owner", "securityGroupIds[1]"). */
  field: string;
  message: string;
}

/** Records a problem; checks call it and go on. */
export type Report = (field: string, message: string) => void;

/** What a list of problems is about, as describeProblems words it. */
export interface ProblemSubject {
  /** What was refused: "provision request". */
  name: string;
  /** The sentence that ends the description: what to do, and that nothing was done. */
  advice: string;
}

/**
 * Problems listed at most; the last then says how many more there were. A request of thousands of
 * bad fields or tags still gets a short message and a small InvalidSpec failure.
 */
export const MAX_PROBLEMS = 10;

/** An empty problem list and the Report that adds to it. */
export function problemList(): { problems: Problem[]; problem: Report } {
  const problems: Problem[] = [];
  return { problems, problem: (field, message) => void problems.push({ field, message }) };
}

/** The first MAX_PROBLEMS - 1 problems and a count of the rest, when there are more than MAX_PROBLEMS. */
export function listed(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const rest = problems.length - (MAX_PROBLEMS - 1);
  return [...problems.slice(0, MAX_PROBLEMS - 1), { field: '(request)', message: `${rest} more problems not listed; fix the ones above first` }];
}

/** One line a person can act on, naming every problem. */
export function describeProblems(subject: ProblemSubject, problems: readonly Problem[]): string {
  const list = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return `Invalid ${subject.name} (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${list}. ${subject.advice}`;
}

/**
 * A caller's field or tag name as problems name it: at most 40 characters. Only the start of a huge
 * name is looked at (84 UTF-16 units hold more than 40 code points), so a 1 MB name costs nothing.
 */
export function fieldName(name: string): string {
  return truncate(name.length > 84 ? name.slice(0, 84) : name, 40);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Refuses fields the request does not have: a typo must not silently fall back to a default. A name
 * that differs from a known one only in case gets a hint.
 */
export function checkKnownFields(input: Record<string, unknown>, known: readonly string[], problem: Report): void {
  for (const key of Object.keys(input)) {
    if (known.includes(key)) continue;
    const meant = known.find((name) => name.toLowerCase() === key.toLowerCase());
    problem(
      fieldName(key),
      meant ? `unknown field; field names are case-sensitive, did you mean "${meant}"?` : `unknown field; allowed fields are ${known.join(', ')}`,
    );
  }
}

/** One of `allowed`; a wrong case or a known alias gets a hint. */
export function checkEnum<T extends string>(
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

/** An optional `region`; DEFAULT_REGION when absent. */
export function checkRegion(value: unknown, problem: Report): string | undefined {
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

/** An optional true or false; `fallback` when absent. */
export function checkBoolean(value: unknown, field: string, fallback: boolean, problem: Report): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  problem(field, `must be true or false (got ${describeType(value)})`);
  return fallback;
}

/** An EC2 instance id: "i-" and 8 or 17 hex digits. */
export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** An instance and its region: what the teardown and the status call take. */
export interface InstanceRequest {
  instanceId: string;
  region: string;
}

/**
 * Checks `{instanceId, region?}` (validate-teardown-request.ts, validate-instance-status-request.ts):
 * the request, or every problem found; `region` defaults to DEFAULT_REGION.
 */
export function checkInstanceRequest(input: unknown): { ok: true; request: InstanceRequest } | { ok: false; problems: Problem[] } {
  const { problems, problem } = problemList();
  if (!isPlainObject(input)) {
    problem('(request)', `must be a JSON object with "instanceId" (got ${describeType(input)})`);
    return { ok: false, problems };
  }
  checkKnownFields(input, ['instanceId', 'region'], problem);
  const instanceId =
    input.instanceId === undefined
      ? (problem('instanceId', 'is required'), undefined)
      : checkId(input.instanceId, 'instanceId', INSTANCE_ID, 'i-0123456789abcdef0', problem);
  const region = checkRegion(input.region, problem);
  if (problems.length > 0 || instanceId === undefined || region === undefined) return { ok: false, problems: listed(problems) };
  return { ok: true, request: { instanceId, region } };
}

/** Returns the id, or reports a problem and returns undefined. */
export function checkId(value: unknown, field: string, pattern: RegExp, example: string, problem: Report): string | undefined {
  if (typeof value !== 'string' || !pattern.test(value)) {
    problem(field, `must be an id like "${example}" (got ${describeType(value)})`);
    return undefined;
  }
  return value;
}

/** An optional array of distinct ids, each matching the pattern. */
export function checkIdList(
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

/** An optional duration ("5s" or milliseconds) within bounds, in whole milliseconds; `fallback` when absent. */
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
    problem(field, `must be between ${bound(bounds.min)} and ${bound(bounds.max)} (got ${quote(value)})`);
    return undefined;
  }
  return ms;
}

/** A bound as messages print it: "0" rather than "0ms" for none. */
function bound(ms: number): string {
  return ms === 0 ? '0' : formatDuration(ms);
}
