/**
 * Temporal's remote codec protocol over plain HTTP, so the Web UI and the `temporal` CLI can show
 * operators the payloads the codec encrypted:
 *
 *   POST /decode, POST /encode   (also under a prefix, e.g. /{namespace}/decode, for endpoint templating)
 *   body and answer {"payloads": [{"metadata": {k: base64}, "data": base64}]}
 *
 * It decrypts secrets for whoever can reach it, so: an optional bearer token (the CLI's --codec-auth),
 * CORS only for the Web UI origins named, and the caller chooses the bind address (default loopback).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { PayloadCodec } from '@temporalio/common';
import { PayloadDecryptionError } from './aes-gcm-codec';
import { payloadsFromJson, payloadsToJson, PayloadJsonError } from './payload-json';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** When set, every POST must carry `Authorization: Bearer <token>`. @default no check */
  authToken?: string;
  /** Browser origins allowed to call (the Web UI's, e.g. http://localhost:8233). @default none */
  corsOrigins?: string[];
  /** Largest request body accepted. @default 8 MiB */
  maxBodyBytes?: number;
  /** Called for each refused or failed request; never given payload contents. */
  onError?: (message: string) => void;
}

// The Web UI sends X-Namespace and, when configured to pass the user's token, Authorization.
const ALLOWED_HEADERS = 'content-type,x-namespace,authorization';

export function createCodecServer(options: CodecServerOptions): Server {
  const origins = new Set(options.corsOrigins ?? []);
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const expected = options.authToken === undefined ? undefined : digest(`Bearer ${options.authToken}`);

  return createServer((request, response) => {
    const origin = request.headers.origin;
    if (origin !== undefined && origins.has(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    response.setHeader('Vary', 'Origin');

    // Preflight: browsers send no Authorization here, so it is answered before the token check.
    if (request.method === 'OPTIONS') {
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      response.setHeader('Access-Control-Max-Age', '600');
      response.writeHead(204).end();
      return;
    }
    const action = /\/(encode|decode)$/.exec(new URL(request.url ?? '/', 'http://codec').pathname)?.[1] as 'encode' | 'decode' | undefined;
    if (action === undefined) return reply(response, 404, { error: 'not found: POST /encode or /decode' });
    if (request.method !== 'POST') return reply(response, 405, { error: 'use POST' }, { Allow: 'POST, OPTIONS' });
    if (expected !== undefined && !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      options.onError?.(`401 ${action}: missing or wrong bearer token`);
      return reply(response, 401, { error: 'missing or wrong bearer token' }, { 'WWW-Authenticate': 'Bearer' });
    }
    void handle(action, request, response);
  });

  async function handle(action: 'encode' | 'decode', request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const payloads = payloadsFromJson(JSON.parse(await readBody(request, maxBodyBytes)) as unknown);
      const result = action === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      reply(response, 200, payloadsToJson(result));
    } catch (error) {
      const status = error instanceof BodyTooLargeError ? 413 : isClientError(error) ? 400 : 500;
      const message = error instanceof Error ? error.message : String(error);
      options.onError?.(`${status} ${action}: ${message}`);
      reply(response, status, { error: message });
    }
  }
}

class BodyTooLargeError extends Error {}

function isClientError(error: unknown): boolean {
  return error instanceof SyntaxError || error instanceof PayloadJsonError || error instanceof PayloadDecryptionError;
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(`request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

// Compared as fixed-length digests so neither the token's content nor its length leaks through timing.
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
