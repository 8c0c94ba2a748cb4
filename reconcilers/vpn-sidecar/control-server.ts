/**
 * gluetun's HTTP control server, read only (routes and answers as in qdm12/gluetun internal/server):
 *   `GET /v1/vpn/status`  → `{"status":"running"}` (gluetun's VPN loop: starting, running, stopping, stopped,
 *                            crashed, completed),
 *   `GET /v1/publicip/ip` → `{"public_ip":"…","country":"…","region":"…","city":"…",…}` (`public_ip` empty while
 *                            gluetun knows none: it forgets it when the tunnel goes down),
 *   `GET /v1/portforward` → `{"port":N,"ports":[N]}`.
 * Every request sends the API key as `X-API-Key` (gluetun 3.39.1 and later answer 401 to a request no auth role
 * covers), has a 3 s deadline, and goes through the Host; `controlServerFetch` also reads at most 64 KiB of an
 * answer. What comes back is checked before anything of it reaches a status: a status is one lowercase word, an IP
 * an IP, place names short printable text. An error says which fault it is and never shows the key.
 */
import { isIP } from 'node:net';
import { hostFetch, ResponseTooLargeError, type FetchLike, type Host } from '../host/index.js';
import { describeHttpError, HTTP_TIMEOUT_MS, HttpApiError, requestSignal, shownUrl } from './http-api.js';

/** The largest control-server answer read (its real answers are a few hundred bytes). */
export const CONTROL_SERVER_MAX_BODY_BYTES = 64 * 1024;

/** Fetch for the control server through the Host: its loopback is the Docker host's; answers bounded, deadline set. */
export function controlServerFetch(host: Pick<Host, 'connectTcp'>): FetchLike {
  return hostFetch(host, { maxBodyBytes: CONTROL_SERVER_MAX_BODY_BYTES, timeoutMs: HTTP_TIMEOUT_MS });
}

/** Why the control server could not be asked: no answer (or a cut one), the key refused, or an answer that is not gluetun's. */
export type ControlServerFault = 'unreachable' | 'refused' | 'bad-answer';

export class ControlServerError extends HttpApiError {
  override readonly name: string = 'ControlServerError';
  constructor(
    message: string,
    readonly fault: ControlServerFault,
  ) {
    super(message);
  }
}

/** Where the VPN exits, as gluetun's public-IP lookup found it. */
export interface PublicIp {
  ip: string;
  country?: string;
  region?: string;
  city?: string;
}

/** The answer of `GET <base><path>`, parsed; `expected` says in errors what it should have been. */
async function getJson(fetch: FetchLike, baseUrl: string, path: string, apiKey: string | undefined, expected: string, signal?: AbortSignal): Promise<unknown> {
  const url = `${baseUrl}${path}`;
  const shown = shownUrl(url);
  let response: Response;
  try {
    response = await fetch(url, { headers: apiKey ? { 'X-API-Key': apiKey } : {}, signal: requestSignal(signal), redirect: 'manual' });
  } catch (err) {
    throw new ControlServerError(`GET ${shown}: ${describeHttpError(err)}`, err instanceof ResponseTooLargeError ? 'bad-answer' : 'unreachable');
  }
  if (response.status === 401 || response.status === 403) {
    throw new ControlServerError(`GET ${shown}: ${response.status}: the control server refused the API key (spec.gateway.controlServer.apiKey)`, 'refused');
  }
  if (!response.ok) throw new ControlServerError(`GET ${shown}: HTTP ${response.status}`, 'bad-answer');
  const body: unknown = await response.json().catch(() => null);
  if (body === null || typeof body !== 'object') throw badAnswer(shown, expected);
  return body;
}

function badAnswer(shown: string, expected: string): ControlServerError {
  return new ControlServerError(`GET ${shown}: expected ${expected}, got something else`, 'bad-answer');
}

/** gluetun's VPN status now: `running` when the tunnel is up, `stopped`, `starting`, `crashed`, ... otherwise. */
export async function readTunnelStatus(fetch: FetchLike, baseUrl: string, apiKey: string | undefined, signal?: AbortSignal): Promise<string> {
  const expected = '{"status":"running"|"stopped"|…}';
  const body = (await getJson(fetch, baseUrl, '/v1/vpn/status', apiKey, expected, signal)) as { status?: unknown };
  if (typeof body.status !== 'string' || !/^[a-z]{1,32}$/.test(body.status)) throw badAnswer(shownUrl(`${baseUrl}/v1/vpn/status`), expected);
  return body.status;
}

/** Where the VPN exits now, or null while gluetun knows no public IP (the tunnel is down, or not looked up yet). */
export async function readPublicIp(fetch: FetchLike, baseUrl: string, apiKey: string | undefined, signal?: AbortSignal): Promise<PublicIp | null> {
  const expected = '{"public_ip":"<IP>",…}';
  const body = (await getJson(fetch, baseUrl, '/v1/publicip/ip', apiKey, expected, signal)) as Record<string, unknown>;
  const ip = body.public_ip;
  if (ip === '' || ip === undefined) return null;
  if (typeof ip !== 'string' || isIP(ip) === 0) throw badAnswer(shownUrl(`${baseUrl}/v1/publicip/ip`), expected);
  const place: Omit<PublicIp, 'ip'> = {};
  for (const field of ['country', 'region', 'city'] as const) {
    const text = placeName(body[field]);
    if (text) place[field] = text;
  }
  return { ip, ...place };
}

/** A place name fit for a status: printable, one line, at most 100 characters; anything else is dropped. */
function placeName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text.slice(0, 100);
}

/** The port the VPN forwards now (0: none yet). */
export async function readForwardedPort(fetch: FetchLike, baseUrl: string, apiKey: string | undefined, signal?: AbortSignal): Promise<number> {
  const expected = '{"port":N}';
  const body = (await getJson(fetch, baseUrl, '/v1/portforward', apiKey, expected, signal)) as { port?: unknown };
  const port = body.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw badAnswer(shownUrl(`${baseUrl}/v1/portforward`), expected);
  return port;
}
