/**
 * The one data converter the worker, the client library, the CLI and the codec server all build from
 * the same environment, so whatever one of them encrypts the others can read.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { keyringFromEnv } from './payload-keys';

export interface PayloadEncryption {
  /** Pass to Worker.create and new Client. Empty (Temporal's defaults) when no key is configured. */
  dataConverter: DataConverter;
  /** Whether new payloads are encrypted (a current key is configured). */
  encrypted: boolean;
  /** The id of the key that encrypts new payloads. */
  keyId?: string;
  /** Every key id decode accepts, the current one first. */
  decryptKeyIds: string[];
  /** The codec itself, when any key is configured (the codec server runs it directly). */
  codec?: AesGcmCodec;
}

/** Reads STAGELY_PAYLOAD_KEY / STAGELY_PAYLOAD_KEY_FILE / STAGELY_PAYLOAD_OLD_KEYS; throws on a bad key. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadEncryption {
  const keyring = keyringFromEnv(env);
  if (keyring === undefined) return { dataConverter: {}, encrypted: false, decryptKeyIds: [] };
  const codec = new AesGcmCodec(keyring);
  return {
    dataConverter: { payloadCodecs: [codec] },
    encrypted: keyring.current !== undefined,
    ...(keyring.current !== undefined && { keyId: keyring.current.id }),
    decryptKeyIds: [...new Set(keyring.all.map((key) => key.id))],
    codec,
  };
}

/** For log lines: the key ids, never a key. */
export function describeEncryption(encryption: PayloadEncryption): string {
  const old = encryption.decryptKeyIds.filter((id) => id !== encryption.keyId);
  const decryptOnly = old.length > 0 ? `; decrypts older key ids ${old.join(', ')}` : '';
  return encryption.encrypted ? `AES-256-GCM with key id ${encryption.keyId}${decryptOnly}` : `off (plain text)${decryptOnly}`;
}
