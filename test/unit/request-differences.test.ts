import { PROVISION_CONFLICT } from '../../src/common/failures';
import { canonicalJson, differingFields, WHOLE_REQUEST } from '../../src/common/request-differences';
import { ProvisionConflictError } from '../../src/provision-conflict';
import { REQUEST_DIFFERENCES_FILE, type requestDifferenceCases } from '../../scripts/request-difference-cases';
import { readContractFile } from '../support/contract-schemas';
import { EVERY_FIELD_REQUEST } from '../support/requests';

const minimal = { size: 'small', architecture: 'arm64' } as const;

/** The same object with its keys in reverse order, at every depth. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
}

it('does not care about the order of keys, at any depth', () => {
  expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe('{"a":{"c":3,"d":[2,{"e":0,"f":1}]},"b":1}');
  expect(canonicalJson(undefined)).toBe('undefined');
  expect(differingFields(reversed(EVERY_FIELD_REQUEST), EVERY_FIELD_REQUEST)).toEqual([]);
});

it('finds no difference between requests that mean the same VM: defaults spelled out, durations in ms or words', () => {
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
  expect(differingFields(minimal, spelledOut)).toEqual([]);
  expect(differingFields({ ...minimal, subnetId: 'subnet-0123456789abcdef0' }, { ...minimal, subnetIds: ['subnet-0123456789abcdef0'] })).toEqual([]);
});

it('names exactly the normalised fields that differ', () => {
  const changed = { ...EVERY_FIELD_REQUEST, size: 'medium', tags: { ...EVERY_FIELD_REQUEST.tags, team: 'api' }, ipWaitTimeout: '3m' };
  expect(differingFields(EVERY_FIELD_REQUEST, changed)).toEqual(['ipWaitTimeoutMs', 'size', 'tags']);
  // A field present on one side only differs too.
  const { userData: _, ...withoutUserData } = EVERY_FIELD_REQUEST;
  expect(differingFields(EVERY_FIELD_REQUEST, withoutUserData)).toEqual(['userData']);
  // A default that follows from another field differs with it.
  expect(differingFields(minimal, { ...minimal, size: 'large' })).toEqual(['rootVolumeGiB', 'size']);
  // Subnet order is the order of fallbacks, so it matters.
  const two = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'];
  expect(differingFields({ ...minimal, subnetIds: two }, { ...minimal, subnetIds: [...two].reverse() })).toEqual(['subnetIds']);
});

it('compares a request the validator refuses as a whole', () => {
  const invalid = { size: 'huge', architecture: 'arm64' };
  expect(differingFields(minimal, invalid)).toEqual([WHOLE_REQUEST]);
  expect(differingFields(invalid, minimal)).toEqual([WHOLE_REQUEST]);
  expect(differingFields(invalid, { architecture: 'arm64', size: 'huge' })).toEqual([]);
  expect(differingFields(undefined, minimal)).toEqual([WHOLE_REQUEST]);
});

it('the conflict error carries the type, the run and the fields, and says what to do', () => {
  const error = new ProvisionConflictError('pr-42', 'run-1', 'RUNNING', ['size', 'tags']);
  expect(error).toMatchObject({ type: PROVISION_CONFLICT, name: 'ProvisionConflictError', workflowId: 'pr-42', runId: 'run-1', fields: ['size', 'tags'] });
  expect(error.message).toBe(
    'workflow pr-42 already has a RUNNING run (run-1) started with a different request (differs in size, tags); ' +
      'start it with the same request to attach, or use another workflow ID',
  );
});

it('tells requests apart by their readiness, and not by readiness defaults spelled out', () => {
  const base = { size: 'small', architecture: 'amd64' };
  expect(differingFields({ ...base, readiness: { tcpPort: 22 } }, { ...base, readiness: { tcpPort: 22, address: 'public', timeout: '10m' } })).toEqual([]);
  expect(differingFields({ ...base, readiness: { tcpPort: 22 } }, { ...base, readiness: { tcpPort: 2222 } })).toEqual(['readiness']);
  expect(differingFields(base, { ...base, readiness: { statusChecks: true } })).toEqual(['readiness']);
});

describe('the shared cases in contract/request-differences.json (the Go package checks its comparison against them)', () => {
  const { cases } = readContractFile(REQUEST_DIFFERENCES_FILE) as ReturnType<typeof requestDifferenceCases>;

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, { existing, requested, fields }) => {
    expect(differingFields(existing, requested)).toEqual(fields);
  });

  it('cover requests that match, that differ in named fields, and that can only be compared whole', () => {
    expect(cases.some((c) => c.fields.length === 0)).toBe(true);
    expect(cases.some((c) => c.fields.length > 1 && !c.fields.includes(WHOLE_REQUEST))).toBe(true);
    expect(cases.filter((c) => c.fields.includes(WHOLE_REQUEST)).length).toBeGreaterThan(5);
  });
});
