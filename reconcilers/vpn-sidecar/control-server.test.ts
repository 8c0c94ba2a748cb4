/**
 * The control-server client against loopback servers answering as gluetun does (its routes, its 401): the tunnel's
 * state and public IP read and checked, each fault named (unreachable, refused, a bad answer), an answer that never
 * ends cut at 64 KiB, and a server that never answers given up at the deadline.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHost } from '../host/index.js';
import { controlServerFetch, ControlServerError, readPublicIp, readTunnelStatus } from './control-server.js';

const fetchHere = controlServerFetch(new LocalHost());

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  return new Promise((resolve) => server!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as { port: number }).port}`)));
}

/** gluetun behind its auth middleware: 401 without the key, its two answers otherwise. */
function gluetun(status: string, publicIp: Record<string, unknown>) {
  return serve((req, res) => {
    if (req.headers['x-api-key'] !== 'k3y') return res.writeHead(401).end('Unauthorized\n');
    if (req.url === '/v1/vpn/status') return res.end(`${JSON.stringify({ status })}\n`);
    if (req.url === '/v1/publicip/ip') return res.end(`${JSON.stringify(publicIp)}\n`);
    res.writeHead(404).end('Not Found\n');
  });
}

const fault = (err: unknown) => (err instanceof ControlServerError ? { fault: err.fault, message: err.message } : err);

describe('reading the tunnel from gluetun\'s control server', () => {
  it('reads the status and where the VPN exits, with the key', async () => {
    const url = await gluetun('running', { public_ip: '198.51.100.7', region: 'North Holland', country: 'Netherlands', city: 'Amsterdam', timezone: 'Europe/Amsterdam' });
    expect(await readTunnelStatus(fetchHere, url, 'k3y')).toBe('running');
    expect(await readPublicIp(fetchHere, url, 'k3y')).toEqual({ ip: '198.51.100.7', region: 'North Holland', country: 'Netherlands', city: 'Amsterdam' });
  });

  it('a tunnel that is down has no public IP (gluetun forgets it)', async () => {
    const url = await gluetun('stopped', { public_ip: '' });
    expect(await readTunnelStatus(fetchHere, url, 'k3y')).toBe('stopped');
    expect(await readPublicIp(fetchHere, url, 'k3y')).toBeNull();
  });

  it('a refused key, a wrong answer and no server are told apart, and the key is never shown', async () => {
    const url = await gluetun('running', { public_ip: '198.51.100.7' });
    const refused = await readTunnelStatus(fetchHere, url, 'wrong').catch(fault);
    expect(refused).toEqual({ fault: 'refused', message: `GET ${url}/v1/vpn/status: 401: the control server refused the API key (spec.gateway.controlServer.apiKey)` });
    expect(JSON.stringify(refused)).not.toContain('wrong');
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(await readTunnelStatus(fetchHere, url, 'k3y').catch(fault)).toEqual({ fault: 'unreachable', message: `GET ${url}/v1/vpn/status: fetch failed (ECONNREFUSED)` });
  });

  it('what gluetun would never say is a bad answer; place names are cleaned and cut', async () => {
    const odd = await gluetun('Running <script>', { public_ip: 'not-an-ip' });
    expect(await readTunnelStatus(fetchHere, odd, 'k3y').catch(fault)).toEqual({ fault: 'bad-answer', message: `GET ${odd}/v1/vpn/status: expected {"status":"running"|"stopped"|…}, got something else` });
    expect(await readPublicIp(fetchHere, odd, 'k3y').catch(fault)).toEqual({ fault: 'bad-answer', message: `GET ${odd}/v1/publicip/ip: expected {"public_ip":"<IP>",…}, got something else` });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const messy = await gluetun('running', { public_ip: '2001:db8::1', country: 'Nether\u001b[31mlands\n', city: 'x'.repeat(500), region: 42 });
    expect(await readPublicIp(fetchHere, messy, 'k3y')).toEqual({ ip: '2001:db8::1', country: 'Nether [31mlands', city: 'x'.repeat(100) });
  });

  it('an answer that never ends is cut at 64 KiB; one that never comes is given up at the deadline', async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const endless = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const more = (): void => void (res.destroyed || (res.write(chunk) ? setImmediate(more) : res.once('drain', more)));
      more();
    });
    expect(await readTunnelStatus(fetchHere, endless, 'k3y').catch(fault)).toEqual({
      fault: 'bad-answer',
      message: `GET ${endless}/v1/vpn/status: the response body is larger than 64 KiB; the connection was closed`,
    });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server?.closeAllConnections();
    const silent = await serve(() => undefined);
    const t0 = Date.now();
    expect(await readTunnelStatus(fetchHere, silent, 'k3y').catch(fault)).toEqual({ fault: 'unreachable', message: `GET ${silent}/v1/vpn/status: timed out after 3000 ms` });
    expect(Date.now() - t0).toBeLessThan(6_000);
    server!.closeAllConnections();
  }, 10_000);
});
