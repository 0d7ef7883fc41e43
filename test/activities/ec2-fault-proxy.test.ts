/**
 * The fault proxy itself: requests pass through to moto unchanged, and injected EC2 errors reach the
 * caller through the real AWS SDK parsing, with the code as the error name and the injected status.
 */
import {
  DescribeRegionsCommand,
  EC2Client,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  failWhen,
  isRunInstances,
  isSpot,
  startEc2FaultProxy,
  type Ec2FaultProxy,
  type Ec2Request,
} from '../../tools/ec2-fault-proxy';
import { canListen } from '../../tools/local-stack';
import { instancesTagged, motoEc2Client, motoEndpoint, uniqueName } from '../support/env';

const IMAGE = 'ami-0c7217cdde317cfec';
const TAG = 'stagely-fault-proxy-test';

let proxy: Ec2FaultProxy;
let ec2: EC2Client;
const moto = motoEc2Client();

beforeAll(async () => {
  proxy = await startEc2FaultProxy(motoEndpoint());
  ec2 = new EC2Client({
    region: 'us-east-1',
    endpoint: proxy.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
});

afterEach(() => {
  proxy.rules.length = 0;
  proxy.requests.length = 0;
});

afterAll(async () => {
  ec2?.destroy();
  moto.destroy();
  await proxy?.close();
});

function runInput(instanceType: RunInstancesCommandInput['InstanceType'], tag: string, extra: Partial<RunInstancesCommandInput> = {}): RunInstancesCommandInput {
  return {
    ImageId: IMAGE,
    InstanceType: instanceType,
    MinCount: 1,
    MaxCount: 1,
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: TAG, Value: tag }] }],
    ...extra,
  };
}

