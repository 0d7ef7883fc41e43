/**
 * contract/request-differences.json: pairs of provision requests and the fields in which they differ,
 * as the TypeScript client's attach check (src/common/request-differences.ts) finds them. The Go
 * package's StartProvision makes the same check; its test reads this file, so both languages name the
 * same fields for the same requests. `npm run contract` writes it with the other contract files.
 */
import { differingFields } from '../src/common/request-differences';

export const REQUEST_DIFFERENCES_FILE = 'request-differences.json';

interface Pair {
  name: string;
  existing: unknown;
  requested: unknown;
}

export interface RequestDifferenceCase extends Pair {
  /** What differingFields answers: sorted normalised field names, `(request)`, or none. */
  fields: string[];
}

const minimal = { size: 'small', architecture: 'arm64' };
const every = {
  size: 'large',
  architecture: 'amd64',
  region: 'eu-west-1',
  spotInstance: true,
  spotFallback: 'none',
  imageId: 'ami-0123456789abcdef0',
  userData: '#!/bin/bash\necho hello\n',
  tags: { Name: 'preview-pr-42', team: 'web', empty: '' },
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123abcd'],
  securityGroupIds: ['sg-0123456789abcdef0'],
  rootVolumeGiB: 100,
  ipWaitTimeout: '2m',
  pollInterval: 2000,
};
const subnet = 'subnet-0123456789abcdef0';

const PAIRS: readonly Pair[] = [
  { name: 'the same minimal request', existing: minimal, requested: { architecture: 'arm64', size: 'small' } },
  {
    name: 'defaults spelled out (Go durations, an explicit Name tag)',
    existing: minimal,
    requested: {
      ...minimal,
      region: 'us-east-1',
      spotInstance: false,
      spotFallback: 'on-demand',
      tags: { Name: 'stagely-vm' },
      securityGroupIds: [],
      rootVolumeGiB: 20,
      ipWaitTimeout: '5m0s',
      pollInterval: '5s',
    },
  },
  { name: 'durations as milliseconds, digit strings and words', existing: { ...minimal, ipWaitTimeout: 90_000, pollInterval: '1500' }, requested: { ...minimal, ipWaitTimeout: '1m30s', pollInterval: '1.5s' } },
  { name: 'empty user data is none', existing: { ...minimal, userData: '' }, requested: minimal },
  { name: 'subnetId is a one-subnet subnetIds', existing: { ...minimal, subnetId: subnet }, requested: { ...minimal, subnetIds: [subnet] } },
  { name: 'every field, the same', existing: every, requested: { ...every, tags: { team: 'web', empty: '', Name: 'preview-pr-42' } } },
  { name: 'size, and the root volume that follows from it', existing: minimal, requested: { ...minimal, size: 'large' } },
  { name: 'an explicit root volume of the size\'s default', existing: { ...minimal, size: 'medium' }, requested: { ...minimal, size: 'medium', rootVolumeGiB: 40 } },
  { name: 'a tag added', existing: minimal, requested: { ...minimal, tags: { team: 'web' } } },
  { name: 'the Name tag renamed', existing: minimal, requested: { ...minimal, tags: { Name: 'pr-42' } } },
  { name: 'spot', existing: minimal, requested: { ...minimal, spotInstance: true } },
  { name: 'region, image and security groups', existing: every, requested: { ...every, region: 'us-east-1', imageId: 'ami-0123abcd', securityGroupIds: [] } },
  { name: 'subnet order', existing: every, requested: { ...every, subnetIds: [...every.subnetIds].reverse() } },
  { name: 'user data, spot fallback and the IP wait (2000 ms is "2s")', existing: every, requested: { ...every, userData: 'other', spotFallback: 'on-demand', ipWaitTimeout: '3m', pollInterval: '2s' } },
  { name: 'architecture', existing: minimal, requested: { ...minimal, architecture: 'amd64' } },
  {
    name: 'readiness defaults spelled out',
    existing: { ...minimal, readiness: { tcpPort: 22 } },
    requested: { ...minimal, readiness: { tcpPort: 22, address: 'public', timeout: '10m0s', statusChecks: false } },
  },
  { name: 'readiness on another port', existing: { ...minimal, readiness: { tcpPort: 22 } }, requested: { ...minimal, readiness: { tcpPort: 2222 } } },
  { name: 'readiness added', existing: minimal, requested: { ...minimal, readiness: { statusChecks: true } } },
  { name: 'an invalid size against a valid request', existing: minimal, requested: { ...minimal, size: 'huge' } },
  { name: 'a valid request against an invalid one', existing: { ...minimal, tags: { 'aws:owner': 'me' } }, requested: minimal },
  { name: 'the same invalid request, keys in another order', existing: { size: 'huge', architecture: 'arm64' }, requested: { architecture: 'arm64', size: 'huge' } },
  { name: 'two different invalid requests', existing: { size: 'huge', architecture: 'arm64' }, requested: { size: 'tiny', architecture: 'arm64' } },
  { name: 'an unknown field', existing: minimal, requested: { ...minimal, spot: true } },
  { name: 'a null field', existing: minimal, requested: { ...minimal, region: null } },
  { name: 'an empty image id', existing: minimal, requested: { ...minimal, imageId: '' } },
  { name: 'an empty subnet list', existing: minimal, requested: { ...minimal, subnetIds: [] } },
  { name: 'a zero root volume', existing: minimal, requested: { ...minimal, rootVolumeGiB: 0 } },
  { name: 'a zero duration', existing: minimal, requested: { ...minimal, pollInterval: '0s' } },
  { name: 'a duration out of bounds', existing: minimal, requested: { ...minimal, ipWaitTimeout: '2h' } },
  { name: 'a request that is not an object', existing: minimal, requested: 'small' },
];

export function requestDifferenceCases(): { description: string; cases: RequestDifferenceCase[] } {
  return {
    description:
      'Pairs of provision requests and the normalised fields in which they differ, as the TypeScript client finds them before it attaches a start to a run (src/common/request-differences.ts). Generated by npm run contract; the Go package checks its own comparison against it.',
    cases: PAIRS.map((pair) => ({ ...pair, fields: differingFields(pair.existing, pair.requested) })),
  };
}
