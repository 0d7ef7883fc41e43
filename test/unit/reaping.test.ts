import { CLEANUP, LAUNCH } from '../../src/workflows/activity-profiles';
import { parseDuration } from '../../src/common/durations';
import { describeProblems, MAX_PROBLEMS } from '../../src/common/field-checks';
import { IP_WAIT_TIMEOUT_BOUNDS_MS } from '../../src/common/validate-provision-request';
import {
  DEFAULT_OPEN_RUN_LIMIT_MS,
  DEFAULT_REAP_GRACE_MS,
  reapDecision,
  RETENTION_MARGIN_MS,
  runRefFromTags,
  type ReapFacts,
  type RunStatus,
} from '../../src/common/reaping';
import { REAP_REQUEST, validateReapRequest } from '../../src/common/validate-reap-request';
import { awsSettings } from '../../src/worker/settings';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const GRACE = 30 * 60_000;
const RETENTION = 72 * HOUR;
const RUN_ID = '0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

/** An instance launched `ageMs` ago whose run has `runStatus`. */
function facts(runStatus: RunStatus, ageMs: number, extra: Partial<ReapFacts> = {}): ReapFacts {
  return { launchTime: new Date(NOW - ageMs).toISOString(), runStatus, now: NOW, graceMs: GRACE, retentionMs: RETENTION, ...extra };
}

describe('reapDecision', () => {
  it.each<[RunStatus, string]>([
    ['FAILED', 'run-failed'],
    ['CANCELLED', 'run-cancelled'],
    ['TERMINATED', 'run-terminated'],
    ['TIMED_OUT', 'run-timed-out'],
    ['NOT_FOUND', 'run-unknown'],
    ['NO_RUN_TAGS', 'no-run-tags'],
  ])('reaps an instance past the grace period whose run is %s', (status, code) => {
    const decision = reapDecision(facts(status, 2 * HOUR));
    expect(decision).toMatchObject({ reap: true, code });
    expect(decision.reason).toContain('launched 2h ago (grace period 30m)');
  });

  it.each<[RunStatus, string]>([
    ['COMPLETED', 'run-completed'],
    ['RUNNING', 'run-open'],
    ['PAUSED', 'run-open'],
    ['CONTINUED_AS_NEW', 'run-continued-as-new'],
    ['UNSPECIFIED', 'status-unclear'],
    ['UNKNOWN', 'status-unclear'],
  ])('keeps an instance of any age whose run is %s', (status, code) => {
    for (const age of [0, 2 * HOUR, 365 * 24 * HOUR]) {
      expect(reapDecision(facts(status, age))).toMatchObject({ reap: false, code });
    }
  });

  it('keeps an instance whose run completed even without a launch time or grace period', () => {
    expect(reapDecision(facts('COMPLETED', 0, { launchTime: undefined, graceMs: 0 }))).toMatchObject({ reap: false, code: 'run-completed' });
  });

  it('counts the grace period from launch: kept one millisecond before it ends, reaped when it ends', () => {
    expect(reapDecision(facts('FAILED', GRACE - 1))).toMatchObject({ reap: false, code: 'within-grace' });
    expect(reapDecision(facts('FAILED', GRACE))).toMatchObject({ reap: true, code: 'run-failed' });
    expect(reapDecision(facts('NOT_FOUND', GRACE - 1))).toMatchObject({ reap: false, code: 'within-grace' });
    expect(reapDecision(facts('NO_RUN_TAGS', GRACE - 1))).toMatchObject({ reap: false, code: 'within-grace' });
  });

  it('reaps at once with a zero grace period, and treats a launch time in the future as age zero', () => {
    expect(reapDecision(facts('CANCELLED', 0, { graceMs: 0 }))).toMatchObject({ reap: true });
    expect(reapDecision(facts('CANCELLED', -5 * 60_000, { graceMs: 60_000 }))).toMatchObject({ reap: false, code: 'within-grace' });
  });

  it('accepts the launch time as epoch milliseconds', () => {
    expect(reapDecision(facts('FAILED', 0, { launchTime: NOW - HOUR }))).toMatchObject({ reap: true });
  });

  it('keeps an orphan candidate whose launch time EC2 did not report', () => {
    for (const launchTime of [undefined, 'yesterday']) {
      expect(reapDecision(facts('FAILED', 0, { launchTime }))).toMatchObject({ reap: false, code: 'launch-time-unknown' });
    }
  });

  it('keeps an instance whose run is missing once its history could have expired with the retention period', () => {
    const limit = RETENTION - RETENTION_MARGIN_MS;
    expect(reapDecision(facts('NOT_FOUND', limit - 1))).toMatchObject({ reap: true, code: 'run-unknown' });
    expect(reapDecision(facts('NOT_FOUND', limit))).toMatchObject({ reap: false, code: 'run-may-have-expired' });
    expect(reapDecision(facts('NOT_FOUND', 30 * 24 * HOUR))).toMatchObject({ reap: false, code: 'run-may-have-expired' });
    // A closed run's status is final; retention does not matter for it.
    expect(reapDecision(facts('FAILED', 30 * 24 * HOUR))).toMatchObject({ reap: true, code: 'run-failed' });
  });

  it('keeps an instance whose run is missing when the retention period is unknown', () => {
    const { retentionMs: _, ...noRetention } = facts('NOT_FOUND', 2 * HOUR);
    expect(reapDecision(noRetention)).toMatchObject({ reap: false, code: 'run-may-have-expired' });
  });

  it('keeps an instance whose run is missing when its workflow ID tag may have been cut at 256 characters', () => {
    expect(reapDecision(facts('NOT_FOUND', 2 * HOUR, { workflowId: 'w'.repeat(256) }))).toMatchObject({ reap: false, code: 'workflow-id-truncated' });
    expect(reapDecision(facts('NOT_FOUND', 2 * HOUR, { workflowId: 'w'.repeat(255) }))).toMatchObject({ reap: true, code: 'run-unknown' });
    expect(reapDecision(facts('FAILED', 2 * HOUR, { workflowId: 'w'.repeat(256) }))).toMatchObject({ reap: true, code: 'run-failed' });
  });
});

