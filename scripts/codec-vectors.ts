/**
 * contract/codec-vectors.json: payloads encrypted by the TypeScript codec, for every other
 * implementation of the wire format (the Go package) to decrypt. Deterministic: the keys are
 * derived from fixed labels and each vector's IV from its name, through the codec's test-only IV
 * seam, so `npm run contract` rewrites the same file and a unit test can tell when it is stale.
 */
import { createHash } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec, payloadKeyId, type PayloadKey } from '../src/codec';
import { payloadsToJson, type JsonPayload } from '../src/codec/payload-json';
import type { ProvisionRequest, ProvisionResult } from '../src/common/contract';
import { MAX_USER_DATA_BYTES } from '../src/common/validate-provision-request';

/** One case: the decoder's keys, the encrypting key's id, the payload before and after. */
export interface CodecVector {
  name: string;
  /** What the case covers. */
  note: string;
  /** The decoder's current key (STAGELY_PAYLOAD_KEY), base64. */
  key: string;
  /** The decoder's old keys (STAGELY_PAYLOAD_OLD_KEYS), base64; empty unless the case is about rotation. */
  oldKeys: string[];
  /** The id in the encrypted payload's metadata: the id of the key that encrypted it. */
  keyId: string;
  /** The payload as the data converter made it, proto3 JSON (metadata values and data in base64). */
  plaintext: JsonPayload;
  /** The same payload after the codec, proto3 JSON. */
  encrypted: JsonPayload;
}

export interface CodecVectors {
  description: string;
  vectors: CodecVector[];
}

function derived(label: string, bytes: number): Buffer {
  return createHash('sha256').update(label).digest().subarray(0, bytes);
}

function testKey(label: string): PayloadKey {
  const key = derived(`stagely codec vector key: ${label}`, 32);
  return { id: payloadKeyId(key), key };
}

const CURRENT = testKey('current');
const OLD = testKey('old');

const request: ProvisionRequest = {
  size: 'small',
  architecture: 'arm64',
  // Exactly the limit: 16 KiB of user data, as EC2 accepts at most.
  userData: `#!/bin/bash\n${'x'.repeat(MAX_USER_DATA_BYTES - 13)}\n`,
  tags: { team: 'web' },
};

const result: ProvisionResult = {
  instanceId: 'i-0123456789abcdef0',
  publicIp: '203.0.113.10',
  privateIp: '10.0.1.10',
  instanceType: 't4g.small',
  imageId: 'ami-0123456789abcdef0',
  region: 'us-east-1',
  size: 'small',
  architecture: 'arm64',
  spot: false,
  launchedAt: '2026-01-02T03:04:05.000Z',
  imageSource: 'request',
  attempts: [{ instanceType: 't4g.small', spot: false, outcome: 'launched', instanceId: 'i-0123456789abcdef0' }],
};

const CASES: readonly { name: string; note: string; payload: Payload; encryptWith: PayloadKey; oldKeys: PayloadKey[] }[] = [
  { name: 'empty', note: 'an absent value (binary/null): metadata only, no data', payload: defaultPayloadConverter.toPayload(undefined), encryptWith: CURRENT, oldKeys: [] },
  {
    name: 'unicode',
    note: 'JSON text outside ASCII: an accent, CJK, an emoji beyond the BMP',
    payload: defaultPayloadConverter.toPayload({ tags: { owner: 'Zoë 测试 🚀' } }),
    encryptWith: CURRENT,
    oldKeys: [],
  },
  { name: 'user-data-16k', note: 'a provision request with 16 KiB of user data', payload: defaultPayloadConverter.toPayload(request), encryptWith: CURRENT, oldKeys: [] },
  {
    name: 'old-key',
    note: 'a result encrypted before a key rotation: the decoder finds the key among its old keys by the key id',
    payload: defaultPayloadConverter.toPayload(result),
    encryptWith: OLD,
    oldKeys: [OLD],
  },
];

export async function generateCodecVectors(): Promise<CodecVectors> {
  const vectors: CodecVector[] = [];
  for (const { name, note, payload, encryptWith, oldKeys } of CASES) {
    const iv = derived(`stagely codec vector iv: ${name}`, 12);
    const codec = new AesGcmCodec({ current: encryptWith, all: [encryptWith] }, { ivForTestVectorsOnly: () => iv });
    const [encrypted] = await codec.encode([payload]);
    if (encrypted === undefined) throw new Error(`codec returned nothing for ${name}`);
    const [plainJson, encryptedJson] = payloadsToJson([payload, encrypted]).payloads;
    if (plainJson === undefined || encryptedJson === undefined) throw new Error(`no JSON for ${name}`);
    vectors.push({
      name,
      note,
      key: CURRENT.key.toString('base64'),
      oldKeys: oldKeys.map((k) => k.key.toString('base64')),
      keyId: encryptWith.id,
      plaintext: plainJson,
      encrypted: encryptedJson,
    });
  }
  return {
    description: 'AES-256-GCM payload codec test vectors; the wire format is described in docs/contract.md. Test keys: never use them for anything else.',
    vectors,
  };
}