/** What the promise rejected with; fails the test if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; requestId?: string }; code?: string }> {
  const outcome = await promise.then(
    () => ({ resolved: true as const }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error('expected the call to fail, but it succeeded');
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error as Error;
}

const isType = (type: string) => (r: Ec2Request) => r.params.InstanceType === type;

it('forwards a request to moto and records it', async () => {
  const out = await ec2.send(new DescribeRegionsCommand({}));
  expect(out.Regions?.map((r) => r.RegionName)).toContain('us-east-1');
  expect(proxy.requests).toHaveLength(1);
  expect(proxy.requests[0]?.action).toBe('DescribeRegions');
  expect(proxy.requests[0]?.injected).toBeUndefined();
});

it('injects InsufficientInstanceCapacity for one instance type and lets another through to moto', async () => {
  proxy.rules.push(failWhen((r) => isRunInstances(r) && isType('t3.small')(r), { code: 'InsufficientInstanceCapacity', message: 'We currently do not have sufficient t3.small capacity.' }));
  const refused = uniqueName('refused');
  const accepted = uniqueName('accepted');

  const error = await rejection(ec2.send(new RunInstancesCommand(runInput('t3.small', refused))));
  expect(error.name).toBe('InsufficientInstanceCapacity');
  expect(error.message).toBe('We currently do not have sufficient t3.small capacity.');
  expect(error.$metadata?.httpStatusCode).toBe(400);
  expect(error.$metadata?.requestId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
  expect(await instancesTagged(moto, TAG, refused)).toHaveLength(0);

  const out = await ec2.send(new RunInstancesCommand(runInput('t3a.small', accepted)));
  const created = await instancesTagged(moto, TAG, accepted);
  expect(created.map((i) => i.InstanceId)).toEqual([out.Instances?.[0]?.InstanceId]);
  expect(created[0]?.InstanceType).toBe('t3a.small');

  expect(proxy.requests.map((r) => [r.action, r.params.InstanceType, r.injected])).toEqual([
    ['RunInstances', 't3.small', 'InsufficientInstanceCapacity'],
    ['RunInstances', 't3a.small', undefined],
  ]);
});

it('failWhen fires the given number of times, then lets requests through', async () => {
  const rule = failWhen(isRunInstances, { code: 'InsufficientInstanceCapacity' }, 2);
  proxy.rules.push(rule);
  const tag = uniqueName('twice');

  for (let i = 0; i < 2; i++) {
    const error = await rejection(ec2.send(new RunInstancesCommand(runInput('t3.small', tag))));
    expect(error.name).toBe('InsufficientInstanceCapacity');
  }
  expect(rule.fired).toBe(2);
  await ec2.send(new RunInstancesCommand(runInput('t3.small', tag)));
  expect(rule.fired).toBe(2);
  expect(await instancesTagged(moto, TAG, tag)).toHaveLength(1);
  expect(proxy.requests.map((r) => r.injected)).toEqual(['InsufficientInstanceCapacity', 'InsufficientInstanceCapacity', undefined]);
});

it('injects RequestLimitExceeded with HTTP 503', async () => {
  proxy.rules.push(() => ({ code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 }));
  const error = await rejection(ec2.send(new DescribeRegionsCommand({})));
  expect(error.name).toBe('RequestLimitExceeded');
  expect(error.$metadata?.httpStatusCode).toBe(503);
});

it('answers with the status EC2 uses for the code when the rule gives none', async () => {
  proxy.rules.push(failWhen(() => true, { code: 'RequestLimitExceeded' }, 1));
  proxy.rules.push(failWhen(() => true, { code: 'InternalError' }, 1));
  proxy.rules.push(failWhen(() => true, { code: 'InvalidAMIID.NotFound' }, 1));
  const statuses: Array<[string, number | undefined]> = [];
  for (let i = 0; i < 3; i++) {
    const error = await rejection(ec2.send(new DescribeRegionsCommand({})));
    statuses.push([error.name, error.$metadata?.httpStatusCode]);
  }
  expect(statuses).toEqual([
    ['RequestLimitExceeded', 503],
    ['InternalError', 500],
    ['InvalidAMIID.NotFound', 400],
  ]);
});

it("'reset' drops the connection: a network error with no HTTP status", async () => {
  proxy.rules.push(() => 'reset');
  const error = await rejection(ec2.send(new DescribeRegionsCommand({})));
  expect(error.$metadata?.httpStatusCode).toBeUndefined();
  // Outside jest the SDK rejects with Node's own error: name 'TimeoutError', code 'ECONNRESET',
  // message 'socket hang up'. Under jest that error comes from another realm (node:http is not
  // sandboxed), fails the SDK's `instanceof Error`, and is re-wrapped as a plain Error whose message is
  // 'AWS SDK error wrapper for TimeoutError: socket hang up' and which has no code.
  expect(`${error.name} ${error.code ?? ''} ${error.message}`).toMatch(/ECONNRESET|socket hang up/);
  expect(proxy.requests[0]?.injected).toBe('reset');

  // The client recovers once the rule is gone.
  proxy.rules.length = 0;
  await expect(ec2.send(new DescribeRegionsCommand({}))).resolves.toBeDefined();
});

it('records the form fields of a spot launch', async () => {
  const spotFailures = failWhen(isSpot, { code: 'InsufficientInstanceCapacity' });
  proxy.rules.push(spotFailures);
  const tag = uniqueName('spot');

  await ec2.send(new RunInstancesCommand(runInput('t3.small', tag)));
  expect(spotFailures.fired).toBe(0);
  const error = await rejection(
    ec2.send(new RunInstancesCommand(runInput('t3.small', tag, { InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time' } } }))),
  );
  expect(error.name).toBe('InsufficientInstanceCapacity');
  expect(spotFailures.fired).toBe(1);

  const [onDemand, spot] = proxy.requests;
  expect(onDemand?.params['InstanceMarketOptions.MarketType']).toBeUndefined();
  expect(spot?.params).toEqual(
    expect.objectContaining({
      Action: 'RunInstances',
      InstanceType: 't3.small',
      ImageId: IMAGE,
      'InstanceMarketOptions.MarketType': 'spot',
      'InstanceMarketOptions.SpotOptions.SpotInstanceType': 'one-time',
      'TagSpecification.1.Tag.1.Value': tag,
    }),
  );
  expect(await instancesTagged(moto, TAG, tag)).toHaveLength(1);
});

it('passes a spot launch through to moto when no rule matches', async () => {
  const tag = uniqueName('spot-through');
  await ec2.send(new RunInstancesCommand(runInput('t3.small', tag, { InstanceMarketOptions: { MarketType: 'spot' } })));
  expect(isSpot(proxy.requests[0] ?? { action: '', params: {} })).toBe(true);
  const [instance] = await instancesTagged(moto, TAG, tag);
  expect(instance?.InstanceLifecycle).toBe('spot');
});

it('close() frees the port even with a kept-alive connection open', async () => {
  const other = await startEc2FaultProxy(motoEndpoint());
  const client = new EC2Client({ region: 'us-east-1', endpoint: other.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  try {
    await client.send(new DescribeRegionsCommand({}));
    await other.close();
    await other.close(); // idempotent
    expect(await canListen(Number(new URL(other.endpoint).port))).toBe(true);
  } finally {
    client.destroy();
  }
});

it('forwards a non-form body (SSM JSON) untouched, with action empty', async () => {
  const send = (endpoint: string): Promise<Response> =>
    fetch(`${endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonSSM.PutParameter',
        authorization: 'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify({ Name: uniqueName('/stagely/proxy'), Value: 'Action=RunInstances', Type: 'String' }),
    });
  const direct = await send(motoEndpoint());
  const proxied = await send(proxy.endpoint);
  expect(direct.status).toBe(200); // moto stored the parameter, so the JSON body arrived intact
  expect(proxied.status).toBe(direct.status);
  expect(await proxied.json()).toEqual(await direct.json());
  expect(proxy.requests).toEqual([{ action: '', params: {}, upstreamMs: expect.any(Number) }]);
});
