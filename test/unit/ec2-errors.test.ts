import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { classifyAwsError, isInstanceNotFound, jitteredBackoffMs, toApplicationFailure } from '../../src/activities/ec2-errors';

/** Shaped like an AWS SDK v3 service exception: EC2's code in `name`, the HTTP answer in `$metadata`. */
function serviceError(name: string, httpStatusCode: number, fault: 'client' | 'server' = httpStatusCode >= 500 ? 'server' : 'client') {
  return {
    name,
    message: `${name} message from EC2`,
    $fault: fault,
    $metadata: { httpStatusCode, requestId: 'req-0001' },
  };
}

/** Shaped like a Node.js socket error: no HTTP answer, a `code`. */
function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:443`), { code });
}

describe('classifyAwsError', () => {
  it.each<[string, unknown, string]>([
    ['AuthFailure', serviceError('AuthFailure', 401), 'AuthFailure'],
    ['UnauthorizedOperation', serviceError('UnauthorizedOperation', 403), 'UnauthorizedOperation'],
    ['InvalidClientTokenId', serviceError('InvalidClientTokenId', 403), 'InvalidClientTokenId'],
    ['SignatureDoesNotMatch', serviceError('SignatureDoesNotMatch', 403), 'SignatureDoesNotMatch'],
    ['OptInRequired', serviceError('OptInRequired', 401), 'OptInRequired'],
    ['Blocked', serviceError('Blocked', 403), 'Blocked'],
  ])('credentials: %s -> InvalidCredentials, not retryable', (_label, error, code) => {
    expect(classifyAwsError(error)).toEqual({ type: 'InvalidCredentials', retryable: false, code });
  });

  it.each<[string, unknown, string]>([
    // The SDK's own: the instance or container credential endpoint timed out during a refresh. No $metadata: EC2 never saw it.
    ['CredentialsProviderError (no $metadata)', { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' }, 'CredentialsProviderError'],
    ['ExpiredToken', serviceError('ExpiredToken', 400), 'ExpiredToken'],
    ['RequestExpired', serviceError('RequestExpired', 400), 'RequestExpired'],
  ])('credential refresh: %s -> CredentialsUnavailable, retryable', (_label, error, code) => {
    expect(classifyAwsError(error)).toEqual({ type: 'CredentialsUnavailable', retryable: true, code });
  });

  it.each(['InstanceLimitExceeded', 'VcpuLimitExceeded', 'MaxSpotInstanceCountExceeded'])('quota: %s -> QuotaExceeded, not retryable', (code) => {
    expect(classifyAwsError(serviceError(code, 400))).toEqual({ type: 'QuotaExceeded', retryable: false, code });
  });

  it.each<[string, number]>([
    ['InsufficientInstanceCapacity', 500],
    ['InsufficientInstanceCapacity', 400],
    ['SpotMaxPriceTooLow', 400],
    ['UnfulfillableCapacity', 400],
  ])('capacity: %s (HTTP %p) -> InsufficientCapacity, not retryable', (code, status) => {
    expect(classifyAwsError(serviceError(code, status))).toEqual({ type: 'InsufficientCapacity', retryable: false, code });
  });

  it.each(['InvalidAMIID.NotFound', 'InvalidParameterValue', 'Unsupported', 'SomethingNew'])(
    'configuration: %s (HTTP 400) -> InvalidConfiguration, not retryable',
    (code) => {
      expect(classifyAwsError(serviceError(code, 400))).toEqual({ type: 'InvalidConfiguration', retryable: false, code });
    },
  );

  it.each<[string, number]>([
    ['RequestLimitExceeded', 503],
    ['Throttling', 400],
    ['SomethingNew', 429],
  ])('throttling: %s (HTTP %p) -> Ec2Throttled, retryable', (code, status) => {
    expect(classifyAwsError(serviceError(code, status))).toEqual({ type: 'Ec2Throttled', retryable: true, code });
  });

  it.each<[string, number]>([
    ['InternalError', 500],
    ['SomethingNew', 503],
  ])('server: %s (HTTP %p) -> Ec2Unavailable, retryable', (code, status) => {
    expect(classifyAwsError(serviceError(code, status))).toEqual({ type: 'Ec2Unavailable', retryable: true, code });
  });

  it.each<[string, unknown, string]>([
    ['ECONNRESET', networkError('ECONNRESET'), 'ECONNRESET'],
    ['ECONNREFUSED', networkError('ECONNREFUSED'), 'ECONNREFUSED'],
    ['TimeoutError', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), 'TimeoutError'],
  ])('network: %s -> Ec2Unreachable, retryable', (_label, error, code) => {
    expect(classifyAwsError(error)).toEqual({ type: 'Ec2Unreachable', retryable: true, code });
  });

  it('reads the HTTP status from $response when $metadata has none', () => {
    const error = { name: 'SomethingNew', $fault: 'server', $metadata: {}, $response: { statusCode: 502 } };
    expect(classifyAwsError(error)).toEqual({ type: 'Ec2Unavailable', retryable: true, code: 'SomethingNew' });
  });
});

describe('toApplicationFailure', () => {
  const action = 'RunInstances t3.small in us-east-1';

  it.each<[string, string, boolean, string, number | undefined, unknown]>([
    ['credentials', 'InvalidCredentials', true, 'AuthFailure', 401, serviceError('AuthFailure', 401)],
    ['quota', 'QuotaExceeded', true, 'VcpuLimitExceeded', 400, serviceError('VcpuLimitExceeded', 400)],
    ['capacity', 'InsufficientCapacity', true, 'InsufficientInstanceCapacity', 500, serviceError('InsufficientInstanceCapacity', 500)],
    ['configuration', 'InvalidConfiguration', true, 'InvalidAMIID.NotFound', 400, serviceError('InvalidAMIID.NotFound', 400)],
    ['throttling', 'Ec2Throttled', false, 'RequestLimitExceeded', 503, serviceError('RequestLimitExceeded', 503)],
    ['server', 'Ec2Unavailable', false, 'InternalError', 500, serviceError('InternalError', 500)],
    ['network', 'Ec2Unreachable', false, 'ECONNRESET', undefined, networkError('ECONNRESET')],
    ['credential refresh', 'CredentialsUnavailable', false, 'ExpiredToken', 400, serviceError('ExpiredToken', 400)],
  ])('%s -> type %s, nonRetryable %p, details name %s and HTTP %p', (_family, type, nonRetryable, code, httpStatus, error) => {
    const failure = toApplicationFailure(error, action) as ApplicationFailure;

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
    expect(failure.message).toContain(action);
    expect(failure.message).toContain(code);
    expect(failure.details?.[0]).toMatchObject({ awsErrorCode: code, httpStatus });
  });

  it.each<[string, unknown, string]>([
    ['an EC2 error', serviceError('AuthFailure', 401), 'RunInstances t3.small in us-east-1 failed: AuthFailure: AuthFailure message from EC2.'],
    ['a network error', networkError('ECONNRESET'), 'RunInstances t3.small in us-east-1 failed: ECONNRESET: connect ECONNRESET 127.0.0.1:443.'],
  ])('puts the action, the code and the message of %s in the failure message', (_label, error, expected) => {
    expect(toApplicationFailure(error, action).message).toContain(expected);
  });

  it('keeps the request id in the details', () => {
    const failure = toApplicationFailure(serviceError('InternalError', 500), action) as ApplicationFailure;
    expect(failure.details?.[0]).toEqual({ awsErrorCode: 'InternalError', httpStatus: 500, requestId: 'req-0001' });
  });

  it.each<[string, unknown]>([
    ['a TypeError (a bug, not an AWS condition)', new TypeError('cannot read properties of undefined')],
    ['an Error without AWS metadata', new Error('something else')],
  ])('returns %s unchanged instead of disguising it as an AWS failure', (_label, error) => {
    expect(classifyAwsError(error)).toBeUndefined();
    expect(toApplicationFailure(error, action)).toBe(error);
  });

  it('wraps a thrown non-Error value in an Error that names the action', () => {
    const wrapped = toApplicationFailure('boom', action);
    expect(wrapped).not.toBeInstanceOf(ApplicationFailure);
    expect(wrapped.message).toBe('RunInstances t3.small in us-east-1 failed: boom');
  });

  it('keeps an Error as the cause', () => {
    const error = networkError('ECONNREFUSED');
    expect(toApplicationFailure(error, action).cause).toBe(error);
  });

  it.each<[string, unknown]>([
    ['AuthFailure', serviceError('AuthFailure', 401)],
    ['InvalidParameterValue', serviceError('InvalidParameterValue', 400)],
    ['IncorrectInstanceState', serviceError('IncorrectInstanceState', 400)],
  ])('with retryAll (compensation), %s keeps its type but is retryable', (code, error) => {
    const failure = toApplicationFailure(error, 'TerminateInstances i-1', { retryAll: true }) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain(code);
    expect((toApplicationFailure(error, 'TerminateInstances i-1') as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('passes an existing ApplicationFailure through unchanged', () => {
    const existing = ApplicationFailure.create({ type: 'InstanceLost', message: 'gone', nonRetryable: true });
    expect(toApplicationFailure(existing, action)).toBe(existing);
  });
});

describe('isInstanceNotFound', () => {
  it('is true for InvalidInstanceID.NotFound', () => {
    expect(isInstanceNotFound(serviceError('InvalidInstanceID.NotFound', 400))).toBe(true);
  });

  it.each<[string, unknown]>([
    ['InvalidInstanceID.Malformed', serviceError('InvalidInstanceID.Malformed', 400)],
    ['InvalidAMIID.NotFound', serviceError('InvalidAMIID.NotFound', 400)],
    ['a code in `code` instead of `name`', { code: 'InvalidInstanceID.NotFound' }],
    ['a string', 'InvalidInstanceID.NotFound'],
    ['null', null],
    ['undefined', undefined],
  ])('is false for %s', (_label, error) => {
    expect(isInstanceNotFound(error)).toBe(false);
  });
});

describe('jitteredBackoffMs', () => {
  it('doubles from 1 s, caps at 30 s, and keeps between half and all of the step', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((a) => jitteredBackoffMs(a, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect([1, 2, 6].map((a) => jitteredBackoffMs(a, () => 0))).toEqual([500, 1_000, 15_000]);
  });

  it('spreads retries of one attempt apart', () => {
    const delays = new Set(Array.from({ length: 50 }, () => jitteredBackoffMs(4)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(4_000);
  });
});

describe('retry delay inside an activity', () => {
  const throttled = Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });

  it('gives a retryable failure a jittered next-retry delay for its attempt', async () => {
    const env = new MockActivityEnvironment({ attempt: 3 });
    const result: unknown = await env.run(async () => toApplicationFailure(throttled, 'RunInstances'));
    const failure = result as ApplicationFailure;
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBeGreaterThanOrEqual(2_000);
    expect(failure.nextRetryDelay).toBeLessThanOrEqual(4_000);
  });

  it('leaves non-retryable failures and code outside activities alone', async () => {
    const denied = Object.assign(new Error('denied'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
    const env = new MockActivityEnvironment({ attempt: 3 });
    const result: unknown = await env.run(async () => toApplicationFailure(denied, 'RunInstances'));
    const failure = result as ApplicationFailure;
    expect(failure.nextRetryDelay).toBeUndefined();
    expect((toApplicationFailure(throttled, 'RunInstances') as ApplicationFailure).nextRetryDelay).toBeUndefined();
  });
});