describe('reapDecision: who owns an instance', () => {
  const INSTANCE = 'i-0aaaaaaaaaaaaaaa1';
  const OTHER = 'i-0bbbbbbbbbbbbbbb2';
  const NEW_RUN = '0195ffff-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
  const owned = (runStatus: RunStatus, extra: Partial<ReapFacts> = {}): ReapFacts => facts(runStatus, 2 * HOUR, { instanceId: INSTANCE, runId: RUN_ID, ...extra });

  it('keeps the instance of a reset run while the new run is open, and while it completed holding the instance', () => {
    for (const status of ['RUNNING', 'PAUSED'] as const) {
      expect(reapDecision(owned('TERMINATED', { newest: { runId: NEW_RUN, status } }))).toMatchObject({ reap: false, code: 'run-open' });
    }
    expect(reapDecision(owned('TERMINATED', { newest: { runId: NEW_RUN, status: 'RUNNING' } })).reason).toContain(`a newer run of its workflow (${NEW_RUN}`);
    expect(reapDecision(owned('TERMINATED', { newest: { runId: NEW_RUN, status: 'COMPLETED', instanceId: INSTANCE } }))).toMatchObject({
      reap: false,
      code: 'run-completed',
    });
    // Whatever the tagged run's fate, even unknown to Temporal after its retention.
    expect(reapDecision(owned('NOT_FOUND', { newest: { runId: NEW_RUN, status: 'COMPLETED', instanceId: INSTANCE } }))).toMatchObject({ reap: false });
  });

  it("reaps a reset run's instance once the new run no longer holds it", () => {
    expect(reapDecision(owned('TERMINATED', { newest: { runId: NEW_RUN, status: 'CANCELLED', instanceId: INSTANCE } }))).toMatchObject({
      reap: true,
      code: 'run-terminated',
    });
    expect(reapDecision(owned('TERMINATED', { newest: { runId: NEW_RUN, status: 'COMPLETED', instanceId: OTHER } }))).toMatchObject({
      reap: true,
      code: 'run-terminated',
    });
  });

  it('keeps an instance its completed run holds, and reaps, after the grace period, one its completed run does not hold', () => {
    expect(reapDecision(owned('COMPLETED', { runInstanceId: INSTANCE }))).toMatchObject({ reap: false, code: 'run-completed' });
    const extra = reapDecision(owned('COMPLETED', { runInstanceId: OTHER }));
    expect(extra).toMatchObject({ reap: true, code: 'run-completed-without-it' });
    expect(extra.reason).toContain(`its provisioning run completed holding another instance (${OTHER}); launched 2h ago`);
    expect(reapDecision(facts('COMPLETED', GRACE - 1, { instanceId: INSTANCE, runInstanceId: OTHER }))).toMatchObject({ reap: false, code: 'within-grace' });
    // A newer run that holds it wins over the run that launched it.
    expect(reapDecision(owned('COMPLETED', { runInstanceId: OTHER, newest: { runId: NEW_RUN, status: 'COMPLETED', instanceId: INSTANCE } }))).toMatchObject({
      reap: false,
      code: 'run-completed',
    });
  });

  it('keeps an instance of a completed run that names no instance (it may hold this one)', () => {
    expect(reapDecision(owned('COMPLETED'))).toMatchObject({ reap: false, code: 'run-completed' });
    expect(reapDecision(owned('FAILED', { newest: { runId: NEW_RUN, status: 'COMPLETED' } }))).toMatchObject({ reap: false, code: 'run-completed' });
    const { instanceId: _, ...unnamed } = owned('COMPLETED', { runInstanceId: OTHER });
    expect(reapDecision(unnamed)).toMatchObject({ reap: false, code: 'run-completed' });
  });

  it("keeps the instance when the newest run's status is unclear", () => {
    expect(reapDecision(owned('FAILED', { newest: { runId: NEW_RUN, status: 'UNSPECIFIED' } }))).toMatchObject({ reap: false, code: 'status-unclear' });
  });
});

