/**
 * The request's `readiness` field: what must pass, after the public IP, before a provision is done
 * (docs/readiness.md). Checked with the rest of the request, before any cloud call.
 */
import type { ReadinessRequest } from './contract';
import { describeType, quote } from './durations';
import { checkDuration, fieldName, isPlainObject, type Report } from './field-checks';

export const READINESS_ADDRESSES = ['public', 'private'] as const;
export type ReadinessAddress = (typeof READINESS_ADDRESSES)[number];

export const DEFAULT_READINESS_TIMEOUT_MS = 10 * 60_000;
export const READINESS_TIMEOUT_BOUNDS_MS = { min: 30_000, max: 60 * 60_000 } as const;
/** How long one TCP connection attempt may take before it counts as failed. */
export const TCP_ATTEMPT_TIMEOUT_MS = 3_000;

/** A validated `readiness`: at least one check, defaults applied, the timeout in milliseconds. */
export interface ReadinessSpec {
  statusChecks: boolean;
  tcpPort?: number;
  address: ReadinessAddress;
  timeoutMs: number;
}

const KNOWN_FIELDS: readonly (keyof ReadinessRequest)[] = ['statusChecks', 'tcpPort', 'address', 'timeout'];

/**
 * The spec of a `readiness` field, `null` when the request has none, or undefined after reporting
 * its problems (each named `readiness.<field>`).
 */
export function checkReadiness(value: unknown, problem: Report): ReadinessSpec | null | undefined {
  if (value === undefined) return null;
  if (!isPlainObject(value)) {
    problem('readiness', `must be an object with "statusChecks" and/or "tcpPort" (got ${describeType(value)})`);
    return undefined;
  }
  let reported = 0;
  const report: Report = (field, message) => {
    reported += 1;
    problem(field, message);
  };
  for (const key of Object.keys(value)) {
    if (!(KNOWN_FIELDS as readonly string[]).includes(key)) {
      const meant = KNOWN_FIELDS.find((known) => known.toLowerCase() === key.toLowerCase());
      report(
        `readiness.${fieldName(key)}`,
        meant ? `unknown field; field names are case-sensitive, did you mean "${meant}"?` : `unknown field; allowed fields are ${KNOWN_FIELDS.join(', ')}`,
      );
    }
  }

  let statusChecks = false;
  if (value.statusChecks !== undefined) {
    if (typeof value.statusChecks === 'boolean') statusChecks = value.statusChecks;
    else report('readiness.statusChecks', `must be true or false (got ${describeType(value.statusChecks)})`);
  }

  let tcpPort: number | undefined;
  if (value.tcpPort !== undefined) {
    const port = value.tcpPort;
    if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) tcpPort = port;
    else report('readiness.tcpPort', `must be a whole number from 1 to 65535 (got ${describeType(port)})`);
  }

  let address: ReadinessAddress = 'public';
  if (value.address !== undefined) {
    const choices = READINESS_ADDRESSES.map((a) => `"${a}"`).join(', ');
    if (isAddress(value.address)) address = value.address;
    else if (typeof value.address === 'string') report('readiness.address', `must be one of ${choices} (got ${quote(value.address)})`);
    else report('readiness.address', `must be one of ${choices} (got ${describeType(value.address)})`);
  }

  const timeoutMs = checkDuration(value.timeout, 'readiness.timeout', DEFAULT_READINESS_TIMEOUT_MS, READINESS_TIMEOUT_BOUNDS_MS, report);

  if (reported === 0 && !statusChecks && tcpPort === undefined) {
    report('readiness', 'asks for no check; set "statusChecks": true and/or a "tcpPort", or leave readiness out');
  }
  if (reported > 0 || timeoutMs === undefined) return undefined;
  const spec: ReadinessSpec = { statusChecks, address, timeoutMs };
  if (tcpPort !== undefined) spec.tcpPort = tcpPort;
  return spec;
}

function isAddress(value: unknown): value is ReadinessAddress {
  return typeof value === 'string' && (READINESS_ADDRESSES as readonly string[]).includes(value);
}
