/** A valid provision request that sets every field: the validator tests and the fuzz generator start from it. */
export const EVERY_FIELD_REQUEST = {
  size: 'large',
  architecture: 'amd64',
  region: 'us-east-1',
  spotInstance: true,
  spotFallback: 'none',
  imageId: 'ami-0123456789abcdef0',
  userData: '#!/bin/bash\necho hello\n',
  tags: { Name: 'preview-pr-42', team: 'web', empty: '' },
  subnetId: 'subnet-0123456789abcdef0',
  securityGroupIds: ['sg-0123456789abcdef0'],
  rootVolumeGiB: 100,
  ipWaitTimeout: '2m',
  pollInterval: 2000,
} as const;
