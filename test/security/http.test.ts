/**
 * The HTTP API as an attacker meets it, over real HTTP on loopback against the real daemon: a local process
 * without the token, a web page whose DNS name was rebound to 127.0.0.1 (its own Host header), a page on another
 * origin sending a "no-cors" POST (an Origin header, no Authorization), and a `--listen` on the network. What a
 * user checks: none of them can queue a reconcile or release held deletions; the CLI, holding the token, can.
 */
import { request } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acceptedHosts, checkRequest, RemoteListenRefused, startHttp, type HttpControls } from '../../controller/http/index.js';
import type { Daemon } from '../../controller/runtime/daemon.js';
import { StateStore } from '../../controller/state/store.js';
import { createLogger } from '../../reconcilers/core/log.js';
import { createLab, hostManifest, keepaliveManifest, startLabDaemon, type TestLab } from '../support/lab.js';
import { waitUntil } from '../support/wait.js';
import { openStream } from '../status-page/sse-reader.js';

interface Reply {
  status: number;
  body: string;
}

/** A raw HTTP request with exactly the headers given (fetch would not let a test forge Host). */
function send(url: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname.replace(/^\[|\]$/g, ''), port, method, path, headers, setHost: !('host' in headers) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'x=1' : undefined);
  });
}

let lab: TestLab;
let daemon: Daemon | undefined;
let logged = '';

beforeEach(() => {
  lab = createLab();
  lab.writeManifest('hosts/local.yaml', hostManifest('local', lab.root));
  logged = '';
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  lab.cleanup();
});

async function startWithLogs(overrides: Parameters<typeof startLabDaemon>[1] = {}): Promise<Daemon> {
  const destination = new Writable({ write: (chunk: Buffer, _enc, done) => ((logged += chunk.toString()), done()) });
  daemon = await startLabDaemon(lab, { log: createLogger({ level: 'debug', destination }), ...overrides });
  return daemon;
}

const token = () => readFileSync(`${lab.state}/api-token`, 'utf8').trim();
const bearer = () => ({ authorization: `Bearer ${token()}` });

describe('the API token', () => {
  it('is created at first start in the state directory, 0600, kept across restarts, and never logged', async () => {
    const d = await startWithLogs();
    const file = `${lab.state}/api-token`;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = token();
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await d.stop();
    daemon = undefined;
    await startWithLogs();
    expect(token()).toBe(first);
    expect(logged).toContain('homeostat controller running');
    expect(logged).not.toContain(first);
  });
});

