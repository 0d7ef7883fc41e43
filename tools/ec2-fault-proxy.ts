/**
 * A small HTTP proxy between the AWS SDK and moto that injects EC2 errors, so tests drive the SDK's
 * real error parsing (status, XML body, error name) instead of a hand-made error object.
 *
 * Point an EC2Client at `proxy.endpoint`; every request is recorded in `proxy.requests`. Each request
 * is offered to `proxy.rules` in order: the first rule that returns something decides. An
 * InjectedError is answered in the EC2 Query API error shape; 'reset' destroys the socket without an
 * answer; 'hang' keeps the connection open and never answers (until the client gives up or the proxy
 * closes); 'drop-answer' forwards the request to moto and then cuts the connection instead of passing
 * the answer on (EC2 acted, the caller never heard); nothing forwards the request to moto unchanged
 * and streams moto's answer back.
 */
import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { type Socket } from 'node:net';

/** One request as the proxy saw it. */
export interface Ec2Request {
  /** The EC2 Query API "Action" form field, e.g. "RunInstances"; '' when there is none (e.g. SSM's JSON protocol). */
  action: string;
  /** All form fields (and URL query fields), e.g. { InstanceType: 't3.small', 'InstanceMarketOptions.MarketType': 'spot' }. */
  params: Record<string, string>;
  /** The error code injected, or 'reset' / 'hang' / 'drop-answer'; absent when forwarded. */
  injected?: string;
  /** How long moto took to answer a forwarded request, in ms (for the benchmark's bounds). */
  upstreamMs?: number;
}

export interface InjectedError {
  code: string;
  message?: string;
  /** HTTP status; by default 503 for throttling/unavailable codes, 500 for internal errors, else 400 (as EC2 does). */
  status?: number;
  /** Let moto act on the request first, then answer with this error instead of moto's answer. */
  afterForwarding?: boolean;
}

/**
 * 'reset' destroys the socket without answering (the client sees a connection reset); 'hang' accepts
 * the request and never answers (a hung socket); 'drop-answer' lets moto act on the request and then
 * resets the connection instead of answering.
 */
export type Fault = InjectedError | 'reset' | 'hang' | 'drop-answer';
export type FaultRule = (request: Ec2Request) => Fault | undefined;

export interface Ec2FaultProxy {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** Every request, in order, forwarded or injected. */
  requests: Ec2Request[];
  /** Mutable; the first rule returning something other than undefined wins. */
  rules: FaultRule[];
  close(): Promise<void>;
  /**
   * Rewrites forwarded responses (text) before the SDK sees them, e.g. to hide a public IP that real
   * EC2 would not show yet. Unset: responses stream through untouched.
   */
  rewrite?: (request: Ec2Request, body: string) => string;
}

/** The status EC2 answers a code with when the rule does not say. */
export function defaultStatus(code: string): number {
  if (['RequestLimitExceeded', 'ServiceUnavailable', 'Unavailable'].includes(code)) return 503;
  if (['InternalError', 'InternalFailure'].includes(code)) return 500;
  return 400;
}

