import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../common/failures';
import { EC2_ARCHITECTURE, imageParameterPath, staticImageFor, type ImageSource } from '../common/images';
import type { Architecture } from '../common/instance-types';
import type { AwsClients } from './aws-clients';
import { abortSignal } from './cancellation-and-heartbeats';
import { toApplicationFailure } from './ec2-errors';

export interface ImageRequest {
  region: string;
  architecture: Architecture;
  /** The request's own image; skips the parameter lookup. */
  imageId?: string;
}

export interface ResolvedImage {
  imageId: string;
  source: ImageSource;
  /** The SSM parameter read (source "parameter") or tried (source "static"). */
  parameter?: string;
  /** The image's root device, where the root volume mapping must go. */
  rootDeviceName: string;
}

/** Ubuntu's images, and most others, boot from this device. */
const DEFAULT_ROOT_DEVICE = '/dev/sda1';
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/**
 * Remembers resolved images for a while so a burst of provisions costs one SSM and one DescribeImages
 * call per region and architecture, not one per run. Fallbacks to the static table are not kept, so
 * the next run reads SSM again.
 */
export class ImageCache {
  private readonly entries = new Map<string, { image: ResolvedImage; expiresAt: number }>();
  private readonly inflight = new Map<string, Promise<ResolvedImage>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): ResolvedImage | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.image;
  }

  set(key: string, image: ResolvedImage): void {
    if (this.ttlMs > 0) this.entries.set(key, { image, expiresAt: this.now() + this.ttlMs });
  }

  /**
   * The cached image, else one lookup shared by every concurrent caller: a burst of a thousand starts
   * makes one SSM and one DescribeImages call, not a thousand that queue for the EC2 call budget
   * (ahead of the polls that share it). A failure reaches every caller, and each retries on its own.
   */
  shared(key: string, lookUp: () => Promise<ResolvedImage>): Promise<ResolvedImage> {
    const cached = this.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    let running = this.inflight.get(key);
    if (running === undefined) {
      running = lookUp().finally(() => this.inflight.delete(key));
      this.inflight.set(key, running);
    }
    return running;
  }
}

/**
 * Finds the image a run launches: the request's imageId, else the SSM parameter (Canonical's Ubuntu
 * 22.04, or the operator's own), else the static table when SSM cannot be read. Then checks with
 * DescribeImages that the image exists in the region, is available and matches the architecture, and
 * learns its root device name.
 */
export async function resolveImage(
  clients: AwsClients,
  cache: ImageCache,
  parameterTemplate: string,
  request: ImageRequest,
): Promise<ResolvedImage> {
  const key = [request.region, request.architecture, request.imageId ?? parameterTemplate].join('|');
  return cache.shared(key, async () => {
    const image = await lookUpImage(clients, parameterTemplate, request);
    if (image.source !== 'static') cache.set(key, image);
    return image;
  });
}

async function lookUpImage(clients: AwsClients, parameterTemplate: string, request: ImageRequest): Promise<ResolvedImage> {
  const { region, architecture } = request;
  let imageId: string;
  let source: ImageSource;
  let parameter: string | undefined;
  if (request.imageId !== undefined) {
    imageId = request.imageId;
    source = 'request';
  } else {
    parameter = imageParameterPath(parameterTemplate, architecture);
    try {
      imageId = await readParameter(clients, region, parameter);
      source = 'parameter';
    } catch (error) {
      const fallback = staticImageFor(region, architecture);
      const reason = error instanceof Error ? error.message : String(error);
      if (fallback === undefined) {
        throw ApplicationFailure.create({
          type: FailureType.InvalidConfiguration,
          message: `No Ubuntu 22.04 image for ${architecture} in ${region}: the SSM parameter ${parameter} could not be read (${reason}). Pass imageId in the request, or point STAGELY_IMAGE_PARAMETER at a parameter the worker can read.`,
          // A transient SSM error (throttling, network) is retried; anything else will not get better.
          nonRetryable: !(error instanceof ApplicationFailure) || error.nonRetryable === true,
          cause: error instanceof Error ? error : undefined,
        });
      }
      Context.current().log.warn('SSM image parameter unreadable; using the static image table', { region, architecture, parameter, reason });
      imageId = fallback;
      source = 'static';
    }
  }

  const rootDeviceName = await checkImage(clients, region, architecture, imageId, source);
  const image: ResolvedImage = { imageId, source, rootDeviceName };
  if (parameter !== undefined) image.parameter = parameter;
  return image;
}

async function readParameter(clients: AwsClients, region: string, name: string): Promise<string> {
  let value: string | undefined;
  try {
    const output = await clients.ssm(region).send(new GetParameterCommand({ Name: name }), { abortSignal: abortSignal() });
    value = output.Parameter?.Value;
  } catch (error) {
    throw toApplicationFailure(error, `GetParameter ${name} in ${region}`);
  }
  if (value === undefined || !AMI_ID.test(value)) {
    throw ApplicationFailure.nonRetryable(`parameter ${name} holds ${JSON.stringify(value ?? null)}, not an image id`, FailureType.InvalidConfiguration);
  }
  return value;
}

async function checkImage(
  clients: AwsClients,
  region: string,
  architecture: Architecture,
  imageId: string,
  source: ImageSource,
): Promise<string> {
  const action = `DescribeImages ${imageId} in ${region}`;
  let image;
  try {
    const output = await clients.ec2(region).send(new DescribeImagesCommand({ ImageIds: [imageId] }), { abortSignal: abortSignal() });
    image = output.Images?.find((i) => i.ImageId === imageId);
  } catch (error) {
    if (!isImageNotFound(error)) throw toApplicationFailure(error, action);
  }
  const problem =
    image === undefined
      ? `does not exist in ${region} (or this account cannot see it)`
      : image.State !== undefined && image.State !== 'available'
        ? `is ${image.State}, not available`
        : image.Architecture !== undefined && image.Architecture !== EC2_ARCHITECTURE[architecture]
          ? `is built for ${image.Architecture}, but the request is for ${architecture} (${EC2_ARCHITECTURE[architecture]})`
          : undefined;
  if (problem !== undefined) {
    throw ApplicationFailure.nonRetryable(
      `Image ${imageId} (from ${source === 'request' ? 'the request' : source === 'parameter' ? 'the SSM parameter' : 'the static table'}) ${problem}. Use an image id from ${region} for ${architecture}.`,
      FailureType.InvalidConfiguration,
    );
  }
  return image?.RootDeviceName ?? DEFAULT_ROOT_DEVICE;
}

function isImageNotFound(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'InvalidAMIID.NotFound' || name === 'InvalidAMIID.Unavailable';
}
