/**
 * HTTP as a host sees it: `hostFetch` reaches a server on the host's own loopback, directly here and through
 * the SSH Host's connection there (a real sshd on 127.0.0.1), with status, headers (cookies), form bodies and
 * timeouts behaving like fetch. What a host API answers is not trusted: an endless body is cut at the 1 MiB limit
 * (the server sees its connection closed), a body that trickles forever meets the request's own deadline, and a
 * header value HTTP cannot carry is refused without quoting it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostFetch, LocalHost, MAX_BODY_BYTES, ResponseTooLargeError, SshHost, type Host } from '../../reconcilers/host/index.js';
import { integration } from '../support/integration.js';
import { sshdAvailable, startSshd, type TestSshd, sshLoginOf } from '../support/sshd.js';

let server: Server;
let base: string;
const seen: Array<{ method: string; url: string; body: string; type: string | undefined }> = [];
/** Endless answers in progress: resolved with the bytes written when the client's connection closes. */
const endless = new Map<string, Promise<number>>();

/** Writes `chunk` every `everyMs` (0: as fast as the client reads) until the connection closes. */
function streamForever(req: IncomingMessage, res: ServerResponse, chunk: Buffer, everyMs: number): void {
  let written = 0;
  let open = true;
  endless.set(req.headers['x-test-id'] as string, new Promise((resolve) => res.on('close', () => ((open = false), resolve(written)))));
  res.writeHead(200, { 'content-type': 'application/json' });
  const next = () => {
    if (!open) return;
    written += chunk.length;
    const more = res.write(chunk);
    if (everyMs > 0) setTimeout(next, everyMs);
    else if (more) setImmediate(next);
    else res.once('drain', next);
  };
  next();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, type: req.headers['content-type'] });
      if (req.url === '/slow') return; // never answers
      if (req.url === '/endless') return streamForever(req, res, Buffer.alloc(64 * 1024, 0x7b), 0);
      if (req.url === '/trickle') return streamForever(req, res, Buffer.from('{'), 20);
      if (req.url === '/declared-huge') {
        res.writeHead(200, { 'content-length': String(50 * MAX_BODY_BYTES) });
        return void res.write('{');
      }
      if (req.url === '/login') {
        res.writeHead(200, { 'set-cookie': ['SID=abc123; HttpOnly; path=/', 'other=1'] });
        return res.end('Ok.');
      }
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ port: 45678, via: req.socket.remoteAddress }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function behavesLikeFetch(name: string, host: () => Host) {
  it(`${name}: GET json, POST a form, read cookies, 404 as a status, a timeout as a TimeoutError`, async () => {
    const fetch = hostFetch(host());
    const ok = await fetch(`${base}/v1/portforward`, { headers: { 'X-API-Key': 'k' } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { port: number }).port).toBe(45678);

    const login = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password: 'p w' }) });
    expect(await login.text()).toBe('Ok.');
    expect(login.headers.get('set-cookie')).toContain('SID=abc123');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/login', body: 'username=admin&password=p+w' });
    expect(seen.at(-1)?.type).toMatch(/^application\/x-www-form-urlencoded/);

    expect((await fetch(`${base}/missing`)).status).toBe(404);
    const slow = await fetch(`${base}/slow`, { signal: AbortSignal.timeout(200) }).catch((err: Error) => err);
    expect((slow as Error).name).toBe('TimeoutError');
  });

  it(`${name}: an endless body is cut at the limit and the connection closed; a trickling one meets the deadline`, async () => {
    const id = `${name}-endless`;
    const tooLarge = await hostFetch(host())(`${base}/endless`, { headers: { 'x-test-id': id } }).catch((err: Error) => err);
    expect(tooLarge).toBeInstanceOf(ResponseTooLargeError);
    expect((tooLarge as Error).message).toBe('the response body is larger than 1 MiB; the connection was closed');
    const written = await endless.get(id)!; // the server saw its connection closed
    expect(written).toBeGreaterThan(MAX_BODY_BYTES);

    const declared = await hostFetch(host())(`${base}/declared-huge`).catch((err: Error) => err);
    expect(declared).toBeInstanceOf(ResponseTooLargeError);

    // No signal from the caller: the request's own deadline (a short one here) still ends it, body included.
    const trickleId = `${name}-trickle`;
    const late = await hostFetch(host(), { timeoutMs: 300 })(`${base}/trickle`, { headers: { 'x-test-id': trickleId } }).catch((err: Error) => err);
    expect((late as Error).name).toBe('TimeoutError');
    expect(await endless.get(trickleId)!).toBeGreaterThan(0);
  });

  it(`${name}: a header value HTTP cannot carry is refused naming the header, not quoting the value`, async () => {
    for (const value of ['abcd\nefgh', 'abcd\u0000efgh', 'abcd€efgh']) {
      const err = (await hostFetch(host())(`${base}/v1/portforward`, { headers: { 'X-API-Key': value } }).catch((e: Error) => e)) as Error;
      expect(err.message).toBe('hostFetch: the value of header X-API-Key cannot be sent (it contains a line break, a control character or a character beyond Latin-1)');
    }
  });
}

describe('hostFetch on this machine', () => {
  behavesLikeFetch('local', () => new LocalHost());

  it('a refused connection names the cause, as fetch does', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = (await hostFetch(new LocalHost())(`http://127.0.0.1:${port}/`).catch((e: Error) => e)) as Error;
    expect(err.message).toBe('fetch failed');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

const sshd = integration('sshd', sshdAvailable(), 'openssh-server is not installed, or not root');

sshd.describe('hostFetch through an SSH Host (the host\'s loopback, forwarded over its connection)', () => {
  let ssh: TestSshd;
  let host: SshHost;
  beforeAll(async () => {
    ssh = await startSshd();
    host = new SshHost({ name: 'remote', ...sshLoginOf(ssh) });
  }, 60_000);
  afterAll(async () => {
    await host?.close();
    await ssh?.stop();
  });
  behavesLikeFetch('ssh', () => host);
});
