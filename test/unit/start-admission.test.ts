import type { SlotReserveContext } from '@temporalio/worker';
import { admittingSlotSupplier, DEFAULT_ADMISSION, StartAdmission, type AdmissionSettings } from '../../src/worker/start-admission';

const SETTINGS: AdmissionSettings = { ...DEFAULT_ADMISSION, initialPerSecond: 10, minPerSecond: 1, maxPerSecond: 12, lateMs: 500, onTimeMs: 250, windowMs: 1000, minSamples: 5 };

/** A window (t to t + 999) in which `count` polls started `lateMs` late. */
function polls(admission: StartAdmission, t: number, lateMs: number, count = 10): void {
  for (let i = 0; i < count; i += 1) admission.pollStarted(lateMs, t + i);
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

describe('admittingSlotSupplier', () => {
  const context = (isSticky: boolean): SlotReserveContext => ({ slotType: 'workflow', taskQueue: 'q', workerIdentity: 'w', workerBuildId: '', isSticky });

  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  /** Follows a promise without awaiting it. */
  function track(promise: Promise<unknown>): { settled: boolean; error?: unknown } {
    const state: { settled: boolean; error?: unknown } = { settled: false };
    promise.then(
      () => Object.assign(state, { settled: true }),
      (error: unknown) => Object.assign(state, { settled: true, error }),
    );
    return state;
  }

  it("spaces a new workflow's tasks (from the task queue) by the admission rate, never the sticky queue's", async () => {
    const supplier = admittingSlotSupplier(new StartAdmission(SETTINGS), 10);
    const signal = new AbortController().signal;
    const fresh = [track(supplier.reserveSlot(context(false), signal)), track(supplier.reserveSlot(context(false), signal))];
    const sticky = [track(supplier.reserveSlot(context(true), signal)), track(supplier.reserveSlot(context(true), signal))];
    await jest.advanceTimersByTimeAsync(0);
    expect(fresh.map((r) => r.settled)).toEqual([true, false]);
    expect(sticky.map((r) => r.settled)).toEqual([true, true]);
    await jest.advanceTimersByTimeAsync(100);
    expect(fresh[1]?.settled).toBe(true);
  });

  it('hands out at most `slots` at once; a released slot goes to the next in line', async () => {
    const supplier = admittingSlotSupplier(new StartAdmission(SETTINGS), 2);
    const signal = new AbortController().signal;
    const reservations = [1, 2, 3].map(() => track(supplier.reserveSlot(context(true), signal)));
    await jest.advanceTimersByTimeAsync(0);
    expect(reservations.map((r) => r.settled)).toEqual([true, true, false]);
    expect(supplier.tryReserveSlot(context(true))).toBeNull();

    supplier.releaseSlot({ slotInfo: { type: 'workflow', workflowType: 'provisionInstance', isSticky: true }, permit: {} } as never);
    await jest.advanceTimersByTimeAsync(0);
    expect(reservations[2]?.settled).toBe(true);
    expect(supplier.tryReserveSlot(context(true))).toBeNull();
  });

  it('rejects an aborted reservation with an AbortError, and gives its place up', async () => {
    const supplier = admittingSlotSupplier(new StartAdmission(SETTINGS), 1);
    await supplier.reserveSlot(context(true), new AbortController().signal);
    const controller = new AbortController();
    const aborted = track(supplier.reserveSlot(context(true), controller.signal));
    const waiting = track(supplier.reserveSlot(context(true), new AbortController().signal));
    controller.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect((aborted.error as Error | undefined)?.name).toBe('AbortError');

    supplier.releaseSlot({} as never);
    await jest.advanceTimersByTimeAsync(0);
    expect(waiting.settled).toBe(true);
    expect(waiting.error).toBeUndefined();
  });

  it('rejects a reservation aborted while it waits its admission turn', async () => {
    const supplier = admittingSlotSupplier(new StartAdmission(SETTINGS), 10);
    await supplier.reserveSlot(context(false), new AbortController().signal);
    const controller = new AbortController();
    const aborted = track(supplier.reserveSlot(context(false), controller.signal));
    controller.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect((aborted.error as Error | undefined)?.name).toBe('AbortError');
  });
});
