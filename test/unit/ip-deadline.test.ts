import { CLEANUP_RESERVE_MS, ipDeadline } from '../../src/common/ip-deadline';

const MIN = 60_000;
const start = Date.UTC(2026, 11, 1, 12, 0, 0);

describe('ipDeadline', () => {
  it('is ipWaitTimeout after now when no time-out is set', () => {
    expect(ipDeadline(start + MIN, 5 * MIN, { runStartedAt: start })).toEqual({ at: start + 6 * MIN });
  });

  it('is ipWaitTimeout after now when the time-outs are far enough away', () => {
    const limits = { runStartedAt: start, runTimeoutMs: 10 * MIN, executionExpiresAt: start + 60 * MIN, executionTimeoutMs: 60 * MIN };
    expect(ipDeadline(start + MIN, 5 * MIN, limits)).toEqual({ at: start + 6 * MIN });
  });

  it('keeps the reserve back from a run time-out that would close the run first', () => {
    expect(ipDeadline(start + MIN, 30 * MIN, { runStartedAt: start, runTimeoutMs: 20 * MIN })).toEqual({
      at: start + 20 * MIN - CLEANUP_RESERVE_MS,
      cutShortBy: 'run time-out',
    });
  });

  it('keeps a quarter of a short time-out back, so some wait is left', () => {
    expect(ipDeadline(start, 5 * MIN, { runStartedAt: start, runTimeoutMs: 4 * MIN })).toEqual({ at: start + 3 * MIN, cutShortBy: 'run time-out' });
  });

  it('takes the earlier of the run and execution time-outs', () => {
    const limits = { runStartedAt: start, runTimeoutMs: 20 * MIN, executionExpiresAt: start + 12 * MIN, executionTimeoutMs: 60 * MIN };
    expect(ipDeadline(start, 30 * MIN, limits)).toEqual({ at: start + 10 * MIN, cutShortBy: 'execution time-out' });
  });

  it('may already have passed: one poll, then the failure', () => {
    expect(ipDeadline(start + 9 * MIN, 5 * MIN, { runStartedAt: start, runTimeoutMs: 10 * MIN }).at).toBeLessThan(start + 9 * MIN);
  });

  it('ignores a zero time-out (unset)', () => {
    expect(ipDeadline(start, 5 * MIN, { runStartedAt: start, runTimeoutMs: 0, executionExpiresAt: start, executionTimeoutMs: 0 })).toEqual({ at: start + 5 * MIN });
  });
});
