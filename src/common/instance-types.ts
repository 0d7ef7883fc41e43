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

/**
 * Equivalent types to try, in order, when AWS has no capacity for the primary one: the same vCPU
 * count and memory, a newer Intel generation or the AMD variant for amd64, a newer Graviton for
 * arm64. t4g.small has no Graviton equivalent of that size (the next would double the price), so a
 * small arm64 VM relies on other subnets alone.
 */
export const ALTERNATE_INSTANCE_TYPES: Readonly<Record<Size, Readonly<Record<Architecture, readonly string[]>>>> = {
  small: { amd64: ['t3a.small'], arm64: [] },
  medium: { amd64: ['c6i.xlarge', 'c5a.xlarge', 'c6a.xlarge'], arm64: ['c7g.xlarge', 'c6gn.xlarge'] },
  large: { amd64: ['c6i.2xlarge', 'c5a.2xlarge', 'c6a.2xlarge'], arm64: ['c7g.2xlarge', 'c6gn.2xlarge'] },
};

/** The primary type first, then its alternates. */
export function instanceTypesFor(size: Size, architecture: Architecture): string[] {
  return [INSTANCE_TYPES[size][architecture], ...ALTERNATE_INSTANCE_TYPES[size][architecture]];
}

/**
 * Root volume (encrypted gp3) per size, in GiB: room for the OS, a container runtime and its image
 * cache, and a build. A request may override it within ROOT_VOLUME_BOUNDS_GIB.
 */
export const ROOT_VOLUME_GIB: Readonly<Record<Size, number>> = { small: 20, medium: 40, large: 80 };
/** Ubuntu's image needs 8 GiB; above 1 TiB a preview VM is almost certainly a mistake. */
export const ROOT_VOLUME_BOUNDS_GIB = { min: 8, max: 1024 } as const;

export function isSize(value: unknown): value is Size {
  return typeof value === 'string' && (SIZES as readonly string[]).includes(value);
}

export function isArchitecture(value: unknown): value is Architecture {
  return typeof value === 'string' && (ARCHITECTURES as readonly string[]).includes(value);
}
