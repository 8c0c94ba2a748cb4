/**
 * The controller's HTTP endpoint (node:http, 127.0.0.1 by default): `/healthz`, `/readyz`, `/metrics`
 * (prom-client), `GET /api/v1/resources`, `GET /api/v1/resources/KIND/NAME` (what `describe` shows),
 * `GET /api/v1/source`, `POST /api/v1/reconcile/KIND/NAME`, `POST /api/v1/prune/confirm`,
 * `POST /api/v1/source/refresh`, and the status page: `GET /` with its script and stylesheet (page/) and its live
 * stream `GET /api/v1/events` (stream/). The CLI's `reconcile` and `prune --confirm` talk to a running daemon
 * through it. Every request passes the access rules of guard.ts first (Host, Origin, bearer token); a non-loopback
 * listen needs `allowRemote`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { metricsRegistry } from '../../reconcilers/core/metrics.js';
import { errorMessage } from '../../reconcilers/core/problem.js';
import type { SourceControl } from '../source/types.js';
import type { StateStore } from '../state/store.js';
import { describeResource, listResourceViews } from '../status/views.js';
import { acceptedHosts, assertListenAllowed, checkRequest, hostHeader, isWildcardHost, type AccessPolicy } from './guard.js';
import { COMMON_HEADERS, PAGE_ASSETS } from './page/index.js';
import { StatusStream, type StreamLimits, type StreamStats } from './stream/index.js';
import { boundedRefresh, type RefreshSource } from './source-refresh.js';
import { bearerMatches } from './token.js';

export interface HttpControls {
  store: StateStore;
  isReady(): boolean;
  reconcileNow(key: string): boolean;
  confirmPrune(): string[];
  /** The manifest source: its state (`GET /api/v1/source`, the page) and `refresh()` (`POST /api/v1/source/refresh`). */
  source?: SourceControl;
}

export interface HttpOptions {
  /** The status stream's bounds (stream/hub.ts has the defaults). */
  stream?: Partial<StreamLimits>;
  /** How long `POST /api/v1/source/refresh` waits for the fetch before it answers 202 (the fetch goes on). */
  refreshWaitMs?: number;
}

const DEFAULT_REFRESH_WAIT_MS = 30_000;
const noSource: RefreshSource = () => Promise.reject(new Error('no manifest source'));

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
  /** The status stream's readers and what it sent (for tests and benchmarks). */
  streamStats(): StreamStats;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body, null, 2) + '\n' : String(body);
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type });
  res.end(text);
}

/** What a route needs besides the request: the controls, the access policy, the token, the page's stream. */
interface Routing {
  controls: HttpControls;
  access: AccessPolicy;
  token: string;
  stream: StatusStream;
  refreshSource: RefreshSource;
}

async function route({ controls, access, token, stream, refreshSource }: Routing, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
  const page = PAGE_ASSETS.get(path);
  if ((req.method === 'GET' || req.method === 'HEAD') && page) {
    res.writeHead(200, page.headers);
    res.end(page.body);
    return;
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
  if (req.method === 'GET' && path === '/api/v1/events') return stream.open(req, res);
  const resource = /^\/api\/v1\/resources\/([^/]+)\/([^/]+)$/.exec(path);
  if (req.method === 'GET' && resource) {
    const [kind, name] = [decodeURIComponent(resource[1]!), decodeURIComponent(resource[2]!)];
    const detail = describeResource(controls.store, kind, name);
    return detail ? send(res, 200, detail) : send(res, 404, { error: `no resource ${kind}/${name}` });
  }
  if (req.method === 'GET' && path === '/api/v1/source') {
    return controls.source ? send(res, 200, controls.source.state()) : send(res, 404, { error: 'this controller has no manifest source to show' });
  }
  if (req.method === 'POST' && path === '/api/v1/source/refresh') {
    if (!controls.source) return send(res, 404, { error: 'this controller has no manifest source to refresh' });
    const { state, done } = await refreshSource();
    return send(res, done ? 200 : 202, done ? state : { refreshing: true, state });
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
export async function startHttp(controls: HttpControls, listen: HttpListen, token: string, options: HttpOptions = {}): Promise<HttpEndpoint> {
  assertListenAllowed(listen);
  const stream = new StatusStream(controls.store, controls.source, options.stream);
  const routing: Routing = {
    controls,
    access: { hosts: new Set(), tokenEverywhere: listen.allowRemote === true },
    token,
    stream,
    refreshSource: controls.source ? boundedRefresh(controls.source, options.refreshWaitMs ?? DEFAULT_REFRESH_WAIT_MS, () => stream.poke()) : noSource,
  };
  const server: Server = createServer((req, res) => {
    route(routing, req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else send(res, 500, { error: errorMessage(err) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  routing.access = {
    ...routing.access,
    hosts: acceptedHosts(listen.host, address.port, {
      interfaceAddresses: Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)),
      hostname: hostname(),
      extra: listen.allowHosts ?? [],
    }),
  };
  const local = isWildcardHost(address.address) ? (address.family === 'IPv6' ? '::1' : '127.0.0.1') : address.address;
  return {
    url: `http://${hostHeader(local, address.port)}`,
    streamStats: () => stream.stats,
    close: () => {
      stream.close(); // open streams would keep server.close() waiting
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      return closed;
    },
  };
}