describe('who may call the API (loopback listen)', () => {
  it('a POST without the token, or with a wrong one, is refused (401) and queues nothing', async () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    const d = await startWithLogs();
    await d.controller.idle();
    let runs = 0;
    d.controller.onSettled(() => runs++);
    expect((await send(d.http.url, 'POST', '/api/v1/reconcile/StorageKeepalive/hdd')).status).toBe(401);
    expect((await send(d.http.url, 'POST', '/api/v1/reconcile/StorageKeepalive/hdd', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await send(d.http.url, 'POST', '/api/v1/reconcile/StorageKeepalive/hdd', { authorization: `Bearer ${token()}x` })).status).toBe(401);
    expect((await send(d.http.url, 'POST', '/api/v1/prune/confirm', { authorization: token() })).status).toBe(401);
    await d.controller.idle();
    expect(runs).toBe(0);
    const ok = await send(d.http.url, 'POST', '/api/v1/reconcile/StorageKeepalive/hdd', bearer());
    expect(ok.status).toBe(202);
    await waitUntil('the queued reconcile ran', () => runs > 0);
  });

  it('a foreign Host header (DNS rebinding) is refused, even on GET; the endpoint\'s own names are accepted', async () => {
    const d = await startWithLogs();
    const port = new URL(d.http.url).port;
    for (const host of [`rebind.attacker.example:${port}`, `127.0.0.1:${Number(port) + 1}`, `127.0.0.1`, '']) {
      expect((await send(d.http.url, 'GET', '/api/v1/resources', { host })).status, host).toBe(403);
      expect((await send(d.http.url, 'POST', '/api/v1/prune/confirm', { host, ...bearer() })).status, host).toBe(403);
      // The status page, its stream and the data behind it: a rebound name gets none of them.
      for (const path of ['/', '/ui/app.js', '/api/v1/events', '/api/v1/resources/StorageKeepalive/hdd', '/api/v1/source']) {
        expect((await send(d.http.url, 'GET', path, { host })).status, `${host} ${path}`).toBe(403);
      }
      expect((await send(d.http.url, 'POST', '/api/v1/source/refresh', { host, ...bearer() })).status, host).toBe(403);
    }
    expect((await send(d.http.url, 'GET', '/api/v1/resources', { host: `127.0.0.1:${port}` })).status).toBe(200);
    expect((await send(d.http.url, 'GET', '/api/v1/resources', { host: `LOCALHOST:${port}` })).status).toBe(200);
  });

  it('a cross-origin "no-cors" POST from a web page cannot release held deletions; the endpoint\'s own origin can', async () => {
    const names = ['a', 'b', 'c', 'd'];
    for (const n of names) lab.writeManifest(`${n}.yaml`, keepaliveManifest(n, { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    const d = await startWithLogs();
    await d.controller.idle();
    for (const n of names) lab.removeManifest(`${n}.yaml`);
    await waitUntil('PruneHeld', () => d.controller.desired.held().length === 4);

    // What a browser sends for `fetch(url, { method: 'POST', mode: 'no-cors', body })` from another page.
    const browser = { origin: 'https://attacker.example', 'content-type': 'text/plain;charset=UTF-8', 'sec-fetch-mode': 'no-cors' };
    expect((await send(d.http.url, 'POST', '/api/v1/prune/confirm', browser)).status).toBe(403);
    // Even a page that somehow had the token: a foreign Origin is refused.
    expect((await send(d.http.url, 'POST', '/api/v1/prune/confirm', { ...browser, ...bearer() })).status).toBe(403);
    expect((await send(d.http.url, 'POST', '/api/v1/prune/confirm', { origin: 'null', ...bearer() })).status).toBe(403);
    expect(d.controller.desired.held()).toHaveLength(4);
    for (const n of names) expect(existsSync(lab.real(`/etc/cron.d/homeostat-${n}`))).toBe(true);

    const own = await send(d.http.url, 'POST', '/api/v1/prune/confirm', { origin: d.http.url, ...bearer() });
    expect(own.status).toBe(200);
    expect((JSON.parse(own.body) as { pruned: string[] }).pruned).toHaveLength(4);
  });

  it('GETs need no token on loopback: health, readiness, metrics, resources, the status page and its stream', async () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    const d = await startWithLogs();
    for (const path of ['/healthz', '/readyz', '/metrics', '/api/v1/resources', '/api/v1/resources/StorageKeepalive/hdd', '/api/v1/source', '/', '/ui/app.js']) {
      expect((await send(d.http.url, 'GET', path)).status, path).toBe(200);
    }
    const stream = await openStream(d.http.url);
    try {
      expect(stream.status).toBe(200);
      await stream.waitFor('the snapshot', (m) => m.find((x) => x.event === 'snapshot'));
    } finally {
      stream.close();
    }
  });

  it('the status page\'s actions: refreshing the source needs the token and the endpoint\'s own origin; a foreign page cannot read the stream', async () => {
    const d = await startWithLogs();
    expect((await send(d.http.url, 'POST', '/api/v1/source/refresh')).status).toBe(401);
    expect((await send(d.http.url, 'POST', '/api/v1/source/refresh', { authorization: `Bearer ${token()}x` })).status).toBe(401);
    expect((await send(d.http.url, 'POST', '/api/v1/source/refresh', { origin: 'https://attacker.example', ...bearer() })).status).toBe(403);
    // A page on another origin that fetches the stream sends its Origin: refused (and it could not read the answer anyway).
    expect((await send(d.http.url, 'GET', '/api/v1/events', { origin: 'https://attacker.example' })).status).toBe(403);
    expect((await send(d.http.url, 'POST', '/api/v1/source/refresh', { origin: d.http.url, ...bearer() })).status).toBe(200);
    // The token is in no answer, not even the page's.
    for (const path of ['/', '/ui/app.js', '/ui/app.css', '/api/v1/source']) expect((await send(d.http.url, 'GET', path)).body, path).not.toContain(token());
  });
});

describe('listening beyond loopback', () => {
  it('a non-loopback --listen is refused before anything runs unless remote access is allowed', async () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'pve.lan']) {
      await expect(startLabDaemon(lab, { listen: { host, port: 0 } })).rejects.toThrow(RemoteListenRefused);
    }
    expect(existsSync(lab.real('/etc/cron.d/homeostat-hdd'))).toBe(false);
    expect(existsSync(`${lab.state}/state.db`)).toBe(false);
  });

  it('with --allow-remote every endpoint but /healthz, /readyz and the page\'s files needs the token (Prometheus sends it)', async () => {
    // Bound to loopback so the test never listens on the network: allowRemote alone decides what needs the token.
    const d = await startWithLogs({ listen: { host: '127.0.0.1', port: 0, allowRemote: true } });
    for (const path of ['/healthz', '/readyz']) expect((await send(d.http.url, 'GET', path)).status, path).toBe(200);
    // The page's files hold no data: the page loads, then asks for the token for everything it shows.
    for (const path of ['/', '/ui/app.js', '/ui/app.css']) {
      const open = await send(d.http.url, 'GET', path);
      expect(open.status, path).toBe(200);
      expect(open.body).not.toContain(token());
    }
    const refusedStream = await openStream(d.http.url);
    expect(refusedStream.status).toBe(401);
    refusedStream.close();
    const stream = await openStream(d.http.url, bearer());
    expect(stream.status).toBe(200);
    stream.close();
    for (const path of ['/metrics', '/api/v1/resources', '/api/v1/resources/StorageKeepalive/hdd', '/api/v1/source', '/api/v1/events', '/nope']) {
      const refused = await send(d.http.url, 'GET', path);
      expect(refused.status, path).toBe(401);
      expect(refused.body).not.toContain(token());
    }
    const metrics = await send(d.http.url, 'GET', '/metrics', bearer());
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('homeostat_');
    expect((await send(d.http.url, 'GET', '/api/v1/resources', bearer())).status).toBe(200);
    expect((await send(d.http.url, 'GET', '/metrics', { host: `evil.example:${new URL(d.http.url).port}`, ...bearer() })).status).toBe(403);
  });

  it('startHttp itself refuses a network address without allowRemote', async () => {
    const store = new StateStore(lab.state);
    try {
      const controls: HttpControls = { store, isReady: () => true, reconcileNow: () => true, confirmPrune: () => [] };
      await expect(startHttp(controls, { host: '0.0.0.0', port: 0 }, 'x'.repeat(43))).rejects.toThrow(/--allow-remote/);
    } finally {
      store.close();
    }
  });
});

