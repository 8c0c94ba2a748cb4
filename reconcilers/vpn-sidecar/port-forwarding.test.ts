/**
 * The gluetun control-server client against a loopback stand-in speaking its route (gluetun cannot run offline;
 * the qBittorrent client is tested against the real qbittorrent-nox in test/vpn-sidecar/port-forwarding.test.ts),
 * and both clients against a server whose answer never ends.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { hostFetch, LocalHost } from '../host/index.js';
import { readForwardedPort } from './control-server.js';
import { shownUrl } from './http-api.js';
import { QbittorrentSession } from './port-forwarding.js';

const fetchHere = hostFetch(new LocalHost());

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A loopback HTTP server answering with `handler`; resolves to its base URL. */
function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  return new Promise((resolve) => server!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as { port: number }).port}`)));
}

describe('the control server client', () => {
  it('sends the API key and reads the port; says when the key is refused, without the key', async () => {
    const url = await serve((req, res) => {
      if (req.headers['x-api-key'] !== 'k3y') return res.writeHead(401).end('{}');
      res.end(JSON.stringify({ port: 45678, ports: [45678] }));
    });
    expect(await readForwardedPort(fetchHere, url, 'k3y')).toBe(45678);
    const refused = await readForwardedPort(fetchHere, url, 'wrong-key').catch((err: Error) => err.message);
    expect(refused).toBe(`GET ${url}/v1/portforward: 401: the control server refused the API key (spec.gateway.controlServer.apiKey)`);
  });

  it('an endless answer is cut at 1 MiB with a clear error, not buffered without bound', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const more = (): void => void (res.destroyed || (res.write(chunk) ? setImmediate(more) : res.once('drain', more)));
      more();
    });
    const err = await readForwardedPort(fetchHere, url, 'k3y').catch((e: Error) => e.message);
    expect(err).toBe(`GET ${url}/v1/portforward: the response body is larger than 1 MiB; the connection was closed`);
    const login = await QbittorrentSession.login(fetchHere, url, 'admin', 'adminadmin').catch((e: Error) => e.message);
    expect(login).toBe(`POST ${url}/api/v2/auth/login: the response body is larger than 1 MiB; the connection was closed`);
  });

  it('names an unreachable server and never shows credentials in a URL', async () => {
    const url = await serve(() => undefined);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(await readForwardedPort(fetchHere, url, undefined).catch((err: Error) => err.message)).toBe(`GET ${url}/v1/portforward: fetch failed (ECONNREFUSED)`);
    expect(shownUrl('http://admin:hunter2@127.0.0.1:8080/api')).toBe('http://127.0.0.1:8080/api');
  });
});
