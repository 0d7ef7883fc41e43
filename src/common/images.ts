import type { Architecture } from './instance-types';

/** The region a request gets when it names none. */
export const DEFAULT_REGION = 'us-east-1';

/**
 * Canonical's Ubuntu 22.04 LTS (Jammy) images, per region and architecture.
 *
 * Only us-east-1 is listed: AMI ids are regional, and until images are resolved per region a request
 * for any other region is refused up front rather than failing inside AWS with a missing AMI.
 * When Canonical publishes a new image, update the id here (one line per architecture).
 */
export const UBUNTU_2204_IMAGES: Readonly<Record<string, Readonly<Record<Architecture, string>>>> = {
  'us-east-1': { amd64: 'ami-0c7217cdde317cfec', arm64: 'ami-0c7a8e3f05e4e5f0c' },
};

export const SUPPORTED_REGIONS: readonly string[] = Object.keys(UBUNTU_2204_IMAGES);

export function imageFor(region: string, architecture: Architecture): string | undefined {
  return UBUNTU_2204_IMAGES[region]?.[architecture];
}