describe('reapDecision: instances of a lease', () => {
  const INSTANCE = 'i-0123456789abcdef0';
  const leased = (leaseStatus: RunStatus, ageMs = 2 * HOUR, runStatus: RunStatus = 'COMPLETED'): ReapFacts =>
    facts(runStatus, ageMs, { instanceId: INSTANCE, runInstanceId: INSTANCE, lease: { workflowId: 'lease-pr-42', status: leaseStatus } });

  it('keeps the instance a completed child provision handed to its lease while the lease is open, at any age', () => {
    for (const status of ['RUNNING', 'PAUSED'] as const) {
      expect(reapDecision(leased(status, 29 * 24 * HOUR))).toEqual({ reap: false, code: 'run-open', reason: 'its lease lease-pr-42 is open' });
    }
  });

  it.each<RunStatus>(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'])('reaps it past the grace period once the lease is %s', (status) => {
    expect(reapDecision(leased(status))).toMatchObject({ reap: true, code: 'lease-closed', reason: expect.stringContaining(`its lease lease-pr-42 has closed (${status})`) as string });
    expect(reapDecision(leased(status, GRACE - 1))).toMatchObject({ reap: false, code: 'within-grace' });
  });

  it('keeps it when the lease cannot be judged', () => {
    for (const status of ['UNKNOWN', 'NOT_FOUND', 'CONTINUED_AS_NEW'] as const) expect(reapDecision(leased(status))).toMatchObject({ reap: false, code: 'status-unclear' });
  });

  it('judges a child provision that did not complete by its own run: it never handed the instance over', () => {
    expect(reapDecision(leased('RUNNING', 2 * HOUR, 'FAILED'))).toMatchObject({ reap: true, code: 'run-failed' });
    expect(reapDecision(leased('TERMINATED', 2 * HOUR, 'RUNNING'))).toMatchObject({ reap: false, code: 'run-open' });
  });
});

