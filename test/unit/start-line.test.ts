import { DEFAULT_ADMISSION, StartAdmission, type AdmissionSettings } from '../../src/worker/start-admission';
import { StartLine, type RunRef } from '../../src/worker/start-line';

// Ten starts per second, and never faster or slower unless a test moves it.
const STEADY: AdmissionSettings = { ...DEFAULT_ADMISSION, initialPerSecond: 10, minPerSecond: 10, maxPerSecond: 10 };

const run = (n: number): RunRef => ({ workflowId: `provision-${n}`, runId: `run-${n}` });

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  jest.useRealTimers();
});

function line(settings: AdmissionSettings = STEADY, admit?: (run: RunRef) => Promise<void>, launchBudget?: () => { waitMs: number; perSecond: number }) {
  const admitted: [string, number][] = [];
  const failed: string[] = [];
  const admission = new StartAdmission(settings, Date.now());
  const startLine = new StartLine(admission, {
    admit:
      admit ??
      ((r) => {
        admitted.push([r.workflowId, Date.now()]);
        return Promise.resolve();
      }),
    onAdmitFailed: (r) => failed.push(r.workflowId),
    recheckAfterMs: 30_000,
    ...(launchBudget !== undefined && { launchBudget }),
  });
  return { startLine, admitted, failed, admission };
}

it('lets a lone provision in at once, with no signal', () => {
  const { startLine, admitted } = line();
  expect(startLine.join(run(1))).toEqual({ admitted: true });
  expect(startLine.length).toBe(0);
  expect(admitted).toEqual([]);
});

it('lines up the provisions the rate has no turn for, and signals each in order when its turn comes', async () => {
  const { startLine, admitted } = line();
  const t0 = Date.now();
  const answers = [1, 2, 3, 4].map((n) => startLine.join(run(n)));
  expect(answers).toEqual([
    { admitted: true },
    { admitted: false, recheckAfterMs: 30_000, ahead: 0 },
    { admitted: false, recheckAfterMs: 30_000, ahead: 1 },
    { admitted: false, recheckAfterMs: 30_000, ahead: 2 },
  ]);
  await jest.advanceTimersByTimeAsync(1000);
  expect(admitted).toEqual([
    ['provision-2', t0 + 100],
    ['provision-3', t0 + 200],
    ['provision-4', t0 + 300],
  ]);
  expect(startLine.length).toBe(0);
});

it('keeps the place of a run that asks again while still in line', async () => {
  const { startLine, admitted } = line();
  [1, 2, 3].forEach((n) => startLine.join(run(n)));
  expect(startLine.join(run(3))).toEqual({ admitted: false, recheckAfterMs: 30_000, ahead: 1 });
  expect(startLine.length).toBe(2);
  await jest.advanceTimersByTimeAsync(1000);
  expect(admitted.map(([id]) => id)).toEqual(['provision-2', 'provision-3']);
});

it('applies the rate as runs leave the line: a rate that rises while they wait lets the rest in sooner', async () => {
  const growing: AdmissionSettings = { ...DEFAULT_ADMISSION, initialPerSecond: 1, minPerSecond: 1, maxPerSecond: 1000 };
  const { startLine, admitted } = line(growing);
  const t0 = Date.now();
  for (let n = 1; n <= 30; n += 1) startLine.join(run(n));
  await jest.advanceTimersByTimeAsync(10_000);
  // At a fixed 1 per second, 9 would have left by now; the rate grew each second starts waited.
  expect(admitted.filter(([, at]) => at <= t0 + 10_000).length).toBeGreaterThan(15);
});

it('reports a signal that could not be sent, and goes on with the line', async () => {
  let calls = 0;
  const { startLine, failed } = line(STEADY, () => (calls++ === 0 ? Promise.reject(new Error('unavailable')) : Promise.resolve()));
  [1, 2, 3].forEach((n) => startLine.join(run(n)));
  await jest.advanceTimersByTimeAsync(1000);
  expect(failed).toEqual(['provision-2']);
  expect(calls).toBe(2);
});

it('stops signalling when stopped; the runs still in line ask the next worker', async () => {
  const { startLine, admitted } = line();
  [1, 2, 3].forEach((n) => startLine.join(run(n)));
  startLine.stop();
  await jest.advanceTimersByTimeAsync(1000);
  expect(admitted).toEqual([]);
  expect(startLine.join(run(4))).toMatchObject({ admitted: false });
});

it('gives a run far back in a long line a recheck of twice its expected wait, up to ten minutes', () => {
  const { startLine } = line();
  const answers = Array.from({ length: 1001 }, (_, n) => startLine.join(run(n)));
  // At ten starts per second: 30 s for the first 150 in line, then twice the wait.
  expect(answers[1]).toEqual({ admitted: false, recheckAfterMs: 30_000, ahead: 0 });
  expect(answers[150]?.recheckAfterMs).toBe(30_000);
  expect(answers[500]?.recheckAfterMs).toBe(100_000);
  expect(answers[1000]?.recheckAfterMs).toBe(200_000);
  const slow = line({ ...STEADY, initialPerSecond: 0.1, minPerSecond: 0.1, maxPerSecond: 0.1 }).startLine;
  const far = Array.from({ length: 100 }, (_, n) => slow.join(run(n)));
  expect(far[99]?.recheckAfterMs).toBe(600_000);
});

it('lets no one in while a launch would wait for its budget token, and rechecks at the launch pace', async () => {
  // The launch bucket is empty until 10 s from now, then refills at 2 per second.
  const emptyUntil = Date.now() + 10_000;
  const budget = () => ({ waitMs: Math.max(0, emptyUntil - Date.now()), perSecond: 2 });
  const { startLine, admitted } = line(STEADY, undefined, budget);
  const answers = [1, 2, 3].map((n) => startLine.join(run(n)));
  // Even a lone run waits: its launch would only queue for the token inside its activity.
  expect(answers[0]).toEqual({ admitted: false, recheckAfterMs: 30_000, ahead: 0 });
  await jest.advanceTimersByTimeAsync(9_999);
  expect(admitted).toEqual([]);
  await jest.advanceTimersByTimeAsync(1_000);
  expect(admitted.map(([id]) => id)).toEqual(['provision-1', 'provision-2', 'provision-3']);
  // Far back in a line held by launches, a run rechecks at two launches per second, not the admission rate.
  const slowLine = line(STEADY, undefined, () => ({ waitMs: 60_000, perSecond: 2 })).startLine;
  const far = Array.from({ length: 100 }, (_, n) => slowLine.join(run(n)));
  expect(far[99]?.recheckAfterMs).toBe(100_000);
});
