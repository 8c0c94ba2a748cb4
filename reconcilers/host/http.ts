/**
 * HTTP as a host sees it: `hostFetch(host)` is a small `fetch` whose connections are made by the Host
 * (`connectTcp`), so `http://127.0.0.1:8000` means that host's loopback — a socket here, a channel forwarded over
 * the Host's SSH connection there. Plain HTTP only (these are loopback APIs: gluetun's control server, qBittorrent's
 * WebUI); it returns a standard `Response`, so callers are written against `fetch`.
 *
 * What such an API answers is not trusted: a body larger than `maxBodyBytes` (1 MiB) rejects with a
 * `ResponseTooLargeError` and the connection is destroyed (nothing is buffered beyond the limit), and every request
 * has a deadline (`timeoutMs`, 10 s, on top of the caller's signal) that covers reading the body too.
 */
import { Agent, request } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Host } from './host.js';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** The largest response body read from a host API. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** The deadline of a whole request (connect, send, answer, body) when the caller sets none shorter. */
export const HOST_FETCH_TIMEOUT_MS = 10_000;

export interface HostFetchOptions {
  maxBodyBytes?: number;
  timeoutMs?: number;
}

/** A response body over the limit; the connection was destroyed when the limit was crossed. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`the response body is larger than ${formatBytes(limitBytes)}; the connection was closed`);
  }
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

export function hostFetch(host: Pick<Host, 'connectTcp'>, opts: HostFetchOptions = {}): FetchLike {
  const limits = { maxBodyBytes: opts.maxBodyBytes ?? MAX_BODY_BYTES, timeoutMs: opts.timeoutMs ?? HOST_FETCH_TIMEOUT_MS };
  return (url, init = {}) => fetchThrough(host, url, init, limits);
}

function bodyOf(body: RequestInit['body']): { data?: string; type?: string } {
  if (body === undefined || body === null) return {};
  if (body instanceof URLSearchParams) return { data: body.toString(), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (typeof body === 'string') return { data: body, type: 'text/plain;charset=UTF-8' };
  throw new TypeError('hostFetch: only string and URLSearchParams bodies are supported');
}

async function fetchThrough(host: Pick<Host, 'connectTcp'>, url: string, init: RequestInit, limits: Required<HostFetchOptions>): Promise<Response> {
  const target = new URL(url);
  if (target.protocol !== 'http:') throw new TypeError(`hostFetch: only http:// URLs are supported, got ${target.protocol}`);
  const port = Number(target.port || 80);
  const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const { data, type } = bodyOf(init.body);
  const headers: Record<string, string> = { ...(type ? { 'content-type': type } : {}), ...headerRecord(init.headers) };
  if (data !== undefined) headers['content-length'] = String(Buffer.byteLength(data));
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
  const agent = new Agent({ keepAlive: false });
  (agent as unknown as { createConnection: unknown }).createConnection = (_options: unknown, callback: (err: Error | null, socket?: Duplex) => void) => {
    host.connectTcp(hostname, port).then(
      (socket) => callback(null, socket),
      (err: Error) => callback(err),
    );
    return undefined;
  };
  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    // Like fetch: an aborted request rejects with the signal's reason (a TimeoutError for AbortSignal.timeout).
    const fail = (err: Error) => settle(() => reject(signal.aborted ? signal.reason : err));
    const req = request(
      { protocol: 'http:', hostname, port, path: `${target.pathname}${target.search}`, method: init.method ?? 'GET', headers, agent, signal },
      (res) => {
        const tooLarge = () => {
          settle(() => reject(new ResponseTooLargeError(limits.maxBodyBytes)));
          res.destroy();
          req.destroy();
        };
        if (Number(res.headers['content-length'] ?? 0) > limits.maxBodyBytes) return tooLarge();
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > limits.maxBodyBytes) return tooLarge();
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('close', () => fail(new TypeError('terminated: the connection closed before the body ended')));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, v);
          }
          const status = res.statusCode ?? 0;
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          settle(() => resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers: responseHeaders })));
        });
      },
    );
    req.on('error', (err) => fail(new TypeError('fetch failed', { cause: rootCause(err) })));
    req.end(data);
  });
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;

/**
 * The request headers, lower-cased. A value HTTP cannot carry (a newline, a NUL, a character beyond Latin-1) is
 * refused naming the header only: fetch's own error would quote the value, and header values are often secrets.
 */
function headerRecord(init: RequestInit['headers']): Record<string, string> {
  const pairs: Array<[string, string]> =
    init === undefined ? [] : init instanceof Headers ? [...init.entries()] : Array.isArray(init) ? init.map(([k, v]) => [k!, v!]) : Object.entries(init);
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (!HEADER_NAME.test(name)) throw new TypeError(`hostFetch: "${name}" is not a valid header name`);
    if (!HEADER_VALUE.test(value)) {
      throw new TypeError(`hostFetch: the value of header ${name} cannot be sent (it contains a line break, a control character or a character beyond Latin-1)`);
    }
    out[name.toLowerCase()] = value.trim();
  }
  return out;
}

/** The innermost cause (e.g. the ECONNREFUSED under a HostError), which is what a message should name. */
function rootCause(err: Error): Error {
  let root = err;
  while (root.cause instanceof Error) root = root.cause;
  return root;
}
