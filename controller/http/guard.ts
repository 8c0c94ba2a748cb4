/**
 * Who may talk to the HTTP endpoint, as pure functions of the request's facts (the server gathers them):
 * - the Host header must name this endpoint (its listen address, `localhost`, or for a wildcard listen this
 *   machine's addresses and name, plus `--allow-host` names): a page that rebinds its DNS name to 127.0.0.1
 *   sends its own name and is refused (DNS rebinding);
 * - an Origin header, when present, must be this endpoint's own (`http://` + an accepted Host): a page on
 *   another origin cannot POST here, not even "no-cors" (CSRF);
 * - every POST needs `Authorization: Bearer <token>`; with `--allow-remote` every endpoint does, except
 *   `/healthz`, `/readyz` and the status page's files (`/`, `/ui/app.js`, `/ui/app.css`: no data in them; the
 *   page asks for the token and sends it with every API call and its live stream);
 * - a listen address that is not loopback is refused unless remote access is allowed.
 */
import { isIP } from 'node:net';
import { PAGE_PATHS } from './page/index.js';

/** Endpoints anyone who can name the endpoint may read, even with `--allow-remote`: health, and the page's files. */
const OPEN_PATHS = new Set(['/healthz', '/readyz', ...PAGE_PATHS]);

export interface AccessPolicy {
  /** Accepted Host header values, lowercase (`127.0.0.1:9477`, `localhost:9477`, ...). */
  hosts: ReadonlySet<string>;
  /** `--allow-remote`: the token guards every endpoint except /healthz, /readyz and the page's files (else only POSTs). */
  tokenEverywhere: boolean;
}

export interface RequestFacts {
  method: string;
  path: string;
  host: string | undefined;
  origin: string | undefined;
  /** The request carried the right bearer token. */
  authorized: boolean;
}

export type Verdict = { ok: true } | { ok: false; status: 400 | 401 | 403; error: string };

/** The listen address refused without `--allow-remote`. */
export class RemoteListenRefused extends Error {
  override readonly name = 'RemoteListenRefused';
  constructor(readonly host: string) {
    super(
      `--listen ${host}: not a loopback address; the API would be reachable from the network. ` +
        'Pass --allow-remote to accept that (every endpoint but /healthz, /readyz and the status page\'s files then needs the API token)',
    );
  }
}

/** Throws RemoteListenRefused for a non-loopback listen address unless remote access is allowed. */
export function assertListenAllowed(listen: { host: string; allowRemote?: boolean }): void {
  if (!isLoopbackHost(listen.host) && !listen.allowRemote) throw new RemoteListenRefused(listen.host);
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '';
}

/** `host:port` as a Host header writes it (IPv6 in brackets), lowercase. */
export function hostHeader(host: string, port: number): string {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return `${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}

export interface HostNames {
  /** The addresses of this machine's interfaces (for a wildcard listen). */
  interfaceAddresses: readonly string[];
  /** This machine's name (for a wildcard listen). */
  hostname: string;
  /** `--allow-host` names (a reverse proxy's or DNS name). */
  extra: readonly string[];
}

/** Every Host header value that names an endpoint listening on `listenHost` at `port`. */
export function acceptedHosts(listenHost: string, port: number, names: HostNames): Set<string> {
  const bare = new Set<string>();
  const h = listenHost.toLowerCase().replace(/^\[|\]$/g, '');
  if (isWildcardHost(h)) {
    for (const n of ['127.0.0.1', '::1', 'localhost', ...names.interfaceAddresses, names.hostname]) bare.add(n.toLowerCase());
  } else {
    bare.add(h);
    if (isLoopbackHost(h)) bare.add('localhost');
    if (h === 'localhost') ['127.0.0.1', '::1'].forEach((n) => bare.add(n));
  }
  for (const n of names.extra) bare.add(n.toLowerCase());
  const hosts = new Set<string>();
  for (const n of bare) {
    if (/:\d+$/.test(n) && isIP(n) !== 6) hosts.add(n); // `--allow-host name:port` as given
    else hosts.add(hostHeader(n, port));
    if (port === 80) hosts.add(isIP(n) === 6 ? `[${n}]` : n);
  }
  return hosts;
}

/** Whether a request may go on to its route. */
export function checkRequest(req: RequestFacts, policy: AccessPolicy): Verdict {
  const host = req.host?.toLowerCase();
  if (!host || !policy.hosts.has(host)) {
    return { ok: false, status: 403, error: `Host "${req.host ?? ''}" does not name this endpoint` };
  }
  if (req.origin !== undefined && !isOwnOrigin(req.origin, policy.hosts)) {
    return { ok: false, status: 403, error: `cross-origin request from "${req.origin}" refused` };
  }
  const needsToken = req.method !== 'GET' && req.method !== 'HEAD' ? true : policy.tokenEverywhere && !OPEN_PATHS.has(req.path);
  if (needsToken && !req.authorized) {
    return { ok: false, status: 401, error: 'missing or wrong API token (Authorization: Bearer <token from the state directory\'s api-token>)' };
  }
  return { ok: true };
}

function isOwnOrigin(origin: string, hosts: ReadonlySet<string>): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (sandboxed frames, file://) and anything unparseable
  }
  return url.protocol === 'http:' && url.pathname === '/' && hosts.has(url.host.toLowerCase());
}
