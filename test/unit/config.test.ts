import { awsSettings, describeSettings, temporalSettings, workerTuning } from '../../src/config';

describe('temporalSettings', () => {
  it('defaults to the local dev server and the contract task queue', () => {
    const settings = temporalSettings({});
    expect(settings.connectionOptions.address).toBe('localhost:7233');
    expect(settings.connectionOptions.tls).toBeUndefined();
    expect(settings.namespace).toBe('default');
    expect(settings.taskQueue).toBe('stagely-provisioning');
  });

  it('reads Temporal environment configuration and the task queue', () => {
    const settings = temporalSettings({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'previews',
      STAGELY_TASK_QUEUE: 'stagely-eu',
    });
    expect(settings.connectionOptions.address).toBe('temporal.internal:7233');
    expect(settings.namespace).toBe('previews');
    expect(settings.taskQueue).toBe('stagely-eu');
  });

  it('turns on TLS for an API key (Temporal Cloud) and never prints the key', () => {
    const settings = temporalSettings({
      TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233',
      TEMPORAL_NAMESPACE: 'stagely.a1b2c',
      TEMPORAL_API_KEY: 'secret-api-key-value',
    });
    expect(settings.connectionOptions.apiKey).toBe('secret-api-key-value');
    expect(settings.connectionOptions.tls).toBe(true);
    const line = describeSettings(settings);
    expect(line).toBe('us-east-1.aws.api.temporal.io:7233 (namespace stagely.a1b2c, TLS with API key), task queue stagely-provisioning');
    expect(line).not.toContain('secret-api-key-value');
  });

  it('treats blank values as unset', () => {
    const settings = temporalSettings({ TEMPORAL_ADDRESS: ' ', STAGELY_TASK_QUEUE: '' });
    expect(settings.connectionOptions.address).toBe('localhost:7233');
    expect(settings.taskQueue).toBe('stagely-provisioning');
  });
});

describe('awsSettings', () => {
  it('batches polls with a 500 ms window and the default EC2 budget unless told otherwise', () => {
    const settings = awsSettings({});
    expect(settings.batching).toEqual({ windowMs: 500, timeoutMs: 30_000 });
    expect(settings.ec2TimeoutMs).toBe(30_000);
    expect(settings.budget).toEqual({
      describe: { burst: 50, perSecond: 10 },
      launch: { burst: 1000, perSecond: 2 },
      mutate: { burst: 100, perSecond: 2.5 },
    });
    expect(settings.defaultRegion).toBe('us-east-1');
    expect(settings.imageCacheTtlMs).toBe(3_600_000);
  });

  it('reads batching, budget, region, image parameter and cache time', () => {
    const settings = awsSettings({
      STAGELY_DESCRIBE_BATCH_WINDOW: '250ms',
      STAGELY_EC2_BUDGET: 'describe=20/4',
      AWS_REGION: 'eu-west-1',
      STAGELY_IMAGE_PARAMETER: '/golden/{arch}',
      STAGELY_IMAGE_CACHE_TTL: '10m',
      STAGELY_EC2_TIMEOUT: '5s',
    });
    expect(settings.batching).toEqual({ windowMs: 250, timeoutMs: 5_000 });
    expect(settings.ec2TimeoutMs).toBe(5_000);
    expect(settings.budget.describe).toEqual({ burst: 20, perSecond: 4 });
    expect(settings.defaultRegion).toBe('eu-west-1');
    expect(settings.imageParameter).toBe('/golden/{arch}');
    expect(settings.imageCacheTtlMs).toBe(600_000);
    expect(awsSettings({ STAGELY_DESCRIBE_BATCHING: 'off' }).batching).toBe(false);
  });

  it.each([
    [{ STAGELY_EC2_BUDGET: 'describe=fast' }, 'STAGELY_EC2_BUDGET'],
    [{ STAGELY_DESCRIBE_BATCH_WINDOW: 'soon' }, 'STAGELY_DESCRIBE_BATCH_WINDOW'],
    [{ STAGELY_IMAGE_PARAMETER: '/golden/ubuntu' }, '{arch}'],
    [{ STAGELY_IMAGE_CACHE_TTL: 'forever' }, 'STAGELY_IMAGE_CACHE_TTL'],
    [{ STAGELY_EC2_TIMEOUT: '0s' }, 'STAGELY_EC2_TIMEOUT'],
    [{ STAGELY_EC2_TIMEOUT: 'never' }, 'STAGELY_EC2_TIMEOUT'],
  ])('refuses %j with a message naming %s', (env, name) => {
    expect(() => awsSettings(env)).toThrow(name);
  });
});

describe('workerTuning', () => {
  it('lets a whole DescribeInstances batch of local-activity polls wait at once by default', () => {
    expect(workerTuning({})).toEqual({
      maxConcurrentActivityTaskExecutions: 100,
      maxConcurrentLocalActivityExecutions: 200,
      maxConcurrentWorkflowTaskExecutions: 40,
      maxCachedWorkflows: 1000,
      shutdownGraceTimeMs: 30_000,
      startAdmission: true,
    });
  });

  it('turns start admission off with STAGELY_START_ADMISSION=off, and refuses anything but on or off', () => {
    expect(workerTuning({ STAGELY_START_ADMISSION: 'off' }).startAdmission).toBe(false);
    expect(workerTuning({ STAGELY_START_ADMISSION: 'on' }).startAdmission).toBe(true);
    expect(() => workerTuning({ STAGELY_START_ADMISSION: 'no' })).toThrow('STAGELY_START_ADMISSION must be on or off (got no)');
  });

  it('reads each setting, and refuses what is not a whole number of at least 1', () => {
    expect(workerTuning({ STAGELY_MAX_CONCURRENT_LOCAL_ACTIVITIES: '400', STAGELY_SHUTDOWN_GRACE: '1m' })).toMatchObject({
      maxConcurrentLocalActivityExecutions: 400,
      shutdownGraceTimeMs: 60_000,
    });
    expect(() => workerTuning({ STAGELY_MAX_CONCURRENT_LOCAL_ACTIVITIES: '0' })).toThrow('STAGELY_MAX_CONCURRENT_LOCAL_ACTIVITIES must be a whole number of at least 1 (got 0)');
  });
});
