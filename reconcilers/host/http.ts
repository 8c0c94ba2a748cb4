/**
 * HTTP as a host sees it: `hostFetch(host)` is a small `fetch` whose connections are made by the Host
 * (`connectTcp`), so `http://127.0.0.1:8000` means that host's loopback — a socket here, a channel forwarded over
 * the Host's SSH connection there. Plain HTTP only (these are loopback APIs: gluetun's control server, qBittorrent's
 * WebUI); it returns a standard `Response`, so callers are written against `fetch`.
 */
import { Agent, request } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Host } from './host.js';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export function hostFetch(host: Pick<Host, 'connectTcp'>): FetchLike {
  return (url, init = {}) => fetchThrough(host, url, init);
}

function bodyOf(body: RequestInit['body']): { data?: string; type?: string } {
  if (body === undefined || body === null) return {};
  if (body instanceof URLSearchParams) return { data: body.toString(), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (typeof body === 'string') return { data: body, type: 'text/plain;charset=UTF-8' };
  throw new TypeError('hostFetch: only string and URLSearchParams bodies are supported');
}

async function fetchThrough(host: Pick<Host, 'connectTcp'>, url: string, init: RequestInit): Promise<Response> {
  const target = new URL(url);
  if (target.protocol !== 'http:') throw new TypeError(`hostFetch: only http:// URLs are supported, got ${target.protocol}`);
  const port = Number(target.port || 80);
  const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const { data, type } = bodyOf(init.body);
  const headers: Record<string, string> = { ...(type ? { 'content-type': type } : {}), ...Object.fromEntries(new Headers(init.headers).entries()) };
  if (data !== undefined) headers['content-length'] = String(Buffer.byteLength(data));
  const agent = new Agent({ keepAlive: false });
  (agent as unknown as { createConnection: unknown }).createConnection = (_options: unknown, callback: (err: Error | null, socket?: Duplex) => void) => {
    host.connectTcp(hostname, port).then(
      (socket) => callback(null, socket),
      (err: Error) => callback(err),
    );
    return undefined;
  };
  return new Promise<Response>((resolve, reject) => {
    const req = request(
      { protocol: 'http:', hostname, port, path: `${target.pathname}${target.search}`, method: init.method ?? 'GET', headers, agent, signal: init.signal ?? undefined },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, v);
          }
          const status = res.statusCode ?? 0;
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
        });
      },
    );
    // Like fetch: an aborted request rejects with the signal's reason (a TimeoutError for AbortSignal.timeout).
    req.on('error', (err) => reject(init.signal?.aborted ? init.signal.reason : new TypeError('fetch failed', { cause: rootCause(err) })));
    req.end(data);
  });
}

/** The innermost cause (e.g. the ECONNREFUSED under a HostError), which is what a message should name. */
function rootCause(err: Error): Error {
  let root = err;
  while (root.cause instanceof Error) root = root.cause;
  return root;
}