describe('reapDecision: runs stuck open', () => {
  const LIMIT = 3 * HOUR;
  const NEW_RUN = '0195ffff-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

  it('reaps the instance of a run still open at the limit after launch, naming the stuck run', () => {
    expect(reapDecision(facts('RUNNING', LIMIT - 1, { openRunLimitMs: LIMIT, runId: RUN_ID }))).toMatchObject({ reap: false, code: 'run-open' });
    const stuck = reapDecision(facts('RUNNING', LIMIT, { openRunLimitMs: LIMIT, runId: RUN_ID }));
    expect(stuck).toMatchObject({ reap: true, code: 'run-open-too-long', stuckRun: { runId: RUN_ID, runStatus: 'RUNNING' } });
    expect(stuck.reason).toContain('its provisioning run is still open 3h after the launch, past the 3h limit');
    expect(reapDecision(facts('TERMINATED', LIMIT, { openRunLimitMs: LIMIT, runId: RUN_ID, newest: { runId: NEW_RUN, status: 'RUNNING' } }))).toMatchObject({
      reap: true,
      code: 'run-open-too-long',
      stuckRun: { runId: NEW_RUN },
    });
  });

  it('never reaps an open run inside the grace period or without a launch time', () => {
    expect(reapDecision(facts('RUNNING', HOUR, { openRunLimitMs: 0, graceMs: 2 * HOUR }))).toMatchObject({ reap: false, code: 'run-open' });
    expect(reapDecision(facts('RUNNING', 0, { openRunLimitMs: 0, launchTime: undefined }))).toMatchObject({ reap: false, code: 'run-open' });
  });
});

describe('runRefFromTags', () => {
  it('names a run only with both tags and a UUID run ID', () => {
    expect(runRefFromTags('pr-42', RUN_ID)).toEqual({ workflowId: 'pr-42', runId: RUN_ID });
    expect(runRefFromTags('pr-42', RUN_ID.toUpperCase())).toEqual({ workflowId: 'pr-42', runId: RUN_ID.toUpperCase() });
    expect(runRefFromTags(undefined, RUN_ID)).toBeUndefined();
    expect(runRefFromTags('pr-42', undefined)).toBeUndefined();
    expect(runRefFromTags('', RUN_ID)).toBeUndefined();
    expect(runRefFromTags('pr-42', 'not-a-run-id')).toBeUndefined();
  });
});

