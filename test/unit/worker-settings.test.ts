import { DEFAULT_EC2_BUDGET, type Ec2Budget } from '../../src/activities/ec2-budget';
import { awsSettings, parseBudget, workerTuning } from '../../src/worker/settings';

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
      startAdmissionRate: { min: 1, max: 1000 },
    });
  });

  it('bounds the start admission rate with STAGELY_START_ADMISSION_RATE=MIN-MAX, and refuses anything else', () => {
    expect(workerTuning({ STAGELY_START_ADMISSION_RATE: '0.5-20' }).startAdmissionRate).toEqual({ min: 0.5, max: 20 });
    for (const bad of ['20-0.5', '0-5', '5', 'fast', '-1-5']) {
      expect(() => workerTuning({ STAGELY_START_ADMISSION_RATE: bad })).toThrow(`STAGELY_START_ADMISSION_RATE must be MIN-MAX new provisions per second, both positive and MIN <= MAX, e.g. 1-1000 (got ${bad})`);
    }
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

describe('parseBudget', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_EC2_BUDGET).toEqual({
      describe: { burst: 50, perSecond: 10 },
      launch: { burst: 1000, perSecond: 2 },
      mutate: { burst: 100, perSecond: 2.5 },
    });
  });

  it.each<[string, string | undefined]>([
    ['undefined', undefined],
    ['empty', ''],
    ['blank', '  '],
    ['only commas', ' , '],
  ])('%s gives the defaults', (_label, text) => {
    expect(parseBudget(text)).toEqual({
      describe: { burst: 50, perSecond: 10 },
      launch: { burst: 1000, perSecond: 2 },
      mutate: { burst: 100, perSecond: 2.5 },
    });
  });

  it.each<[string, Ec2Budget]>([
    [
      'describe=20/4',
      {
        describe: { burst: 20, perSecond: 4 },
        launch: { burst: 1000, perSecond: 2 },
        mutate: { burst: 100, perSecond: 2.5 },
      },
    ],
    [
      'launch=10/0.5, mutate=5/1',
      {
        describe: { burst: 50, perSecond: 10 },
        launch: { burst: 10, perSecond: 0.5 },
        mutate: { burst: 5, perSecond: 1 },
      },
    ],
    [
      ' describe=1/1 ,launch=2/2, mutate=3.5/0.25 ',
      {
        describe: { burst: 1, perSecond: 1 },
        launch: { burst: 2, perSecond: 2 },
        mutate: { burst: 3.5, perSecond: 0.25 },
      },
    ],
  ])('%p overrides only the classes it names', (text, expected) => {
    expect(parseBudget(text)).toEqual(expected);
  });

  it('leaves DEFAULT_EC2_BUDGET alone', () => {
    parseBudget('describe=1/1,launch=1/1,mutate=1/1');
    expect(DEFAULT_EC2_BUDGET).toEqual({
      describe: { burst: 50, perSecond: 10 },
      launch: { burst: 1000, perSecond: 2 },
      mutate: { burst: 100, perSecond: 2.5 },
    });
  });

  it.each([
    'describe=20',
    'other=1/1',
    'describe=0/1',
    'describe=5/0',
    'describe=a/b',
    'describe=0.5/1',
    'describe=-1/1',
    'describe=20/4;launch=1/1',
    'DESCRIBE=20/4',
  ])('rejects %p, naming STAGELY_EC2_BUDGET', (text) => {
    expect(() => parseBudget(text)).toThrow(/STAGELY_EC2_BUDGET/);
  });

  it('quotes the offending part', () => {
    expect(() => parseBudget('describe=20/4,other=1/1')).toThrow('"other=1/1"');
  });
});
