import type { Architecture } from './instance-types';

/**
 * Where Canonical publishes the current Ubuntu 22.04 image id of each region, as a public SSM
 * parameter. `{arch}` is replaced by the architecture (Canonical names them amd64 and arm64, as we do).
 * Operators can point the worker at their own parameters (golden images) with STAGELY_IMAGE_PARAMETER.
 */
export const CANONICAL_UBUNTU_2204_PARAMETER = '/aws/service/canonical/ubuntu/server/22.04/stable/current/{arch}/hvm/ebs-gp2/ami-id';

export function imageParameterPath(template: string, architecture: Architecture): string {
  return template.split('{arch}').join(architecture);
}

/**
 * Where a run's image id came from: the request's `imageId`, the SSM parameter, or the static
 * table below (used when the parameter cannot be read).
 */
export type ImageSource = 'request' | 'parameter' | 'static';

/**
 * Canonical's Ubuntu 22.04 LTS (Jammy) images known without a lookup: the fallback when SSM cannot be
 * read. Only us-east-1 is listed; other regions depend on the SSM parameter (or an explicit imageId).
 */
export const UBUNTU_2204_IMAGES: Readonly<Record<string, Readonly<Record<Architecture, string>>>> = {
  'us-east-1': { amd64: 'ami-0c7217cdde317cfec', arm64: 'ami-0c7a8e3f05e4e5f0c' },
};

export function staticImageFor(region: string, architecture: Architecture): string | undefined {
  return Object.hasOwn(UBUNTU_2204_IMAGES, region) ? UBUNTU_2204_IMAGES[region]?.[architecture] : undefined;
}

/** EC2's name for each architecture, as DescribeImages reports it. */
export const EC2_ARCHITECTURE: Readonly<Record<Architecture, string>> = { amd64: 'x86_64', arm64: 'arm64' };
