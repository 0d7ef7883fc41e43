/**
 * A provision request's fingerprint: what `startProvision` writes into a run's memo, so that a later
 * start under the same workflow ID can tell whether it asks for the same VM before it attaches.
 *
 * It hashes the validator's normalised spec, not the request as written, so requests that mean the
 * same VM (defaults spelled out or left out, "5m" for 300000, `subnetId` for a one-subnet `subnetIds`,
 * keys in any order) have the same fingerprint. It holds hashes, not values: memos show in the Web UI (in plain
 * text when no payload key is configured), and user data and tags must not. A hash of a guessable
 * value (the size) can be guessed; the run's summary shows those anyway.
 */
import { createHash } from 'node:crypto';
import { validateProvisionRequest } from './common/validate-request';

/** The memo key `startProvision` writes the fingerprint under. */
export const REQUEST_MEMO_KEY = 'stagelyRequest';
/** Bumped when the normalised spec or the hashing changes; a run with another version is not compared. */
export const FINGERPRINT_VERSION = 1;
/** Stands for the whole request when the fields cannot be compared one by one. */
export const WHOLE_REQUEST = '(request)';

export interface RequestFingerprint {
  v: number;
  /** SHA-256 (hex) of the canonical JSON of the normalised spec (of the request itself when it is invalid). */
  hash: string;
  /** Per normalised field (`size`, `tags`, `ipWaitTimeoutMs`, ...): the first 16 hex digits of its SHA-256. Absent for an invalid request. */
  fields?: Record<string, string>;
}

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

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export function requestFingerprint(request: unknown): RequestFingerprint {
  const checked = validateProvisionRequest(request);
  // An invalid request gets a run too (it fails with InvalidSpec); only the whole of it can be compared.
  if (!checked.ok) return { v: FINGERPRINT_VERSION, hash: sha256(canonicalJson(request)) };
  const fields = Object.fromEntries(
    Object.entries(checked.spec)
      .filter(([, value]) => value !== undefined)
      .map(([field, value]) => [field, sha256(canonicalJson(value)).slice(0, 16)]),
  );
  return { v: FINGERPRINT_VERSION, hash: sha256(canonicalJson(checked.spec)), fields };
}

/** The fingerprint in a run's memo, or undefined for a run without one (started before fingerprints, or by another client). */
export function fingerprintFromMemo(memo: Record<string, unknown> | undefined): RequestFingerprint | undefined {
  const value = memo?.[REQUEST_MEMO_KEY];
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, hash, fields } = value as Record<string, unknown>;
  if (v !== FINGERPRINT_VERSION || typeof hash !== 'string') return undefined;
  if (fields === undefined) return { v, hash };
  if (typeof fields !== 'object' || fields === null || !Object.values(fields).every((h) => typeof h === 'string')) return { v, hash };
  return { v, hash, fields: fields as Record<string, string> };
}

/** The normalised fields whose values differ, sorted; `[WHOLE_REQUEST]` when only the whole differs. Empty: the same request. */
export function differingFields(existing: RequestFingerprint, requested: RequestFingerprint): string[] {
  if (existing.hash === requested.hash) return [];
  if (existing.fields === undefined || requested.fields === undefined) return [WHOLE_REQUEST];
  const names = new Set([...Object.keys(existing.fields), ...Object.keys(requested.fields)]);
  const differing = [...names].filter((name) => existing.fields?.[name] !== requested.fields?.[name]).sort();
  return differing.length > 0 ? differing : [WHOLE_REQUEST];
}
