import { checkDestroy, checkExtend, describeLeaseProblems, validateLeaseRequest, type LeaseSpec } from '../../src/common/lease-request';
import type { Problem as SpecProblem } from '../../src/common/field-checks';
import { EVERY_FIELD_REQUEST } from '../support/requests';

const HOUR = 3_600_000;
const instance = { size: 'small', architecture: 'arm64' } as const;

function specOf(input: unknown): LeaseSpec {
  const check = validateLeaseRequest(input);
  if (!check.ok) throw new Error(`expected the request to be accepted, got: ${JSON.stringify(check.problems)}`);
  return check.spec;
}

function problemsOf(input: unknown): SpecProblem[] {
  const check = validateLeaseRequest(input);
  if (check.ok) throw new Error(`expected the request to be refused, got: ${JSON.stringify(check.spec)}`);
  return check.problems;
}

describe('validateLeaseRequest', () => {
  it('applies the defaults: 24h, end on loss, watch every minute; the instance request passes unchanged', () => {
    expect(specOf({ instance })).toEqual({ instance, region: 'us-east-1', ttlMs: 24 * HOUR, onInstanceLost: 'end', watchIntervalMs: 60_000 });
    expect(specOf({ instance: EVERY_FIELD_REQUEST }).instance).toBe(EVERY_FIELD_REQUEST);
  });

  it('accepts the bounds: ttl 1m to 720h, watchInterval 10s to 1h', () => {
    expect(specOf({ instance, ttl: '1m', watchInterval: '10s', onInstanceLost: 'replace' })).toMatchObject({ ttlMs: 60_000, watchIntervalMs: 10_000, onInstanceLost: 'replace' });
    expect(specOf({ instance, ttl: '720h', watchInterval: '1h' })).toMatchObject({ ttlMs: 720 * HOUR, watchIntervalMs: HOUR });
    expect(specOf({ instance, ttl: 90_000 }).ttlMs).toBe(90_000);
  });

  it('names every problem, the instance request\'s under "instance."', () => {
    expect(problemsOf({ instance: { size: 'small', architecture: 'arm64', regin: 'x' }, ttl: '59s', watchInterval: '2h', onInstanceLost: 'retry', extra: 1 })).toEqual([
      { field: 'extra', message: 'unknown field; allowed fields are instance, ttl, onInstanceLost, watchInterval' },
      { field: 'instance.regin', message: expect.stringContaining('unknown field') as string },
      { field: 'ttl', message: 'must be between 1m and 720h (got "59s")' },
      { field: 'watchInterval', message: 'must be between 10s and 1h (got "2h")' },
      { field: 'onInstanceLost', message: 'must be one of "end", "replace" (got "retry")' },
    ]);
    expect(problemsOf({ ttl: '1h' })).toEqual([{ field: 'instance', message: expect.stringMatching(/^is required/) as string }]);
    expect(problemsOf({ instance: 'small' })).toEqual([{ field: 'instance', message: expect.stringMatching(/^must be a JSON object/) as string }]);
    expect(problemsOf([])).toEqual([{ field: '(request)', message: 'must be a JSON object with at least "instance" (got an array)' }]);
    expect(problemsOf({ Instance: instance })[0]).toEqual({ field: 'Instance', message: 'unknown field; field names are case-sensitive, did you mean "instance"?' });
  });

  it('describes the problems in one line', () => {
    expect(describeLeaseProblems([{ field: 'ttl', message: 'bad' }])).toBe(
      'Invalid lease request (1 problem): ttl: bad. Fix the request and start the lease again; nothing was launched.',
    );
  });
});

describe('checkExtend', () => {
  const startedAt = Date.parse('2026-12-01T00:00:00Z');

  it('expires ttl from now, up to 30 days from the lease start', () => {
    expect(checkExtend({ ttl: '2h' }, startedAt, startedAt + HOUR)).toEqual({ ok: true, expiresAt: startedAt + 3 * HOUR });
    expect(checkExtend({ ttl: '719h' }, startedAt, startedAt + HOUR)).toEqual({ ok: true, expiresAt: startedAt + 720 * HOUR });
  });

  it('refuses what is out of bounds or malformed', () => {
    expect(checkExtend({ ttl: '719h1m' }, startedAt, startedAt + HOUR)).toEqual({
      ok: false,
      reason: 'Invalid extend request: ttl: a lease lasts at most 720h from its start (2026-12-01T00:00:00.000Z), so ttl may be at most 719h now (got "719h1m")',
    });
    expect(checkExtend({ ttl: '30s' }, startedAt, startedAt)).toEqual({ ok: false, reason: 'Invalid extend request: ttl: must be at least 1m (got "30s")' });
    expect(checkExtend({ ttl: 'later' }, startedAt, startedAt)).toMatchObject({ ok: false, reason: expect.stringMatching(/^Invalid extend request: ttl: must be a duration string/) as string });
    expect(checkExtend({}, startedAt, startedAt)).toMatchObject({ ok: false });
    expect(checkExtend({ ttl: '1h', by: 'me' }, startedAt, startedAt)).toEqual({ ok: false, reason: 'Invalid extend request: by: unknown field; the only field is ttl' });
  });
});

describe('checkDestroy', () => {
  it('takes nothing, {} or a reason', () => {
    expect(checkDestroy(undefined)).toEqual({ ok: true, request: {} });
    expect(checkDestroy({})).toEqual({ ok: true, request: {} });
    expect(checkDestroy({ reason: 'PR closed' })).toEqual({ ok: true, request: { reason: 'PR closed' } });
  });

  it('refuses anything else', () => {
    expect(checkDestroy({ reason: 5 })).toEqual({ ok: false, reason: 'Invalid destroy request: reason: must be a string (got number 5)' });
    expect(checkDestroy({ reason: 'x'.repeat(501) })).toMatchObject({ ok: false });
    expect(checkDestroy({ force: true })).toMatchObject({ ok: false });
    expect(checkDestroy('now')).toMatchObject({ ok: false });
  });
});