/** The body EC2's Query API answers an error with; what @aws-sdk/client-ec2 parses. */
export function ec2ErrorXml(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>` +
    `<RequestID>${escapeXml(requestId)}</RequestID></Response>`
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A rule that injects `error` (or resets) for matching requests, at most `times` times. */
export interface CountingRule extends FaultRule {
  /** How many times the rule has fired so far. */
  readonly fired: number;
}

export function failWhen(match: (r: Ec2Request) => boolean, error: Fault, times = Infinity): CountingRule {
  let fired = 0;
  const rule = (request: Ec2Request): Fault | undefined => {
    if (fired >= times || !match(request)) return undefined;
    fired += 1;
    return error;
  };
  Object.defineProperty(rule, 'fired', { get: () => fired, enumerable: true });
  return rule as CountingRule;
}

export const isAction =
  (action: string) =>
  (r: Ec2Request): boolean =>
    r.action === action;

export const isRunInstances = (r: Ec2Request): boolean => r.action === 'RunInstances';

export const isSpot = (r: Ec2Request): boolean => r.params['InstanceMarketOptions.MarketType'] === 'spot';

/** Hop-by-hop headers: about one connection, not to be passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolveBody(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function parseRequest(req: IncomingMessage, body: Buffer): Ec2Request {
  const params: Record<string, string> = {};
  const query = (req.url ?? '').split('?')[1];
  if (query !== undefined) for (const [k, v] of new URLSearchParams(query)) params[k] = v;
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = v;
  }
  return { action: params.Action ?? '', params };
}

/**
 * Starts the proxy on a free port of 127.0.0.1, in front of `target` (e.g. moto's endpoint,
 * http://127.0.0.1:PORT). The Host header is passed on as the SDK sent it, so the request moto sees
 * is byte for byte the one the SDK signed.
 */
export async function startEc2FaultProxy(target: string): Promise<Ec2FaultProxy> {
  const targetUrl = new URL(target);
  if (targetUrl.protocol !== 'http:') throw new Error(`ec2-fault-proxy forwards to http:// only, not ${target}`);
  const targetPath = targetUrl.pathname.replace(/\/$/, '');
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const requests: Ec2Request[] = [];
  const rules: FaultRule[] = [];

  const decide = (seen: Ec2Request): Fault | undefined => {
    try {
      for (const rule of rules) {
        const verdict = rule(seen);
        if (verdict !== undefined) return verdict;
      }
      return undefined;
    } catch (error) {
      // A broken rule is a test bug: make it loud, as an error the SDK surfaces.
      return { code: 'FaultProxyRuleError', message: `a fault rule threw: ${String(error)}`, status: 500 };
    }
  };

  const inject = (res: ServerResponse, error: InjectedError): void => {
    const requestId = randomUUID();
    const body = ec2ErrorXml(error.code, error.message ?? `${error.code} (injected by ec2-fault-proxy)`, requestId);
    res.writeHead(error.status ?? defaultStatus(error.code), {
      'content-type': 'text/xml;charset=UTF-8',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
    });
    res.end(body);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, seen: Ec2Request, instead?: 'drop-answer' | InjectedError): void => {
    const headers = endToEnd(req.headers);
    headers['content-length'] = body.length;
    const sentAt = Date.now();
    const upstream = httpRequest(
      {
        protocol: targetUrl.protocol,
        hostname: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: `${targetPath}${req.url ?? '/'}`,
        headers,
        agent,
      },
      (answer) => {
        answer.once('end', () => {
          seen.upstreamMs = Date.now() - sentAt;
        });
        answer.once('error', () => res.destroy());
        if (instead !== undefined) {
          answer.resume();
          answer.once('end', () => (instead === 'drop-answer' ? req.socket.destroy() : inject(res, instead)));
          return;
        }
        const rewrite = proxy.rewrite;
        if (rewrite === undefined) {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => {
          const text = rewrite(seen, Buffer.concat(chunks).toString('utf8'));
          const headers = endToEnd(answer.headers);
          headers['content-length'] = Buffer.byteLength(text);
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
          res.end(text);
        });
      },
    );
    // Upstream unreachable or gone mid-answer: the client sees no answer, as it would without the proxy.
    upstream.once('error', () => res.destroy());
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        const seen = parseRequest(req, body);
        requests.push(seen);
        const verdict = decide(seen);
        if (verdict === 'reset') {
          seen.injected = 'reset';
          req.socket.destroy();
        } else if (verdict === 'hang') {
          // Nothing: the socket stays open, unanswered, until the client gives up or close() destroys it.
          seen.injected = 'hang';
        } else if (verdict === 'drop-answer') {
          seen.injected = 'drop-answer';
          forward(req, res, body, seen, 'drop-answer');
        } else if (verdict !== undefined) {
          seen.injected = verdict.code;
          if (verdict.afterForwarding) forward(req, res, body, seen, verdict);
          else inject(res, verdict);
        } else {
          forward(req, res, body, seen);
        }
      },
      () => req.socket.destroy(),
    );
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('ec2-fault-proxy: no TCP address');

  let closing: Promise<void> | undefined;
  const proxy: Ec2FaultProxy = {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    rules,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return closing;
    },
  };
  return proxy;
}
