/**
 * The AES-256-GCM payload codec and its keys: what it writes hides the plain text, each encryption is
 * fresh, tampering is detected, keys rotate by id, plain payloads still read, and a bad key is refused
 * with a message that names the variable and never shows the key.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmCodec,
  dataConverterFromEnv,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  keyringFromEnv,
  PayloadDecryptionError,
  payloadKeyId,
  type PayloadKey,
} from '../../src/codec';
import { payloadsFromJson, payloadsToJson } from '../../src/codec/payload-json';

const SECRET = 'token=bootstrap-secret-4f1c';
const request = { size: 'small', architecture: 'arm64', userData: `#!/bin/bash\necho ${SECRET}\n` };

function newKey(): PayloadKey {
  const key = randomBytes(32);
  return { id: payloadKeyId(key), key };
}

/** The error fn throws (undefined if it does not). */
function thrown(fn: () => unknown): Error | undefined {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');
const plainPayload = (): Payload => defaultPayloadConverter.toPayload(request);

describe('AesGcmCodec', () => {
  const key = newKey();
  const codec = new AesGcmCodec({ current: key, all: [key] });

  it('encrypts a payload so its content is gone, marks it, and decrypts it back to the original', async () => {
    const [encrypted] = await codec.encode([plainPayload()]);
    expect(text(encrypted?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted?.metadata?.[KEY_ID_METADATA])).toBe(key.id);
    expect(Object.keys(encrypted?.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    expect(text(encrypted?.data)).not.toContain(SECRET);
    expect(text(encrypted?.data)).not.toContain('json/plain');

    const [decrypted] = await codec.decode([encrypted as Payload]);
    expect(text(decrypted?.metadata?.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decrypted as Payload)).toEqual(request);
  });

  it('uses a fresh random IV each time: the same payload encrypts differently', async () => {
    const [a, b] = await codec.encode([plainPayload(), plainPayload()]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
    expect(Buffer.from(a?.data ?? []).subarray(0, 12).equals(Buffer.from(b?.data ?? []).subarray(0, 12))).toBe(false);
    const decoded = await codec.decode([a as Payload, b as Payload]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([request, request]);
  });

  it.each([
    ['the IV', 0],
    ['the ciphertext', 20],
    ['the auth tag', -1],
  ])('refuses a payload whose %s was altered', async (_part, index) => {
    const [encrypted] = await codec.encode([plainPayload()]);
    const data = Buffer.from(encrypted?.data ?? []);
    const at = index < 0 ? data.length + index : index;
    data[at] = (data[at] ?? 0) ^ 0x01;
    const tampered = { ...encrypted, data };
    await expect(codec.decode([tampered])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([tampered])).rejects.toThrow(/altered or corrupted/);
  });

  it('refuses a truncated payload and one without a key id', async () => {
    const [encrypted] = await codec.encode([plainPayload()]);
    await expect(codec.decode([{ ...encrypted, data: Buffer.alloc(10) }])).rejects.toThrow(/too short/);
    await expect(codec.decode([{ metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) }, data: encrypted?.data ?? null }])).rejects.toThrow(
      /no encryption-key-id/,
    );
  });

  it('leaves payloads it did not encrypt untouched, so histories from before encryption still read', async () => {
    const plain = plainPayload();
    const binary = defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3]));
    const [a, b] = await codec.decode([plain, binary]);
    expect(a).toBe(plain);
    expect(b).toBe(binary);
  });

  it('decrypts with an older key after rotation, encrypts with the new one, and names an unknown key id', async () => {
    const oldKey = newKey();
    const [written] = await new AesGcmCodec({ current: oldKey, all: [oldKey] }).encode([plainPayload()]);
    const rotated = new AesGcmCodec({ current: key, all: [key, oldKey] });
    const [readBack] = await rotated.decode([written as Payload]);
    expect(defaultPayloadConverter.fromPayload(readBack as Payload)).toEqual(request);
    const [rewritten] = await rotated.encode([plainPayload()]);
    expect(text(rewritten?.metadata?.[KEY_ID_METADATA])).toBe(key.id);

    const error = await codec.decode([written as Payload]).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect((error as Error).message).toContain(`key id ${oldKey.id}, which is not configured`);
    expect((error as Error).message).toContain('STAGELY_PAYLOAD_OLD_KEYS');
  });

  it('with only old keys (decrypt-only) writes plain payloads and still reads encrypted ones', async () => {
    const decryptOnly = new AesGcmCodec({ all: [key] });
    const plain = plainPayload();
    expect(await decryptOnly.encode([plain])).toEqual([plain]);
    const [encrypted] = await codec.encode([plain]);
    const [decrypted] = await decryptOnly.decode([encrypted as Payload]);
    expect(defaultPayloadConverter.fromPayload(decrypted as Payload)).toEqual(request);
  });

  it('derives a short, stable key id that is not the key', () => {
    expect(payloadKeyId(key.key)).toBe(key.id);
    expect(key.id).toMatch(/^[0-9a-f]{16}$/);
    expect(key.key.toString('hex')).not.toContain(key.id);
  });
});

