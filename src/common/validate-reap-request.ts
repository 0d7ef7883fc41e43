/** Checks a `reapOrphans` request before anything touches AWS, and turns it into the reaper's spec. */
import { describeType, quote } from './durations';
import { checkBoolean, checkDuration, checkKnownFields, isPlainObject, listed, problemList, type Problem, type ProblemSubject, type Report } from './field-checks';
import { DEFAULT_OPEN_RUN_LIMIT_MS, DEFAULT_REAP_GRACE_MS, OPEN_RUN_LIMIT_BOUNDS_MS, REAP_GRACE_BOUNDS_MS, type ReapRequest } from './reaping';
import { isKnownRegion } from './regions';

export interface ReapSpec {
  /** Undefined: the worker's configured regions. */
  regions?: string[];
  graceMs: number;
  dryRun: boolean;
  openRunLimitMs: number;
}

export type ReapCheck = { ok: true; spec: ReapSpec } | { ok: false; problems: Problem[] };

export const REAP_REQUEST: ProblemSubject = { name: 'reapOrphans request', advice: 'Nothing was terminated.' };

const KNOWN_FIELDS: readonly (keyof ReapRequest)[] = ['regions', 'gracePeriod', 'dryRun', 'openRunLimit'];

export function validateReapRequest(input: unknown): ReapCheck {
  if (input === undefined || input === null) {
    return { ok: true, spec: { graceMs: DEFAULT_REAP_GRACE_MS, dryRun: false, openRunLimitMs: DEFAULT_OPEN_RUN_LIMIT_MS } };
  }
  const { problems, problem } = problemList();
  if (!isPlainObject(input)) {
    problem('(request)', `must be a JSON object (got ${describeType(input)})`);
    return { ok: false, problems };
  }
  checkKnownFields(input, KNOWN_FIELDS, problem);
  const regions = checkRegions(input.regions, problem);
  const graceMs = checkDuration(input.gracePeriod, 'gracePeriod', DEFAULT_REAP_GRACE_MS, REAP_GRACE_BOUNDS_MS, problem);
  const openRunLimitMs = checkDuration(input.openRunLimit, 'openRunLimit', DEFAULT_OPEN_RUN_LIMIT_MS, OPEN_RUN_LIMIT_BOUNDS_MS, problem);
  const dryRun = checkBoolean(input.dryRun, 'dryRun', false, problem);

  if (problems.length > 0 || graceMs === undefined || openRunLimitMs === undefined) return { ok: false, problems: listed(problems) };
  const spec: ReapSpec = { graceMs, dryRun, openRunLimitMs };
  if (regions !== undefined) spec.regions = regions;
  return { ok: true, spec };
}

/** Distinct AWS region codes; undefined when absent (the worker's regions) or wrong. */
function checkRegions(value: unknown, problem: Report): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    problem('regions', "must be a non-empty array of AWS region codes; omit it for the worker's regions");
    return undefined;
  }
  const regions: string[] = [];
  for (const region of value as unknown[]) {
    if (typeof region !== 'string' || !isKnownRegion(region)) problem('regions', `${quote(region)} is not an AWS region`);
    else if (regions.includes(region)) problem('regions', `${quote(region)} is named twice`);
    else regions.push(region);
  }
  return regions;
}
