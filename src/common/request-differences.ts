/**
 * Whether two provision requests ask for the same VM, and if not, which fields differ: what
 * `startProvision` checks before it attaches a start to a run that already holds the workflow ID.
 *
 * Requests are compared as the validator normalises them, not as written, so requests that mean the
 * same VM (defaults spelled out or left out, "5m" for 300000, `subnetId` for a one-subnet
 * `subnetIds`, keys in any order) are the same request.
 */
import { validateProvisionRequest } from './validate-provision-request';

/** Stands for the whole request when the fields cannot be compared one by one. */
export const WHOLE_REQUEST = '(request)';

/** JSON with object keys sorted at every depth; arrays keep their order (subnet order matters). */
export function canonicalJson(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  ) as string | undefined;
  // JSON.stringify gives undefined for undefined (a request that is missing altogether).
  return json ?? 'undefined';
}

/**
 * The fields of the normalised request (`size`, `tags`, `ipWaitTimeoutMs`, ...) whose values differ,
 * sorted; empty when both ask for the same VM. A request the validator refuses can only be compared
 * as a whole: `[WHOLE_REQUEST]` when it differs.
 */
export function differingFields(existing: unknown, requested: unknown): string[] {
  const [a, b] = [validateProvisionRequest(existing), validateProvisionRequest(requested)];
  if (!a.ok || !b.ok) {
    const same = a.ok === b.ok && canonicalJson(existing) === canonicalJson(requested);
    return same ? [] : [WHOLE_REQUEST];
  }
  const specA: Record<string, unknown> = { ...a.spec };
  const specB: Record<string, unknown> = { ...b.spec };
  const names = new Set([...Object.keys(specA), ...Object.keys(specB)]);
  return [...names].filter((name) => canonicalJson(specA[name]) !== canonicalJson(specB[name])).sort();
}
