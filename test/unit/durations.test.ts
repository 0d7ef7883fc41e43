import { formatDuration, parseDuration } from '../../src/common/durations';

const DURATION_STRING_REASON = 'must be a duration string like "5s" or "1m30s"';

describe('parseDuration accepts', () => {
  it.each<[unknown, number]>([
    ['5s', 5_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1m 30s', 90_000],
    ['5 m', 300_000],
    ['1h2m3s4ms', 3_723_004],
    ['1500ms', 1_500],
    ['0.5h', 1_800_000],
    ['.5s', 500],
    ['5000', 5_000],
    ['5', 5],
    ['0', 0],
    [5000, 5_000],
    [0, 0],
    [' 5s ', 5_000],
    ['\t1m\n', 60_000],
  ])('%p -> %p ms', (value, expected) => {
    expect(parseDuration(value)).toEqual({ ok: true, ms: expected });
  });
});

describe('parseDuration accepts Go\'s time.Duration strings (the Go package sends those)', () => {
  it.each<[string, number]>([
    ['5m0s', 300_000],
    ['1h0m0s', 3_600_000],
    ['2h45m0s', 9_900_000],
    ['1m30.5s', 90_500],
    ['1.5s', 1_500],
    ['10s', 10_000],
  ])('%p -> %p ms', (value, expected) => {
    expect(parseDuration(value)).toEqual({ ok: true, ms: expected });
  });
});

describe('parseDuration rejects', () => {
  it.each<[string, unknown, string]>([
    ['an empty string', '', DURATION_STRING_REASON],
    ['a blank string', '   ', DURATION_STRING_REASON],
    ['words', '5 minutes', DURATION_STRING_REASON],
    ['days', '5d', DURATION_STRING_REASON],
    ['a negative string', '-5s', DURATION_STRING_REASON],
    ['letters', 'abc', DURATION_STRING_REASON],
    ['a bad second part', '1m 30x', DURATION_STRING_REASON],
    ['a unit without a number', 's', DURATION_STRING_REASON],
    ['a fractional bare number', '5.5', DURATION_STRING_REASON],
    ['exponent notation', '1e3', DURATION_STRING_REASON],
    ['a 100-character string', '1'.repeat(99) + 's', DURATION_STRING_REASON],
    ['NaN', Number.NaN, 'must be a finite number of milliseconds'],
    ['Infinity', Number.POSITIVE_INFINITY, 'must be a finite number of milliseconds'],
    ['-Infinity', Number.NEGATIVE_INFINITY, 'must be a finite number of milliseconds'],
    ['null', null, 'must be a duration string like "5s" or a number of milliseconds (got null)'],
    ['undefined', undefined, 'must be a duration string like "5s" or a number of milliseconds'],
    ['an object', {}, 'must be a duration string like "5s" or a number of milliseconds (got an object)'],
    ['an array', [], 'must be a duration string like "5s" or a number of milliseconds (got an array)'],
    ['a boolean', true, 'must be a duration string like "5s" or a number of milliseconds (got boolean true)'],
  ])('%s', (_label, value, reason) => {
    const parsed = parseDuration(value);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.reason).toContain(reason);
  });

  it('quotes the offending string in the reason', () => {
    expect(parseDuration('soon')).toEqual({ ok: false, reason: 'must be a duration string like "5s" or "1m30s" (got "soon")' });
  });

  it('shortens a long offending string in the reason', () => {
    const parsed = parseDuration('x'.repeat(100));
    expect(parsed).toEqual({ ok: false, reason: `must be a duration string like "5s" or "1m30s" (got "${'x'.repeat(36)}...)` });
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0ms'],
    [500, '500ms'],
    [1_000, '1s'],
    [1_500, '1s500ms'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [300_000, '5m'],
    [3_600_000, '1h'],
    [3_723_004, '1h2m3s4ms'],
  ])('%p -> %p', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});
