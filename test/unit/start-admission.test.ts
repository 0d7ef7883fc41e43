import { admissionWithin, DEFAULT_ADMISSION, StartAdmission, type AdmissionSettings } from '../../src/worker/start-admission';

const SETTINGS: AdmissionSettings = { ...DEFAULT_ADMISSION, initialPerSecond: 10, minPerSecond: 1, maxPerSecond: 12, lateMs: 500, onTimeMs: 250, windowMs: 1000, minSamples: 5 };

let pollKeys = 0;

/** A window (t to t + 999) in which `count` foreseen polls started `lateMs` late. */
function polls(admission: StartAdmission, t: number, lateMs: number, count = 10): void {
  for (let i = 0; i < count; i += 1) {
    const key = `poll-${(pollKeys += 1)}`;
    admission.expected(key, t + i - lateMs);
    admission.started(key, t + i);
  }
}

/** Books two starts at t: the second waits, so starts are being held back this window. */
function busyStarts(admission: StartAdmission, t: number): void {
  admission.reserve(t);
  admission.reserve(t);
}

describe('StartAdmission', () => {
  it('spaces starts at the initial rate, first come first served', () => {
    const admission = new StartAdmission(SETTINGS, 0);
    expect([admission.reserve(0), admission.reserve(0), admission.reserve(0), admission.reserve(150)]).toEqual([0, 100, 200, 150]);
  });

  it("halves the rate when a window's polls started late (90th percentile above lateMs)", () => {
    const changes: [number, number | undefined][] = [];
    const admission = new StartAdmission(SETTINGS, 0, (perSecond, p90) => changes.push([perSecond, p90]));
    polls(admission, 0, 100, 8);
    polls(admission, 10, 900, 2);
    admission.reserve(1000);
    expect(admission.rate).toBe(5);
    expect(changes).toEqual([[5, 900]]);
  });

  it('keeps the rate when only a few polls were late (below the 90th percentile)', () => {
    const admission = new StartAdmission(SETTINGS, 0);
    polls(admission, 0, 100, 19);
    polls(admission, 20, 900, 1);
    admission.reserve(1000);
    expect(admission.rate).toBe(10);
  });

  it('halves at most once every two windows, and never below minPerSecond', () => {
    const changes: number[] = [];
    const admission = new StartAdmission(SETTINGS, 0, (perSecond) => changes.push(perSecond));
    const rates: number[] = [];
    for (let t = 0; t < 10_000; t += 1000) {
      polls(admission, t, 2000);
      admission.reserve(t + 1000);
      rates.push(admission.rate);
    }
    expect(rates).toEqual([5, 5, 2.5, 2.5, 1.25, 1.25, 1, 1, 1, 1]);
    expect(changes).toEqual([5, 2.5, 1.25, 1]);
  });

  it('grows by one start per second each window the polls are on time while starts wait their turn, up to maxPerSecond', () => {
    const admission = new StartAdmission(SETTINGS, 0);
    const rates: number[] = [];
    for (let t = 0; t < 4000; t += 1000) {
      busyStarts(admission, t);
      polls(admission, t, 100);
      admission.reserve(t + 1000);
      rates.push(admission.rate);
    }
    expect(rates).toEqual([11, 12, 12, 12]);
  });

  it('does not grow while no start had to wait: the rate is not what holds starts back', () => {
    const admission = new StartAdmission(SETTINGS, 0);
    admission.reserve(0);
    polls(admission, 0, 100);
    admission.reserve(1000);
    expect(admission.rate).toBe(10);
  });

  it('holds the rate between lateMs and onTimeMs, and when too few polls were late to tell', () => {
    const admission = new StartAdmission(SETTINGS, 0);
    busyStarts(admission, 0);
    polls(admission, 0, 400);
    admission.reserve(1000);
    expect(admission.rate).toBe(10);
    busyStarts(admission, 1000);
    polls(admission, 1000, 5000, 4);
    admission.reserve(2000);
    expect(admission.rate).toBe(10);
  });

  it('grows while starts wait and no poll was due: nothing says the worker is behind', () => {
    const changes: [number, number | undefined][] = [];
    const admission = new StartAdmission(SETTINGS, 0, (perSecond, p90) => changes.push([perSecond, p90]));
    busyStarts(admission, 0);
    admission.reserve(1000);
    expect(changes).toEqual([[11, undefined]]);
  });
});

describe('StartAdmission: lateness however late', () => {
  it('counts a foreseen poll that starts more than an interval after its tick', () => {
    const admission = new StartAdmission(SETTINGS, 0);
    // Due at 0 (and seen as missing meanwhile), started 12 s later: long past the batcher's answer.
    for (let i = 0; i < 10; i += 1) admission.expected(`late-${i}`, 0);
    admission.tryNow(11_000);
    for (let i = 0; i < 10; i += 1) admission.started(`late-${i}`, 12_000 + i);
    admission.reserve(13_000);
    expect(admission.rate).toBeLessThan(10);
  });

  it('counts foreseen polls that have not started at all: an overloaded worker slows down instead of speeding up', () => {
    const changes: [number, number | undefined][] = [];
    const admission = new StartAdmission(SETTINGS, 0, (perSecond, p90) => changes.push([perSecond, p90]));
    for (let i = 0; i < 10; i += 1) admission.expected(`stuck-${i}`, 500);
    busyStarts(admission, 0);
    admission.reserve(3000);
    expect(admission.rate).toBe(5);
    expect(changes).toEqual([[5, 2500]]);
  });

  it('ignores a poll it never foresaw, and a foreseen one that started is counted once', () => {
    const admission = new StartAdmission(SETTINGS, 0);
    for (let i = 0; i < 5; i += 1) admission.started('never-foreseen', 10 + i);
    admission.expected('once', 0);
    admission.started('once', 100);
    for (let i = 0; i < 5; i += 1) admission.started('once', 900 + i);
    busyStarts(admission, 950);
    admission.reserve(1000);
    expect(admission.rate).toBe(11);
  });

  it('stops counting a missing poll after missingCountsForMs: its run has ended or moved to another worker', () => {
    const settings = { ...SETTINGS, missingCountsForMs: 10_000 };
    const admission = new StartAdmission(settings, 0);
    for (let i = 0; i < 10; i += 1) admission.expected(`gone-${i}`, 0);
    busyStarts(admission, 20_000);
    polls(admission, 20_000, 100);
    admission.reserve(21_000);
    expect(admission.rate).toBe(11);
  });
});

describe('StartAdmission.tryNow', () => {
  it('lets a start in when its turn has come and books the next; otherwise it must wait', () => {
    const admission = new StartAdmission(SETTINGS, 0);
    expect([admission.tryNow(0), admission.tryNow(50), admission.tryNow(100)]).toEqual([true, false, true]);
    expect(admission.reserve(100)).toBe(100);
  });
});

describe('admissionWithin', () => {
  it('bounds the rate and starts it inside the bounds', () => {
    expect(admissionWithin(0.02, 0.02)).toMatchObject({ minPerSecond: 0.02, maxPerSecond: 0.02, initialPerSecond: 0.02 });
    expect(admissionWithin(20, 50)).toMatchObject({ initialPerSecond: 20 });
    expect(admissionWithin(1, 1000)).toMatchObject({ initialPerSecond: DEFAULT_ADMISSION.initialPerSecond });
  });
});
