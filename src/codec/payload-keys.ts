/**
 * The payload keys from the environment, checked before anything uses them:
 *
 *   STAGELY_PAYLOAD_KEY        the current key (base64 of 32 random bytes): encrypts and decrypts
 *   STAGELY_PAYLOAD_KEY_FILE   or a file holding it (a mounted secret); not both
 *   STAGELY_PAYLOAD_OLD_KEYS   comma-separated earlier keys: decrypt only, so histories written before
 *                              a rotation stay readable
 *
 * Error messages name the variable and never contain a key.
 */
import { readFileSync } from 'node:fs';
import { KEY_BYTES, payloadKeyId, type PayloadKey, type PayloadKeyring } from './aes-gcm-codec';

/** Every variable that carries key material; tools that must run in plain text unset these. */
export const PAYLOAD_KEY_VARIABLES = ['STAGELY_PAYLOAD_KEY', 'STAGELY_PAYLOAD_KEY_FILE', 'STAGELY_PAYLOAD_OLD_KEYS'] as const;

const GENERATE_HINT = 'generate one with: openssl rand -base64 32';

/** The keyring the environment configures, or undefined when it configures none (plain text). */
export function keyringFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadKeyring | undefined {
  const inline = nonEmpty(env.STAGELY_PAYLOAD_KEY);
  const file = nonEmpty(env.STAGELY_PAYLOAD_KEY_FILE);
  if (inline !== undefined && file !== undefined) {
    throw new Error('set STAGELY_PAYLOAD_KEY or STAGELY_PAYLOAD_KEY_FILE, not both');
  }
  const current =
    inline !== undefined ? parsePayloadKey(inline, 'STAGELY_PAYLOAD_KEY') : file !== undefined ? parsePayloadKey(readKeyFile(file), `STAGELY_PAYLOAD_KEY_FILE (${file})`) : undefined;
  const old = (nonEmpty(env.STAGELY_PAYLOAD_OLD_KEYS) ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry, i) => parsePayloadKey(entry, `STAGELY_PAYLOAD_OLD_KEYS (entry ${i + 1})`));
  if (current === undefined && old.length === 0) return undefined;
  return { ...(current !== undefined && { current }), all: current === undefined ? old : [current, ...old] };
}

/** A base64 key (standard or URL-safe alphabet, padding optional) that must decode to 32 bytes. */
export function parsePayloadKey(text: string, variable: string): PayloadKey {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && !/^[A-Za-z0-9_-]+={0,2}$/.test(trimmed)) {
    throw new Error(`${variable} is not base64; it must be the base64 of exactly ${KEY_BYTES} random bytes (${GENERATE_HINT})`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(`${variable} decodes to ${key.length} bytes; it must be the base64 of exactly ${KEY_BYTES} random bytes (${GENERATE_HINT})`);
  }
  return { id: payloadKeyId(key), key };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`STAGELY_PAYLOAD_KEY_FILE: cannot read ${path} (${code})`, { cause: error });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
