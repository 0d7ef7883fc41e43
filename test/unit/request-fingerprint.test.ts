import { PROVISION_CONFLICT } from '../../src/common/failures';
import { ProvisionConflictError } from '../../src/provision-conflict';
import {
  canonicalJson,
  differingFields,
  fingerprintFromMemo,
  FINGERPRINT_VERSION,
  REQUEST_MEMO_KEY,
  requestFingerprint,
  WHOLE_REQUEST,
} from '../../src/request-fingerprint';
import { EVERY_FIELD_REQUEST } from '../support/requests';

const minimal = { size: 'small', architecture: 'arm64' } as const;

/** The same object with its keys in reverse order, at every depth. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
}

it('is the same whatever the order of keys, at every depth', () => {
  expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe('{"a":{"c":3,"d":[2,{"e":0,"f":1}]},"b":1}');
  expect(requestFingerprint(reversed(EVERY_FIELD_REQUEST))).toEqual(requestFingerprint(EVERY_FIELD_REQUEST));
});

it('is the same for requests that mean the same VM: defaults spelled out, durations in ms or words', () => {
  const spelledOut = {
    architecture: 'arm64',
    size: 'small',
    region: 'us-east-1',
    spotInstance: false,
    spotFallback: 'on-demand',
    tags: { Name: 'stagely-vm' },
    rootVolumeGiB: 20,
    ipWaitTimeout: 300_000,
    pollInterval: '5s',
  };
  expect(requestFingerprint(spelledOut)).toEqual(requestFingerprint(minimal));
  expect(differingFields(requestFingerprint(minimal), requestFingerprint(spelledOut))).toEqual([]);
  expect(requestFingerprint({ ...minimal, subnetId: 'subnet-0123456789abcdef0' })).toEqual(
    requestFingerprint({ ...minimal, subnetIds: ['subnet-0123456789abcdef0'] }),
  );
});

it('names exactly the normalised fields that differ', () => {
  const base = requestFingerprint(EVERY_FIELD_REQUEST);
  const changed = requestFingerprint({ ...EVERY_FIELD_REQUEST, size: 'medium', tags: { ...EVERY_FIELD_REQUEST.tags, team: 'api' }, ipWaitTimeout: '3m' });
  expect(differingFields(base, changed)).toEqual(['ipWaitTimeoutMs', 'size', 'tags']);
  // A field present on one side only differs too.
  const { userData: _, ...withoutUserData } = EVERY_FIELD_REQUEST;
  expect(differingFields(base, requestFingerprint(withoutUserData))).toEqual(['userData']);
  // Subnet order is the order of fallbacks, so it matters.
  const two = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'];
  expect(differingFields(requestFingerprint({ ...minimal, subnetIds: two }), requestFingerprint({ ...minimal, subnetIds: [...two].reverse() }))).toEqual(['subnetIds']);
});

it('holds hashes, never values: user data and tags do not appear in the memo', () => {
  const secret = 'token=s3cr3t-bootstrap-value';
  const fingerprint = requestFingerprint({ ...minimal, userData: `#!/bin/bash\necho ${secret}\n`, tags: { owner: 'alice@example.com' } });
  const memo = JSON.stringify(fingerprint);
  expect(memo).not.toContain('s3cr3t');
  expect(memo).not.toContain('alice');
  expect(fingerprint).toMatchObject({ v: FINGERPRINT_VERSION, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  for (const hash of Object.values(fingerprint.fields ?? {})) expect(hash).toMatch(/^[0-9a-f]{16}$/);
});

it('compares an invalid request as a whole', () => {
  const invalid = requestFingerprint({ size: 'huge', architecture: 'arm64' });
  expect(invalid.fields).toBeUndefined();
  expect(differingFields(requestFingerprint(minimal), invalid)).toEqual([WHOLE_REQUEST]);
  expect(differingFields(invalid, requestFingerprint({ architecture: 'arm64', size: 'huge' }))).toEqual([]);
  expect(requestFingerprint(undefined).hash).toMatch(/^[0-9a-f]{64}$/);
});

it('reads a fingerprint back from a memo, and nothing from a run without one or of another version', () => {
  const fingerprint = requestFingerprint(minimal);
  expect(fingerprintFromMemo({ [REQUEST_MEMO_KEY]: fingerprint })).toEqual(fingerprint);
  expect(fingerprintFromMemo(undefined)).toBeUndefined();
  expect(fingerprintFromMemo({})).toBeUndefined();
  expect(fingerprintFromMemo({ [REQUEST_MEMO_KEY]: { ...fingerprint, v: FINGERPRINT_VERSION + 1 } })).toBeUndefined();
  expect(fingerprintFromMemo({ [REQUEST_MEMO_KEY]: 'garbage' })).toBeUndefined();
  // Malformed field hashes: only the whole request is compared.
  expect(fingerprintFromMemo({ [REQUEST_MEMO_KEY]: { ...fingerprint, fields: { size: 1 } } })).toEqual({ v: FINGERPRINT_VERSION, hash: fingerprint.hash });
});

it('the conflict error carries the type, the run and the fields, and says what to do', () => {
  const error = new ProvisionConflictError('pr-42', 'run-1', 'RUNNING', ['size', 'tags']);
  expect(error).toMatchObject({ type: PROVISION_CONFLICT, name: 'ProvisionConflictError', workflowId: 'pr-42', runId: 'run-1', fields: ['size', 'tags'] });
  expect(error.message).toBe(
    'workflow pr-42 already has a RUNNING run (run-1) started with a different request (differs in size, tags); ' +
      'start it with the same request to attach, or use another workflow ID',
  );
});
