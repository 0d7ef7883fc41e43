/** Sizes and architectures a provision request may ask for, and the EC2 instance type each pair gets. */

export const SIZES = ['small', 'medium', 'large'] as const;
export type Size = (typeof SIZES)[number];

export const ARCHITECTURES = ['amd64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * Small VMs are burstable (t3/t4g) because most previews idle; medium and large are compute-optimised
 * (c5/c6g) because builds are CPU-bound. amd64 and arm64 columns are the same class of machine.
 */
export const INSTANCE_TYPES: Readonly<Record<Size, Readonly<Record<Architecture, string>>>> = {
  small: { amd64: 't3.small', arm64: 't4g.small' }, // 2 vCPU, 2 GiB
  medium: { amd64: 'c5.xlarge', arm64: 'c6g.xlarge' }, // 4 vCPU, 8 GiB
  large: { amd64: 'c5.2xlarge', arm64: 'c6g.2xlarge' }, // 8 vCPU, 16 GiB
};

export function instanceTypeFor(size: Size, architecture: Architecture): string {
  return INSTANCE_TYPES[size][architecture];
}

export function isSize(value: unknown): value is Size {
  return typeof value === 'string' && (SIZES as readonly string[]).includes(value);
}

export function isArchitecture(value: unknown): value is Architecture {
  return typeof value === 'string' && (ARCHITECTURES as readonly string[]).includes(value);
}
