/**
 * The two HTTP APIs port forwarding speaks: gluetun's control server (`GET /v1/portforward` with an
 * `X-API-Key` header → `{"port":N}`), and qBittorrent's WebUI API (`/api/v2/auth/login` → `SID` cookie,
 * `/api/v2/app/preferences`, `/api/v2/app/setPreferences` with the form field `json={"listen_port":N}`).
 * Every request has a timeout; error messages name the URL and what went wrong, never a key or password.
 * Requests go through `hostFetch(host)`: URLs mean what they mean on the Docker Host (its loopback is its own), and
 * an answer larger than 1 MiB is cut off there (ResponseTooLargeError, the connection closed).
 */
import type { FetchLike } from '../host/index.js';

export const HTTP_TIMEOUT_MS = 3_000;

function signalFor(signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(HTTP_TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** `fetch failed (ECONNREFUSED)`, `timed out after 3000 ms`: what went wrong, without request details. */
export function describeHttpError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return `timed out after ${HTTP_TIMEOUT_MS} ms`;
    const cause = err.cause as { code?: string; message?: string } | undefined;
    return cause ? `${err.message} (${cause.code ?? cause.message})` : err.message;
  }
  return String(err);
}

/** A URL as messages show it: without `user:password@`. */
export function shownUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1');
}

export class HttpApiError extends Error {
  override readonly name = 'HttpApiError';
}

/** The port the VPN forwards now (0: none yet), from gluetun's control server. */
export async function readForwardedPort(fetch: FetchLike, baseUrl: string, apiKey: string | undefined, signal?: AbortSignal): Promise<number> {
  const url = `${baseUrl}/v1/portforward`;
  const shown = shownUrl(url);
  let response: Response;
  try {
    response = await fetch(url, { headers: apiKey ? { 'X-API-Key': apiKey } : {}, signal: signalFor(signal), redirect: 'manual' });
  } catch (err) {
    throw new HttpApiError(`GET ${shown}: ${describeHttpError(err)}`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new HttpApiError(`GET ${shown}: ${response.status}: the control server refused the API key (spec.gateway.controlServer.apiKey)`);
  }
  if (!response.ok) throw new HttpApiError(`GET ${shown}: HTTP ${response.status}`);
  const body = (await response.json().catch(() => null)) as { port?: unknown } | null;
  const port = body?.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new HttpApiError(`GET ${shown}: expected {"port":N}, got something else`);
  }
  return port;
}

/** One logged-in qBittorrent WebUI session. */
export class QbittorrentSession {
  private constructor(
    private readonly fetch: FetchLike,
    private readonly baseUrl: string,
    private readonly cookie: string | null,
  ) {}

  static async login(fetch: FetchLike, baseUrl: string, username: string, password: string, signal?: AbortSignal): Promise<QbittorrentSession> {
    const base = baseUrl.replace(/\/+$/, '');
    const url = `${base}/api/v2/auth/login`;
    const shown = shownUrl(url);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        body: new URLSearchParams({ username, password }),
        signal: signalFor(signal),
        redirect: 'manual',
      });
    } catch (err) {
      throw new HttpApiError(`POST ${shown}: ${describeHttpError(err)}`);
    }
    const text = await response.text();
    if (response.status === 403) throw new HttpApiError(`POST ${shown}: 403: qBittorrent has banned this address after failed logins`);
    if (!response.ok || text.trim() !== 'Ok.') {
      throw new HttpApiError(`POST ${shown}: qBittorrent refused the login of user "${username}" (HTTP ${response.status}); check the password file`);
    }
    const sid = /(?:^|[;,]\s*)SID=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
    return new QbittorrentSession(fetch, base, sid ? `SID=${sid}` : null);
  }

  private async request(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const shown = shownUrl(url);
    let response: Response;
    try {
      response = await this.fetch(url, {
        ...init,
        headers: { ...(this.cookie ? { Cookie: this.cookie } : {}) },
        signal: signalFor(signal),
        redirect: 'manual',
      });
    } catch (err) {
      throw new HttpApiError(`${init.method ?? 'GET'} ${shown}: ${describeHttpError(err)}`);
    }
    if (!response.ok) throw new HttpApiError(`${init.method ?? 'GET'} ${shown}: HTTP ${response.status}`);
    return response;
  }

  async listenPort(signal?: AbortSignal): Promise<number> {
    const response = await this.request('/api/v2/app/preferences', {}, signal);
    const prefs = (await response.json().catch(() => null)) as { listen_port?: unknown } | null;
    if (typeof prefs?.listen_port !== 'number') throw new HttpApiError(`${shownUrl(this.baseUrl)}/api/v2/app/preferences: no listen_port in the answer`);
    return prefs.listen_port;
  }

  async setListenPort(port: number, signal?: AbortSignal): Promise<void> {
    await this.request(
      '/api/v2/app/setPreferences',
      { method: 'POST', body: new URLSearchParams({ json: JSON.stringify({ listen_port: port }) }) },
      signal,
    );
  }
}
