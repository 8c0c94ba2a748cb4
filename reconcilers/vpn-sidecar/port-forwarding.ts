/**
 * qBittorrent's WebUI API, the app side of port forwarding: `/api/v2/auth/login` → `SID` cookie,
 * `/api/v2/app/preferences`, `/api/v2/app/setPreferences` with the form field `json={"listen_port":N}`. (The VPN
 * side, gluetun's `GET /v1/portforward`, is in control-server.ts.) Every request has a timeout; error messages name
 * the URL and what went wrong, never a password. Requests go through `hostFetch(host)`: URLs mean what they mean on
 * the Docker Host (its loopback is its own), and an answer larger than 1 MiB is cut off there (ResponseTooLargeError,
 * the connection closed).
 */
import type { FetchLike } from '../host/index.js';
import { describeHttpError, HttpApiError, requestSignal, shownUrl } from './http-api.js';

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
        signal: requestSignal(signal),
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
        signal: requestSignal(signal),
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
