/**
 * The controller's HTTP endpoint (node:http, 127.0.0.1 by default): `/healthz`, `/readyz`, `/metrics`
 * (prom-client), `GET /api/v1/resources`, `POST /api/v1/reconcile/KIND/NAME`, `POST /api/v1/prune/confirm`.
 * The CLI's `reconcile` and `prune --confirm` talk to a running daemon through it. Every request passes the
 * access rules of guard.ts first (Host, Origin, bearer token); a non-loopback listen needs `allowRemote`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { metricsRegistry } from '../../reconcilers/core/metrics.js';
import { errorMessage } from '../../reconcilers/core/problem.js';
import type { StateStore } from '../state/store.js';
import { listResourceViews } from '../status/views.js';
import { acceptedHosts, assertListenAllowed, checkRequest, hostHeader, isWildcardHost, type AccessPolicy } from './guard.js';
import { bearerMatches } from './token.js';

export interface HttpControls {
  store: StateStore;
  isReady(): boolean;
  reconcileNow(key: string): boolean;
  confirmPrune(): string[];
}

export interface HttpListen {
  host: string;
  port: number;
  /** `--allow-remote`: a non-loopback address is accepted, and the token then guards every endpoint but /healthz, /readyz. */
  allowRemote?: boolean;
  /** `--allow-host`: more names the Host header may use (a DNS name, a reverse proxy's). */
  allowHosts?: readonly string[];
}

export interface HttpEndpoint {
  /** Where a local client reaches it (a loopback address for a wildcard listen). */
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body, null, 2) + '\n' : String(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

async function route(controls: HttpControls, access: AccessPolicy, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const verdict = checkRequest(
    {
      method: req.method ?? 'GET',
      path,
      host: req.headers.host,
      origin: req.headers.origin,
      authorized: bearerMatches(req.headers.authorization, token),
    },
    access,
  );
  if (!verdict.ok) {
    if (verdict.status === 401) res.setHeader('www-authenticate', 'Bearer realm="homeostat"');
    return send(res, verdict.status, { error: verdict.error });
  }
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, 'ok\n', 'text/plain');
  if (req.method === 'GET' && path === '/readyz') {
    return controls.isReady() ? send(res, 200, 'ready\n', 'text/plain') : send(res, 503, 'starting\n', 'text/plain');
  }
  if (req.method === 'GET' && path === '/metrics') {
    return send(res, 200, await metricsRegistry.metrics(), metricsRegistry.contentType);
  }
  if (req.method === 'GET' && path === '/api/v1/resources') {
    return send(res, 200, { items: listResourceViews(controls.store), controller: controls.store.listControllerConditions() });
  }
  const reconcile = /^\/api\/v1\/reconcile\/([^/]+)\/([^/]+)$/.exec(path);
  if (req.method === 'POST' && reconcile) {
    const key = `${decodeURIComponent(reconcile[1]!)}/${decodeURIComponent(reconcile[2]!)}`;
    return controls.reconcileNow(key) ? send(res, 202, { queued: key }) : send(res, 404, { error: `no resource ${key}` });
  }
  if (req.method === 'POST' && path === '/api/v1/prune/confirm') {
    return send(res, 200, { pruned: controls.confirmPrune() });
  }
  return send(res, 404, { error: `no route ${req.method} ${path}` });
}

/** Serves `controls` on `listen`; `token` is the API token (token.ts). Refuses a non-loopback listen without `allowRemote`. */
export async function startHttp(controls: HttpControls, listen: HttpListen, token: string): Promise<HttpEndpoint> {
  assertListenAllowed(listen);
  let access: AccessPolicy = { hosts: new Set(), tokenEverywhere: listen.allowRemote === true };
  const server: Server = createServer((req, res) => {
    route(controls, access, token, req, res).catch((err: unknown) => send(res, 500, { error: errorMessage(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  access = {
    ...access,
    hosts: acceptedHosts(listen.host, address.port, {
      interfaceAddresses: Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)),
      hostname: hostname(),
      extra: listen.allowHosts ?? [],
    }),
  };
  const local = isWildcardHost(address.address) ? (address.family === 'IPv6' ? '::1' : '127.0.0.1') : address.address;
  return {
    url: `http://${hostHeader(local, address.port)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined),
  };
}
