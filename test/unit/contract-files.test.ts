/**
 * contract/ is generated (npm run contract): every checked-in file must be what the generator writes
 * today from the TypeScript types and codec, and nothing else may sit there. The TypeScript codec
 * decrypts every codec vector, with only the keys the vector gives it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { CODEC_VECTORS_FILE, CONTRACT_DIR, contractFiles } from '../../scripts/contract';
import type { CodecVectors } from '../../scripts/codec-vectors';
import { AesGcmCodec, parsePayloadKey } from '../../src/codec';
import { payloadsFromJson } from '../../src/codec/payload-json';
import { readContractFile } from '../support/contract-schemas';

let generated: Map<string, string>;

beforeAll(async () => {
  generated = await contractFiles();
}, 60_000);

describe('contract/', () => {
  it('holds exactly the generated files', () => {
    expect(readdirSync(CONTRACT_DIR).sort()).toEqual([...generated.keys()].sort());
  });

  it('is up to date with the TypeScript types and codec (run npm run contract after changing them)', () => {
    const stale = [...generated].filter(([name, text]) => readFileSync(join(CONTRACT_DIR, name), 'utf8') !== text).map(([name]) => name);
    expect(stale).toEqual([]);
  });
});

describe('codec vectors', () => {
  const { vectors } = readContractFile(CODEC_VECTORS_FILE) as CodecVectors;

  it('cover an empty payload, unicode, 16 KiB of user data and an old key', () => {
    expect(vectors.map((v) => v.name)).toEqual(['empty', 'unicode', 'user-data-16k', 'old-key']);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('the TypeScript codec decrypts %s to its plaintext', async (_name, vector) => {
    const current = parsePayloadKey(vector.key, 'key');
    const old = vector.oldKeys.map((k, i) => parsePayloadKey(k, `oldKeys[${i}]`));
    const codec = new AesGcmCodec({ current, all: [current, ...old] });
    const [encrypted] = payloadsFromJson({ payloads: [vector.encrypted] });
    const [plaintext] = payloadsFromJson({ payloads: [vector.plaintext] });
    const [decrypted] = await codec.decode([encrypted ?? {}]);
    expect(decrypted?.metadata).toEqual(plaintext?.metadata);
    expect(Buffer.from(decrypted?.data ?? [])).toEqual(Buffer.from(plaintext?.data ?? []));
    // The plaintext is what the data converter made: the vector is about real payloads.
    expect(() => defaultPayloadConverter.fromPayload(plaintext ?? {})).not.toThrow();
  });

  it('name the key that encrypted each payload in its metadata, and the old-key case needs the old key', async () => {
    for (const vector of vectors) {
      expect(Buffer.from(vector.encrypted.metadata?.['encryption-key-id'] ?? '', 'base64').toString()).toBe(vector.keyId);
    }
    const old = vectors.find((v) => v.name === 'old-key');
    expect(old?.oldKeys).toHaveLength(1);
    const withoutOld = new AesGcmCodec({ current: parsePayloadKey(old?.key ?? '', 'key'), all: [] });
    await expect(withoutOld.decode(payloadsFromJson({ payloads: [old?.encrypted] }))).rejects.toThrow(/not configured/);
  });
});
