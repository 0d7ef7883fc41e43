import { exhaustedFailureType, launchRefusal, type LaunchFailure, type Refusal, type RefusalKind } from '../../src/common/launch-refusals';

const invalid = (awsErrorCode: string, message = `${awsErrorCode}: refused`): LaunchFailure => ({ type: 'InvalidConfiguration', message, awsErrorCode });

describe('launchRefusal', () => {
  it.each<[string, LaunchFailure, boolean, Refusal | undefined]>([
    ['capacity, with its code', { type: 'InsufficientCapacity', message: '', awsErrorCode: 'InsufficientInstanceCapacity' }, false, { kind: 'capacity', code: 'InsufficientInstanceCapacity' }],
    ['capacity without a code', { type: 'InsufficientCapacity', message: '' }, false, { kind: 'capacity', code: 'InsufficientCapacity' }],
    ['the spot limit on spot', { type: 'QuotaExceeded', message: '', awsErrorCode: 'MaxSpotInstanceCountExceeded' }, true, { kind: 'spot-quota', code: 'MaxSpotInstanceCountExceeded' }],
    ['the spot limit on-demand (cannot happen; not a refusal)', { type: 'QuotaExceeded', message: '', awsErrorCode: 'MaxSpotInstanceCountExceeded' }, false, undefined],
    ['an account quota', { type: 'QuotaExceeded', message: '', awsErrorCode: 'VcpuLimitExceeded' }, false, undefined],
    ['a type not offered in the zone', invalid('Unsupported'), false, { kind: 'not-offered', code: 'Unsupported' }],
    ['a type moto does not know', invalid('InvalidInstanceType.NotFound'), false, { kind: 'not-offered', code: 'InvalidInstanceType.NotFound' }],
    ['a type EC2 does not know', invalid('InvalidParameterValue', "InvalidParameterValue: Invalid value 'c9z.large' for InstanceType."), false, { kind: 'not-offered', code: 'InvalidParameterValue' }],
    ['another invalid parameter', invalid('InvalidParameterValue', 'InvalidParameterValue: User data is limited to 16384 bytes'), false, undefined],
    ['an architecture mismatch', invalid('InvalidParameterValue', "The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI."), false, undefined],
    ['a bad image', invalid('InvalidAMIID.NotFound'), false, undefined],
    ['a configuration failure without a code', { type: 'InvalidConfiguration', message: 'Unsupported' }, false, undefined],
    ['a transient failure', { type: 'Ec2Unreachable', message: '', awsErrorCode: 'ECONNRESET' }, false, undefined],
  ])('%s', (_name, failure, spot, expected) => {
    expect(launchRefusal(failure, spot)).toEqual(expected);
  });
});

describe('exhaustedFailureType', () => {
  it.each<[RefusalKind[], string]>([
    [['capacity', 'capacity'], 'InsufficientCapacity'],
    [['not-offered', 'not-offered'], 'InvalidConfiguration'],
    [['not-offered', 'capacity'], 'InsufficientCapacity'],
    [['capacity', 'not-offered'], 'InsufficientCapacity'],
    [['capacity', 'spot-quota'], 'QuotaExceeded'],
    [['spot-quota', 'capacity'], 'InsufficientCapacity'],
    [['spot-quota', 'not-offered'], 'InvalidConfiguration'],
    [[], 'InsufficientCapacity'],
  ])('%j -> %s', (kinds, type) => {
    expect(exhaustedFailureType(kinds)).toBe(type);
  });
});