describe('keys from the environment', () => {
  const key = randomBytes(32).toString('base64');
  const oldKey = randomBytes(32).toString('base64');

  it('configures nothing without a key: Temporal stores payloads as they are', () => {
    expect(keyringFromEnv({})).toBeUndefined();
    const plain = dataConverterFromEnv({ STAGELY_PAYLOAD_KEY: '  ' });
    expect(plain.encrypted).toBe(false);
    expect(plain.dataConverter.payloadCodecs ?? []).toHaveLength(0);
  });

  it('builds one codec from STAGELY_PAYLOAD_KEY and STAGELY_PAYLOAD_OLD_KEYS, keyed by id', async () => {
    const encryption = dataConverterFromEnv({ STAGELY_PAYLOAD_KEY: key, STAGELY_PAYLOAD_OLD_KEYS: ` ${oldKey} ,` });
    expect(encryption.encrypted).toBe(true);
    expect(encryption.keyId).toBe(payloadKeyId(Buffer.from(key, 'base64')));
    expect(encryption.decryptKeyIds).toEqual([encryption.keyId, payloadKeyId(Buffer.from(oldKey, 'base64'))]);
    expect(encryption.dataConverter.payloadCodecs).toHaveLength(1);

    const [fromOld] = await dataConverterFromEnv({ STAGELY_PAYLOAD_KEY: oldKey }).codec!.encode([plainPayload()]);
    const [decoded] = await encryption.codec!.decode([fromOld as Payload]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(request);
  });

  it('reads the key from STAGELY_PAYLOAD_KEY_FILE (trailing newline and all), and refuses both at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'payload-key-'));
    try {
      const file = join(dir, 'key');
      writeFileSync(file, `${key}\n`, { mode: 0o600 });
      expect(keyringFromEnv({ STAGELY_PAYLOAD_KEY_FILE: file })?.current?.id).toBe(payloadKeyId(Buffer.from(key, 'base64')));
      expect(() => keyringFromEnv({ STAGELY_PAYLOAD_KEY_FILE: file, STAGELY_PAYLOAD_KEY: key })).toThrow(/not both/);
      expect(() => keyringFromEnv({ STAGELY_PAYLOAD_KEY_FILE: join(dir, 'missing') })).toThrow(/STAGELY_PAYLOAD_KEY_FILE: cannot read .*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a 16-byte key', randomBytes(16).toString('base64'), /STAGELY_PAYLOAD_KEY decodes to 16 bytes; it must be the base64 of exactly 32/],
    ['a 64-byte key', randomBytes(64).toString('base64'), /STAGELY_PAYLOAD_KEY decodes to 64 bytes/],
    ['a hex key', randomBytes(32).toString('hex') + '!', /STAGELY_PAYLOAD_KEY is not base64/],
    ['a passphrase', 'correct horse battery staple', /STAGELY_PAYLOAD_KEY is not base64/],
  ])('refuses %s with a message that names the variable and hides the key', (_what, bad, message) => {
    const error = thrown(() => keyringFromEnv({ STAGELY_PAYLOAD_KEY: bad }));
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain('openssl rand -base64 32');
    expect(error?.message).not.toContain(bad);
    expect(error?.message).not.toContain(bad.slice(0, 12));
  });

  it('names the bad entry of STAGELY_PAYLOAD_OLD_KEYS without showing it', () => {
    const bad = randomBytes(31).toString('base64');
    expect(() => keyringFromEnv({ STAGELY_PAYLOAD_KEY: key, STAGELY_PAYLOAD_OLD_KEYS: `${oldKey},${bad}` })).toThrow(
      /^STAGELY_PAYLOAD_OLD_KEYS \(entry 2\) decodes to 31 bytes/,
    );
    expect(thrown(() => keyringFromEnv({ STAGELY_PAYLOAD_OLD_KEYS: bad }))?.message).toMatch(/^STAGELY_PAYLOAD_OLD_KEYS \(entry 1\)/);
    expect(thrown(() => keyringFromEnv({ STAGELY_PAYLOAD_OLD_KEYS: bad }))?.message).not.toContain(bad);
  });
});

describe('payloads in the codec server protocol (proto3 JSON)', () => {
  it('carries metadata values and data as base64 both ways', () => {
    const payload = plainPayload();
    const json = payloadsToJson([payload]);
    expect(json.payloads[0]?.metadata?.encoding).toBe(Buffer.from('json/plain').toString('base64'));
    expect(Buffer.from(json.payloads[0]?.data ?? '', 'base64').toString('utf8')).toBe(JSON.stringify(request));
    const [back] = payloadsFromJson(JSON.parse(JSON.stringify(json)) as unknown);
    expect(defaultPayloadConverter.fromPayload(back as Payload)).toEqual(request);
  });

  it.each([
    [null, /expected a JSON object/],
    [{ payloads: 'x' }, /expected a JSON object/],
    [{ payloads: [{ metadata: { encoding: 'json plain' } }] }, /payloads\[0\].metadata.encoding is not a base64 string/],
    [{ payloads: [{ data: 42 }] }, /payloads\[0\].data is not a base64 string/],
  ])('refuses a malformed body %j', (body, message) => {
    expect(() => payloadsFromJson(body)).toThrow(message);
  });
});
