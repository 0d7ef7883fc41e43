/**
 * The AWS activities, bound to the clients and settings the worker builds once.
 *
 * Workflows import only the type: `proxyActivities<Activities>()`.
 */
import { CANONICAL_UBUNTU_2204_PARAMETER, DEFAULT_REGION } from '../common/images';
import type { AwsClients } from './aws-clients';
import { DescribeBatcher, type BatchingOptions } from './describe-batcher';
import { describeInstance, type InstanceRef } from './describe-instance';
import { ImageCache, resolveImage, type ImageRequest } from './resolve-image';
import { runInstances, type LaunchRequest } from './run-instances';
import { terminateInstance } from './terminate-instance';
import { validateCredentials } from './validate-credentials';

export type { AwsClients } from './aws-clients';
export type { BatchingOptions } from './describe-batcher';
export { regionalClients } from './aws-clients';
export type { InstanceRef, InstanceStatus } from './describe-instance';
export type { ImageRequest, ResolvedImage } from './resolve-image';
export type { LaunchedInstance, LaunchRequest } from './run-instances';
export type { TerminationResult } from './terminate-instance';

export interface ActivityOptions {
  /** One client per region; see regionalClients(). */
  clients: AwsClients;
  /**
   * SSM parameter holding the image id, `{arch}` standing for amd64/arm64.
   * @default Canonical's public Ubuntu 22.04 parameter
   */
  imageParameter?: string;
  /** How long a resolved image id is reused. @default 1 hour */
  imageCacheTtlMs?: number;
  /** Region validateCredentials checks when none is given. @default "us-east-1" */
  defaultRegion?: string;
  /**
   * Coalesce concurrent describeInstance calls into shared DescribeInstances calls (false: one call
   * per poll). @default on, 50 ms window, 200 ids per call
   */
  batching?: BatchingOptions | false;
}

export function createActivities(options: ActivityOptions) {
  const { clients } = options;
  const parameter = options.imageParameter ?? CANONICAL_UBUNTU_2204_PARAMETER;
  const images = new ImageCache(options.imageCacheTtlMs ?? 60 * 60_000);
  const batcher = options.batching === false ? undefined : new DescribeBatcher(clients.ec2, options.batching ?? {});
  return {
    resolveImage: (request: ImageRequest) => resolveImage(clients, images, parameter, request),
    runInstances: (request: LaunchRequest) => runInstances(clients, request),
    describeInstance: (ref: InstanceRef) => describeInstance(clients, ref, batcher),
    terminateInstance: (ref: InstanceRef) => terminateInstance(clients, ref),
    validateCredentials: (region?: string) => validateCredentials(clients, region ?? options.defaultRegion ?? DEFAULT_REGION),
  };
}

export type Activities = ReturnType<typeof createActivities>;