describe('validateReapRequest', () => {
  it('defaults to a real run with a 30 minute grace period in the worker\'s regions', () => {
    for (const input of [undefined, null, {}]) {
      expect(validateReapRequest(input)).toEqual({ ok: true, spec: { graceMs: DEFAULT_REAP_GRACE_MS, dryRun: false, openRunLimitMs: DEFAULT_OPEN_RUN_LIMIT_MS } });
    }
    expect(DEFAULT_REAP_GRACE_MS).toBe(30 * 60_000);
  });

  it('reads regions, grace period, dry run and open-run limit', () => {
    expect(validateReapRequest({ regions: ['eu-west-1', 'us-east-1'], gracePeriod: '1h30m', dryRun: true, openRunLimit: '5h' })).toEqual({
      ok: true,
      spec: { regions: ['eu-west-1', 'us-east-1'], graceMs: 90 * 60_000, dryRun: true, openRunLimitMs: 5 * HOUR },
    });
    expect(validateReapRequest({ gracePeriod: 0, openRunLimit: 0 })).toEqual({ ok: true, spec: { graceMs: 0, dryRun: false, openRunLimitMs: 0 } });
  });

  it('defaults the open-run limit to 3h: the longest legal provision after launch (launch, IP wait, cleanup budgets), rounded up to the hour', () => {
    const ms = (d: unknown): number => {
      const parsed = parseDuration(d);
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.ms;
    };
    const longest = ms(LAUNCH.scheduleToCloseTimeout) + IP_WAIT_TIMEOUT_BOUNDS_MS.max + ms(CLEANUP.scheduleToCloseTimeout);
    expect(longest).toBe(2 * HOUR + 5 * 60_000);
    expect(DEFAULT_OPEN_RUN_LIMIT_MS).toBe(3 * HOUR);
    expect(DEFAULT_OPEN_RUN_LIMIT_MS).toBeGreaterThanOrEqual(longest);
  });

  it.each<[unknown, string]>([
    ['us-east-1', 'must be a JSON object'],
    [{ region: 'us-east-1' }, 'region: unknown field'],
    [{ regions: [] }, 'regions: must be a non-empty array'],
    [{ regions: 'us-east-1' }, 'regions: must be a non-empty array'],
    [{ regions: ['us-east1'] }, 'regions: "us-east1" is not an AWS region'],
    [{ regions: ['us-east-1', 'us-east-1'] }, 'is named twice'],
    [{ gracePeriod: 'soon' }, 'gracePeriod: must be a duration string'],
    [{ gracePeriod: -1 }, 'gracePeriod: must be between 0 and 168h'],
    [{ gracePeriod: '8d' }, 'gracePeriod: must be a duration string'],
    [{ gracePeriod: '200h' }, 'gracePeriod: must be between 0 and 168h'],
    [{ dryRun: 'yes' }, 'dryRun: must be true or false'],
    [{ openRunLimit: 'forever' }, 'openRunLimit: must be a duration string'],
    [{ openRunLimit: -1 }, 'openRunLimit: must be between 0 and 168h'],
    [{ openRunLimit: '169h' }, 'openRunLimit: must be between 0 and 168h'],
    [{ openRunLimit: true }, 'openRunLimit: must be a duration string'],
    [{ openRunLimits: '3h' }, 'openRunLimits: unknown field; allowed fields are regions, gracePeriod, dryRun, openRunLimit'],
  ])('refuses %j (%s)', (input, message) => {
    const checked = validateReapRequest(input);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : describeProblems(REAP_REQUEST, checked.problems)).toContain(message);
  });

  it('reports problems in the shape every InvalidSpec carries, {field, message}', () => {
    const checked = validateReapRequest({ regions: ['mars-1'], dryRun: 'yes' });
    expect(checked.ok ? [] : checked.problems).toEqual([
      { field: 'regions', message: '"mars-1" is not an AWS region' },
      { field: 'dryRun', message: 'must be true or false (got string "yes")' },
    ]);
  });

  it('describes its problems in the words it always used', () => {
    const checked = validateReapRequest({ regions: ['mars-1'] });
    expect(checked.ok ? '' : describeProblems(REAP_REQUEST, checked.problems)).toBe(
      'Invalid reapOrphans request (1 problem): regions: "mars-1" is not an AWS region. Nothing was terminated.',
    );
  });

  it('keeps a huge request\'s problems short: names cut at 40 characters, at most MAX_PROBLEMS listed', () => {
    const input = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`${'x'.repeat(1_000)}${i}`, true]));
    const checked = validateReapRequest(input);
    const problems = checked.ok ? [] : checked.problems;
    expect(problems).toHaveLength(MAX_PROBLEMS);
    expect(problems.every((p) => p.field.length <= 40)).toBe(true);
    expect(problems[MAX_PROBLEMS - 1]).toEqual({ field: '(request)', message: '21 more problems not listed; fix the ones above first' });
  });

  it('hints at the right case for a field spelled in another', () => {
    const checked = validateReapRequest({ dryrun: true });
    expect(checked.ok ? [] : checked.problems).toEqual([{ field: 'dryrun', message: 'unknown field; field names are case-sensitive, did you mean "dryRun"?' }]);
  });
});

describe('STAGELY_REAPER_REGIONS', () => {
  it("defaults to the worker's region", () => {
    expect(awsSettings({}).reaperRegions).toEqual(['us-east-1']);
    expect(awsSettings({ AWS_REGION: 'eu-west-1' }).reaperRegions).toEqual(['eu-west-1']);
  });

  it('reads a comma-separated list, without duplicates', () => {
    expect(awsSettings({ STAGELY_REAPER_REGIONS: 'us-east-1, eu-west-1,us-east-1' }).reaperRegions).toEqual(['us-east-1', 'eu-west-1']);
  });

  it.each(['us-east1', ',', 'eu-west-1,mars-1'])('refuses %p', (value) => {
    expect(() => awsSettings({ STAGELY_REAPER_REGIONS: value })).toThrow('STAGELY_REAPER_REGIONS');
  });
});
