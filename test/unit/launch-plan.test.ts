import { describeCandidate, launchPlan, type LaunchCandidate, type LaunchPlan } from '../../src/common/launch-plan';
import type { ProvisionSpec } from '../../src/common/validate-provision-request';

type PlanInput = Parameters<typeof launchPlan>[0];

const A = 'subnet-aaaaaaaa';
const B = 'subnet-bbbbbbbb';

const onDemand = (overrides: Partial<PlanInput>): PlanInput => ({
  size: 'small',
  architecture: 'amd64',
  spotInstance: false,
  spotFallback: 'on-demand',
  subnetIds: [],
  ...overrides,
});

describe('launchPlan', () => {
  it.each<[string, PlanInput, LaunchPlan]>([
    [
      'on-demand medium amd64 without subnets: the primary type, then its alternates, in the default VPC',
      onDemand({ size: 'medium' }),
      {
        spot: [],
        onDemand: [
          { instanceType: 'c5.xlarge', spot: false },
          { instanceType: 'c6i.xlarge', spot: false },
          { instanceType: 'c5a.xlarge', spot: false },
          { instanceType: 'c6a.xlarge', spot: false },
        ],
      },
    ],
    [
      'on-demand small amd64 with two subnets: every type in the first subnet, then in the second',
      onDemand({ subnetIds: [A, B] }),
      {
        spot: [],
        onDemand: [
          { instanceType: 't3.small', spot: false, subnetId: A },
          { instanceType: 't3a.small', spot: false, subnetId: A },
          { instanceType: 't3.small', spot: false, subnetId: B },
          { instanceType: 't3a.small', spot: false, subnetId: B },
        ],
      },
    ],
    [
      'on-demand large arm64 in one subnet',
      onDemand({ size: 'large', architecture: 'arm64', subnetIds: [B] }),
      {
        spot: [],
        onDemand: [
          { instanceType: 'c6g.2xlarge', spot: false, subnetId: B },
          { instanceType: 'c7g.2xlarge', spot: false, subnetId: B },
          { instanceType: 'c6gn.2xlarge', spot: false, subnetId: B },
        ],
      },
    ],
    [
      'on-demand ignores spotFallback "none"',
      onDemand({ spotFallback: 'none' }),
      {
        spot: [],
        onDemand: [
          { instanceType: 't3.small', spot: false },
          { instanceType: 't3a.small', spot: false },
        ],
      },
    ],
    [
      'spot with fallback "on-demand", small amd64, two subnets: one spot attempt, then the on-demand order',
      onDemand({ spotInstance: true, spotFallback: 'on-demand', subnetIds: [A, B] }),
      {
        spot: [{ instanceType: 't3.small', spot: true, subnetId: A }],
        onDemand: [
          { instanceType: 't3.small', spot: false, subnetId: A },
          { instanceType: 't3a.small', spot: false, subnetId: A },
          { instanceType: 't3.small', spot: false, subnetId: B },
          { instanceType: 't3a.small', spot: false, subnetId: B },
        ],
      },
    ],
    [
      'spot with fallback "none", small amd64, two subnets: the whole order on the spot market, no on-demand',
      onDemand({ spotInstance: true, spotFallback: 'none', subnetIds: [A, B] }),
      {
        spot: [
          { instanceType: 't3.small', spot: true, subnetId: A },
          { instanceType: 't3a.small', spot: true, subnetId: A },
          { instanceType: 't3.small', spot: true, subnetId: B },
          { instanceType: 't3a.small', spot: true, subnetId: B },
        ],
        onDemand: [],
      },
    ],
    [
      'spot small arm64 without subnets: t4g.small has no alternate',
      onDemand({ architecture: 'arm64', spotInstance: true }),
      {
        spot: [{ instanceType: 't4g.small', spot: true }],
        onDemand: [{ instanceType: 't4g.small', spot: false }],
      },
    ],
    [
      'spot with fallback "none", medium arm64, without subnets',
      onDemand({ size: 'medium', architecture: 'arm64', spotInstance: true, spotFallback: 'none' }),
      {
        spot: [
          { instanceType: 'c6g.xlarge', spot: true },
          { instanceType: 'c7g.xlarge', spot: true },
          { instanceType: 'c6gn.xlarge', spot: true },
        ],
        onDemand: [],
      },
    ],
  ])('%s', (_label, spec, expected) => {
    const plan = launchPlan(spec);

    // toStrictEqual: a candidate without a subnet has no subnetId key at all (not subnetId: undefined).
    expect(plan).toStrictEqual(expected);
  });

  it('leaves out the subnetId key when the request names no subnet', () => {
    const plan = launchPlan(onDemand({ size: 'medium', spotInstance: true }));

    for (const c of [...plan.spot, ...plan.onDemand]) {
      expect(Object.keys(c)).toEqual(['instanceType', 'spot']);
    }
  });

  it('accepts a whole ProvisionSpec', () => {
    const spec: ProvisionSpec = {
      size: 'small',
      architecture: 'amd64',
      region: 'us-east-1',
      spotInstance: true,
      spotFallback: 'on-demand',
      tags: { Name: 'stagely-vm' },
      subnetIds: [A],
      securityGroupIds: [],
      rootVolumeGiB: 20,
      ipWaitTimeoutMs: 300_000,
      pollIntervalMs: 5_000,
    };

    expect(launchPlan(spec)).toStrictEqual({
      spot: [{ instanceType: 't3.small', spot: true, subnetId: A }],
      onDemand: [
        { instanceType: 't3.small', spot: false, subnetId: A },
        { instanceType: 't3a.small', spot: false, subnetId: A },
      ],
    });
  });

  it('does not change the subnet list it was given', () => {
    const subnetIds = [A, B];
    launchPlan(onDemand({ spotInstance: true, subnetIds }));
    expect(subnetIds).toEqual([A, B]);
  });
});

describe('describeCandidate', () => {
  it.each<[LaunchCandidate, string]>([
    [{ instanceType: 't3.small', spot: true, subnetId: A }, 't3.small spot in subnet-aaaaaaaa'],
    [{ instanceType: 't3.small', spot: false, subnetId: B }, 't3.small on-demand in subnet-bbbbbbbb'],
    [{ instanceType: 't3.small', spot: false }, 't3.small on-demand'],
    [{ instanceType: 'c6g.xlarge', spot: true }, 'c6g.xlarge spot'],
  ])('%p -> %p', (candidate, expected) => {
    expect(describeCandidate(candidate)).toBe(expected);
  });
});