describe('access rules (pure)', () => {
  const names = { interfaceAddresses: ['192.0.2.10', 'fe80::1'], hostname: 'pve', extra: ['pve.lan'] };

  it('names a loopback endpoint by its address or localhost, at its port only', () => {
    expect([...acceptedHosts('127.0.0.1', 9477, { ...names, extra: [] })].sort()).toEqual(['127.0.0.1:9477', 'localhost:9477']);
    expect([...acceptedHosts('::1', 9477, { ...names, extra: [] })].sort()).toEqual(['[::1]:9477', 'localhost:9477']);
  });

  it('names a wildcard endpoint by loopback, this machine\'s addresses and name, and --allow-host names', () => {
    expect([...acceptedHosts('0.0.0.0', 9477, names)].sort()).toEqual(
      ['127.0.0.1:9477', '192.0.2.10:9477', '[::1]:9477', '[fe80::1]:9477', 'localhost:9477', 'pve.lan:9477', 'pve:9477'].sort(),
    );
  });

  it('refuses a foreign Origin on any method, and a POST without the token', () => {
    const policy = { hosts: new Set(['127.0.0.1:9477']), tokenEverywhere: false };
    const facts = { method: 'GET', path: '/metrics', host: '127.0.0.1:9477', origin: undefined, authorized: false };
    expect(checkRequest(facts, policy)).toEqual({ ok: true });
    expect(checkRequest({ ...facts, origin: 'http://127.0.0.1:9477' }, policy)).toEqual({ ok: true });
    expect(checkRequest({ ...facts, origin: 'http://127.0.0.1:9478' }, policy)).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest({ ...facts, origin: 'https://127.0.0.1:9477' }, policy)).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest({ ...facts, method: 'POST' }, policy)).toMatchObject({ ok: false, status: 401 });
    expect(checkRequest({ ...facts, method: 'PUT', authorized: true }, policy)).toEqual({ ok: true });
  });
});
