/**
 * The status page's routes over real HTTP on loopback, on a real state store: the page's files and their security
 * headers (a strict CSP, no inline script, no framing, no caching, no token in them), a resource's detail, the
 * source's state, and the source refresh (token required, one at a time, answered 202 when it takes too long).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, startHttp, type HttpEndpoint, type HttpOptions } from '../../controller/http/index.js';
import type { SourceControl, SourceState } from '../../controller/source/types.js';
import { StateStore } from '../../controller/state/store.js';
import { testResource } from '../support/resource.js';

const TOKEN = 'T'.repeat(43);
let dir: string;
let store: StateStore;
let http: HttpEndpoint | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-routes-'));
  store = new StateStore(join(dir, 'state'));
});
afterEach(async () => {
  await http?.close();
  http = undefined;
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(source?: SourceControl, options: HttpOptions = {}, allowRemote = false): Promise<string> {
  const controls = { store, isReady: () => true, reconcileNow: () => true, confirmPrune: () => [], ...(source ? { source } : {}) };
  http = await startHttp(controls, { host: '127.0.0.1', port: 0, allowRemote }, TOKEN, options);
  return http.url;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(url: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('the page\'s files', () => {
  it('GET / is the page, with a strict CSP, no inline script or style, no framing, no caching, and no token', async () => {
    const url = await serve();
    const page = await call(url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // Every script is a file of this origin; no inline script, handler or style attribute.
    expect(page.body.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/ui/app.js">']);
    expect(page.body).not.toMatch(/\son[a-z]+=|<style|style=/i);
    for (const reply of [page, await call(url, 'GET', '/ui/app.js'), await call(url, 'GET', '/ui/app.css')]) expect(reply.body).not.toContain(TOKEN);

    const script = await call(url, 'GET', '/ui/app.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect(script.body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    const style = await call(url, 'GET', '/ui/app.css');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await call(url, 'HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('the page\'s files need no token even with --allow-remote; the data behind them does', async () => {
    const url = await serve(undefined, {}, true);
    for (const path of ['/', '/ui/app.js', '/ui/app.css']) expect((await call(url, 'GET', path)).status, path).toBe(200);
    for (const path of ['/api/v1/events', '/api/v1/resources', '/api/v1/resources/StorageKeepalive/hdd', '/api/v1/source']) {
      expect((await call(url, 'GET', path)).status, path).toBe(401);
    }
    expect((await call(url, 'GET', '/api/v1/source', bearer)).status).toBe(404); // no source in this endpoint
  });

  it('every API answer is no-store and nosniff', async () => {
    const url = await serve();
    for (const path of ['/api/v1/resources', '/healthz', '/nope']) {
      const reply = await call(url, 'GET', path);
      expect(reply.headers['cache-control'], path).toBe('no-store');
      expect(reply.headers['x-content-type-options'], path).toBe('nosniff');
    }
  });
});

describe('a resource\'s detail', () => {
  it('GET /api/v1/resources/KIND/NAME is what describe shows: conditions, fields, inventory, events; 404 when there is none', async () => {
    const resource = testResource('UnifiedNamespace', 'media lib', { root: '/data' });
    store.upsertResource({ kind: 'UnifiedNamespace', name: 'media lib', host: 'local', file: 'data.yaml', generation: 'g1', resource });
    store.putStatus('UnifiedNamespace', 'media lib', {
      conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'ok', observedGeneration: 'g1', lastTransitionTime: new Date().toISOString() }],
      observedGeneration: 'g1',
      lastAppliedRevision: { commit: 'f'.repeat(40), dirty: false },
      lastReconcileTime: new Date().toISOString(),
      fields: { directories: 12 },
      memo: {},
    });
    await store.recordInventory('UnifiedNamespace', 'media lib', { type: 'directory', host: 'local', id: '/data/media' });
    store.recordEvent('UnifiedNamespace', 'media lib', 'Normal', 'Applied', 'created /data/media');
    const url = await serve();
    const reply = await call(url, 'GET', '/api/v1/resources/UnifiedNamespace/media%20lib');
    expect(reply.status).toBe(200);
    const detail = JSON.parse(reply.body);
    expect(detail).toMatchObject({
      kind: 'UnifiedNamespace',
      name: 'media lib',
      ready: 'True',
      fields: { directories: 12 },
      inventory: [{ type: 'directory', host: 'local', id: '/data/media' }],
      events: [{ reason: 'Applied', message: 'created /data/media', count: 1 }],
    });
    expect(detail.lastAppliedRevision.commit).toBe('f'.repeat(40));
    expect((await call(url, 'GET', '/api/v1/resources/UnifiedNamespace/nope')).status).toBe(404);
  });
});

describe('the source', () => {
  function countingSource(delayMs = 0): SourceControl & { refreshes: number } {
    let state: SourceState = { type: 'git', location: 'https://git.example/lab.git', ref: 'main', path: 'manifests', appliedCommit: 'a'.repeat(40), lastFetchResult: 'ok' };
    const source = {
      refreshes: 0,
      state: () => state,
      refresh: async () => {
        source.refreshes++;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        state = { ...state, lastFetchTime: new Date().toISOString(), fetchedCommit: 'b'.repeat(40) };
        return state;
      },
    };
    return source;
  }

  it('GET /api/v1/source is its state; without a source it is 404', async () => {
    const source = countingSource();
    const url = await serve(source);
    const reply = await call(url, 'GET', '/api/v1/source');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual(source.state());
    await http!.close();
    http = undefined;
    expect((await call(await serve(), 'GET', '/api/v1/source')).status).toBe(404);
  });

  it('POST /api/v1/source/refresh needs the token, asks the source for every request (a push during a fetch is fetched after it: the source coalesces, schedule.test.ts), and answers with the state after it', async () => {
    const source = countingSource(100);
    const url = await serve(source);
    expect((await call(url, 'POST', '/api/v1/source/refresh')).status).toBe(401);
    expect((await call(url, 'POST', '/api/v1/source/refresh', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call(url, 'POST', '/api/v1/source/refresh', { ...bearer, origin: 'https://attacker.example' })).status).toBe(403);
    expect(source.refreshes).toBe(0);
    const [a, b] = await Promise.all([call(url, 'POST', '/api/v1/source/refresh', bearer), call(url, 'POST', '/api/v1/source/refresh', bearer)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(source.refreshes).toBe(2);
    expect(JSON.parse(a.body)).toMatchObject({ fetchedCommit: 'b'.repeat(40) });
  });

  it('a refresh that takes longer than the wait is answered 202 and goes on', async () => {
    const source = countingSource(400);
    const url = await serve(source, { refreshWaitMs: 50 });
    const reply = await call(url, 'POST', '/api/v1/source/refresh', { ...bearer, origin: url });
    expect(reply.status).toBe(202);
    expect(JSON.parse(reply.body)).toMatchObject({ refreshing: true, state: { appliedCommit: 'a'.repeat(40) } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(source.state().fetchedCommit).toBe('b'.repeat(40));
  });
});
