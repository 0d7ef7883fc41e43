/**
 * Payloads in proto3 JSON, the shape of the codec server protocol: every bytes field (the data and
 * each metadata value) is base64.
 *
 *   {"payloads": [{"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}, "data": "..."}]}
 */
import type { Payload } from '@temporalio/common';

export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** A request body that is not `{payloads: [...]}` of base64 strings. */
export class PayloadJsonError extends Error {
  override readonly name = 'PayloadJsonError';
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function payloadsFromJson(body: unknown): Payload[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { payloads?: unknown }).payloads)) {
    throw new PayloadJsonError('expected a JSON object {"payloads": [...]}');
  }
  return (body as { payloads: unknown[] }).payloads.map((item, i) => {
    if (typeof item !== 'object' || item === null) throw new PayloadJsonError(`payloads[${i}] is not an object`);
    const { metadata, data } = item as { metadata?: unknown; data?: unknown };
    const decoded: Record<string, Uint8Array> = {};
    if (metadata !== undefined && metadata !== null) {
      if (typeof metadata !== 'object' || Array.isArray(metadata)) throw new PayloadJsonError(`payloads[${i}].metadata is not an object`);
      for (const [key, value] of Object.entries(metadata)) decoded[key] = bytes(value, `payloads[${i}].metadata.${key}`);
    }
    const payload: Payload = { metadata: decoded };
    if (data !== undefined && data !== null) payload.data = bytes(data, `payloads[${i}].data`);
    return payload;
  });
}

export function payloadsToJson(payloads: Payload[]): { payloads: JsonPayload[] } {
  return {
    payloads: payloads.map((payload) => {
      const json: JsonPayload = {
        metadata: Object.fromEntries(
          Object.entries(payload.metadata ?? {}).flatMap(([key, value]) => (value ? [[key, Buffer.from(value).toString('base64')]] : [])),
        ),
      };
      if (payload.data) json.data = Buffer.from(payload.data).toString('base64');
      return json;
    }),
  };
}

function bytes(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new PayloadJsonError(`${where} is not a base64 string`);
  return Buffer.from(value, 'base64');
}
