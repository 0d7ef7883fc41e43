/**
 * The container's HEALTHCHECK: asks the worker in the same container for GET /healthz on
 * STAGELY_HEALTH_ADDRESS and exits 0 when it answers 200, 1 otherwise. A wildcard bind address
 * (0.0.0.0, [::]) is asked on loopback.
 *
 *   node lib/healthcheck.js
 */
const LOOPBACK: Record<string, string> = { '0.0.0.0': '127.0.0.1', '[::]': '[::1]' };

/** The URL of the worker's liveness endpoint, from the address it binds. */
export function healthzUrl(address: string): string {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  return `http://${LOOPBACK[host] ?? host}:${address.slice(at + 1)}/healthz`;
}

async function check(): Promise<boolean> {
  const address = process.env.STAGELY_HEALTH_ADDRESS?.trim();
  if (!address) {
    console.error('STAGELY_HEALTH_ADDRESS is not set, so the worker serves no health endpoint');
    return false;
  }
  const response = await fetch(healthzUrl(address), { signal: AbortSignal.timeout(2_000) });
  console.log(`${response.status} ${await response.text()}`);
  return response.ok;
}

if (require.main === module) {
  check().then(
    (healthy) => process.exit(healthy ? 0 : 1),
    (error: unknown) => {
      console.error('Health check failed:', error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
