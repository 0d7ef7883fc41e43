import { GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from './aws-clients';
import type { InstanceRef } from './describe-instance';
import { abortSignal } from './cancellation-and-heartbeats';
import { toApplicationFailure } from './ec2-errors';

/** How much of the console output a NotReady failure carries: enough for a failed cloud-init's last lines. */
export const CONSOLE_TAIL_BYTES = 4 * 1024;

/**
 * The last CONSOLE_TAIL_BYTES of the instance's console output (GetConsoleOutput), decoded as UTF-8;
 * undefined when EC2 has none yet. Where a failed boot or cloud-init shows.
 */
export async function consoleOutputTail(clients: AwsClients, { region, instanceId }: InstanceRef): Promise<string | undefined> {
  let output: string | undefined;
  try {
    const answer = await clients.ec2(region).send(new GetConsoleOutputCommand({ InstanceId: instanceId }), { abortSignal: abortSignal() });
    output = answer.Output;
  } catch (error) {
    throw toApplicationFailure(error, `GetConsoleOutput ${instanceId}`);
  }
  if (output === undefined || output === '') return undefined;
  return tailOf(Buffer.from(output, 'base64'), CONSOLE_TAIL_BYTES);
}

/** The last `max` bytes as text, starting at a whole character (a cut UTF-8 sequence is dropped, not garbled). */
export function tailOf(bytes: Buffer, max: number): string {
  let start = Math.max(0, bytes.length - max);
  // Continuation bytes are 10xxxxxx: skip to the first byte that starts a character.
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
  return bytes.subarray(start).toString('utf8');
}
