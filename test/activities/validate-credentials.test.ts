/**
 * validateCredentials against a moto that checks credentials for real: INITIAL_NO_AUTH_ACTION_COUNT
 * lets the first few calls (creating an IAM user and its key) through unsigned-checked, then moto
 * verifies every signature like AWS does.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/common';
import { freePort, startMoto, type Moto } from '../../tools/local-stack';
import { createActivities } from '../../src/activities';
import type { CredentialsCheck } from '../../src/common/contract';
import { runActivity } from '../support/activity-env';
import { TEST_LOG_DIR } from '../support/shared-setup';

let moto: Moto;
let key: { accessKeyId: string; secretAccessKey: string };

beforeAll(async () => {
  // Three free actions: CreateUser, CreateAccessKey, PutUserPolicy. Everything after is checked.
  moto = await startMoto({ extraEnv: { INITIAL_NO_AUTH_ACTION_COUNT: '3' }, logDir: TEST_LOG_DIR });
  const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' } });
  await iam.send(new CreateUserCommand({ UserName: 'stagely-worker' }));
  const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'stagely-worker' }));
  key = { accessKeyId: created.AccessKey?.AccessKeyId ?? '', secretAccessKey: created.AccessKey?.SecretAccessKey ?? '' };
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'stagely-worker',
      PolicyName: 'describe-regions',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeRegions', Resource: '*' }] }),
    }),
  );
  iam.destroy();
}, 60_000);

afterAll(async () => {
  await moto?.process.stop();
});

async function check(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<CredentialsCheck> {
  const ec2 = new EC2Client({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });
  const clients = { ec2: () => ec2, ssm: () => { throw new Error('not used'); } };
  try {
    return await runActivity(createActivities({ clients }).validateCredentials);
  } finally {
    ec2.destroy();
  }
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

it('accepts credentials AWS knows', async () => {
  const result = await check(moto.endpoint, key);
  expect(result.region).toBe('us-east-1');
  expect(result.regionCount).toBeGreaterThan(0);
});

it('reports an unknown access key as InvalidCredentials, non-retryable', async () => {
  const failure = await failureOf(check(moto.endpoint, { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'nope' }));
  expect(failure.type).toBe('InvalidCredentials');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('AuthFailure');
});

it('reports a wrong secret as InvalidCredentials', async () => {
  const failure = await failureOf(check(moto.endpoint, { ...key, secretAccessKey: 'wrong-secret' }));
  expect(failure.type).toBe('InvalidCredentials');
});

it('reports an unreachable endpoint as a retryable network failure, not as bad credentials', async () => {
  const closedPort = await freePort();
  const failure = await failureOf(check(`http://127.0.0.1:${closedPort}`, key));
  expect(failure.type).toBe('Ec2Unreachable');
  expect(failure.nonRetryable).toBe(false);
});
