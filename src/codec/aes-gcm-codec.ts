/**
 * The payload codec that encrypts what the project writes to Temporal (workflow and activity inputs
 * and results, query results, summaries) with AES-256-GCM, so user data and its bootstrap tokens are
 * never stored in Temporal's history in plain text.
 *
 * An encrypted payload is the whole original payload (metadata and data, as protobuf) sealed under one
 * key: data = 12-byte random IV || ciphertext || 16-byte GCM tag, metadata `encoding: binary/encrypted`
 * and `encryption-key-id`. The key id picks the key on decode, so keys can rotate: new payloads use the
 * current key while older keys stay in the keyring to read older histories.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';

export interface PayloadKey {
  /** Names the key in each payload's metadata; payloadKeyId(key) unless configured otherwise. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface PayloadKeyring {
  /** Encrypts new payloads; without it encode passes payloads through (decrypt-only keyring). */
  current?: PayloadKey;
  /** Every key decode may use, the current one included. */
  all: PayloadKey[];
}

/** A payload this codec cannot decrypt: unknown key id, or tampered/corrupted data. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

/**
 * A key's id: the first 16 hex digits of its SHA-256. Deterministic, so the worker, the client and the
 * codec server agree on it with no extra setting, and it reveals nothing usable about the key.
 */
export function payloadKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Test seams of AesGcmCodec; production code passes none. */
export interface AesGcmCodecTestOptions {
  /**
   * Makes each IV instead of drawing it at random. Only scripts/codec-vectors.ts sets it, so the
   * contract's vectors are reproducible: reusing an IV under one key breaks GCM, so nothing else may.
   */
  ivForTestVectorsOnly?: (bytes: number) => Buffer;
}

export class AesGcmCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly current: PayloadKey | undefined;
  private readonly nextIv: (bytes: number) => Buffer;

  constructor(keyring: PayloadKeyring, testOptions: AesGcmCodecTestOptions = {}) {
    const all = keyring.current === undefined ? keyring.all : [...keyring.all, keyring.current];
    for (const { id, key } of all) {
      if (key.length !== KEY_BYTES) throw new Error(`payload key ${id} is ${key.length} bytes; AES-256 needs ${KEY_BYTES}`);
    }
    this.keys = new Map(all.map(({ id, key }) => [id, key]));
    this.current = keyring.current;
    this.nextIv = testOptions.ivForTestVectorsOnly ?? randomBytes;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const current = this.current;
    if (current === undefined) return payloads;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = this.nextIv(IV_BYTES);
      const cipher = createCipheriv(CIPHER, current.key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(current.id),
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    // Not ours (written before encryption was turned on, or by another codec): leave it as it is.
    if (metadataText(payload, METADATA_ENCODING_KEY) !== ENCRYPTED_ENCODING) return payload;
    const keyId = metadataText(payload, KEY_ID_METADATA);
    if (keyId === undefined) throw new PayloadDecryptionError(`encrypted payload has no ${KEY_ID_METADATA} metadata`);
    const key = this.keys.get(keyId);
    if (key === undefined) {
      throw new PayloadDecryptionError(
        `payload was encrypted with key id ${keyId}, which is not configured (known key ids: ${[...this.keys.keys()].join(', ') || 'none'}); ` +
          'add that key to STAGELY_PAYLOAD_OLD_KEYS',
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload (key id ${keyId}) is too short`);
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`encrypted payload (key id ${keyId}) failed authentication: it was altered or corrupted`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value === undefined || value === null ? undefined : Buffer.from(value).toString('utf8');
}
