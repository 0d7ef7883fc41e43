/** stagely terminate, instance and validate-credentials: EC2 through the worker, by instance or region. */
import type { Command } from 'commander';
import { getInstanceStatus, terminateInstance, validateCredentials } from '../../client';
import { FailureType } from '../../common/failures';
import { describeProblems } from '../../common/field-checks';
import { INSTANCE_STATUS_REQUEST, validateInstanceStatusRequest } from '../../common/validate-instance-status-request';
import { TEARDOWN_REQUEST, validateTeardownRequest } from '../../common/validate-teardown-request';
import { withClient, withOutputFlags, type Run } from '../command-kit';
import { ExitCode, printProblem, printResult, type OutputOptions } from '../output';

type RegionOptions = OutputOptions & { region?: string };

async function terminate(instanceId: string, options: RegionOptions): Promise<ExitCode> {
  const request = { instanceId, ...(options.region !== undefined && { region: options.region }) };
  const checked = validateTeardownRequest(request);
  if (!checked.ok) {
    printProblem({ type: FailureType.InvalidSpec, message: describeProblems(TEARDOWN_REQUEST, checked.problems), problems: checked.problems }, options);
    return ExitCode.usage;
  }
  return withClient(options, undefined, async (client) => {
    printResult(await terminateInstance(client, request), options, (r) => (r.alreadyGone ? `${r.instanceId} was already terminated` : `Terminated ${r.instanceId}`));
    return ExitCode.ok;
  });
}

async function instance(instanceId: string, options: RegionOptions): Promise<ExitCode> {
  const request = { instanceId, ...(options.region !== undefined && { region: options.region }) };
  const checked = validateInstanceStatusRequest(request);
  if (!checked.ok) {
    printProblem({ type: FailureType.InvalidSpec, message: describeProblems(INSTANCE_STATUS_REQUEST, checked.problems), problems: checked.problems }, options);
    return ExitCode.usage;
  }
  return withClient(options, undefined, async (client) => {
    printResult(await getInstanceStatus(client, request), options);
    return ExitCode.ok;
  });
}

async function checkCredentials(options: RegionOptions): Promise<ExitCode> {
  return withClient(options, undefined, async (client) => {
    printResult(await validateCredentials(client, options.region === undefined ? {} : { region: options.region }), options);
    return ExitCode.ok;
  });
}

export function registerInstances(program: Command, run: Run): void {
  const terminateCommand = program
    .command('terminate')
    .description('Terminate an instance (teardown workflow); retries until EC2 confirms. Safe to repeat.')
    .argument('<instance-id>', 'the EC2 instance ID, e.g. i-0123456789abcdef0')
    .option('--region <region>', 'AWS region (default us-east-1)');
  withOutputFlags(terminateCommand, 'stagely terminate i-0123456789abcdef0 --region eu-west-1').action((id: string, options: RegionOptions) => run(terminate(id, options)));

  const instanceCommand = program
    .command('instance')
    .description("Show an instance as EC2 reports it now: state (pending | running | stopped | terminated), EC2's own state, IPs, type. Exit 7 if EC2 does not know it.")
    .argument('<instance-id>', 'the EC2 instance ID, e.g. i-0123456789abcdef0')
    .option('--region <region>', 'AWS region (default us-east-1)');
  withOutputFlags(instanceCommand, 'stagely instance i-0123456789abcdef0 --json').action((id: string, options: RegionOptions) => run(instance(id, options)));

  const credentialsCommand = program
    .command('validate-credentials')
    .description("Check the worker's AWS credentials with DescribeRegions; exit 1 with InvalidCredentials if AWS refuses them.")
    .option('--region <region>', "region to check (default: the worker's)");
  withOutputFlags(credentialsCommand, 'stagely validate-credentials --region us-east-1').action((options: RegionOptions) => run(checkCredentials(options)));
}
