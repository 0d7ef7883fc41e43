/**
 * What the global setups started, so the global teardown can stop it. Setup and teardown run in the
 * same Jest parent process, so a global holds the list.
 */
type Stop = () => Promise<void>;
const registry = globalThis as typeof globalThis & { __stagelyStops?: Stop[] };

export function onTeardown(stop: Stop): void {
  (registry.__stagelyStops ??= []).push(stop);
}

export async function runTeardown(): Promise<void> {
  const stops = registry.__stagelyStops ?? [];
  registry.__stagelyStops = [];
  await Promise.allSettled(stops.reverse().map((stop) => stop()));
}
