import { nextPollAt, TICKS_PER_INTERVAL } from '../../src/common/poll-ticks';

describe('nextPollAt', () => {
  it('moves the first poll after launch onto the last 1 s tick within 5 s', () => {
    expect(nextPollAt(12_345, 12_400, 5_000)).toBe(17_000);
    expect(nextPollAt(12_000, 12_100, 5_000)).toBe(17_000);
    expect(nextPollAt(12_999, 13_100, 5_000)).toBe(17_000);
  });

  it('then keeps exactly one interval between polls, however long each poll took', () => {
    expect(nextPollAt(17_000, 17_050, 5_000)).toBe(22_000);
    expect(nextPollAt(17_000, 21_900, 5_000)).toBe(22_000);
  });

  it('never waits longer than the interval from the previous poll', () => {
    for (let previous = 1_000_000; previous < 1_010_000; previous += 137) {
      const next = nextPollAt(previous, previous + 10, 5_000);
      expect(next - previous).toBeGreaterThan(5_000 - 5_000 / TICKS_PER_INTERVAL);
      expect(next - previous).toBeLessThanOrEqual(5_000);
      expect(next % 1_000).toBe(0);
    }
  });

  it('goes to the first tick after now when a poll overran the interval', () => {
    expect(nextPollAt(17_000, 22_000, 5_000)).toBe(23_000);
    expect(nextPollAt(17_000, 40_500, 5_000)).toBe(41_000);
  });

  it('puts runs that launched within one tick of each other on the same ticks', () => {
    const a = nextPollAt(100_010, 100_020, 5_000);
    const b = nextPollAt(100_990, 101_000, 5_000);
    expect(a).toBe(b);
  });

  it('scales the tick with the interval, in whole milliseconds', () => {
    expect(nextPollAt(0, 1, 2_000)).toBe(2_000);
    expect(nextPollAt(1_000, 1_001, 1_001)).toBe(2_000);
    expect(Number.isInteger(nextPollAt(777, 800, 1_001))).toBe(true);
  });
});
