/**
 * How the CLI calls a running controller: the URL it announced in `<state>/daemon.json`, and the API token
 * it keeps in `<state>/api-token` (read here, sent as `Authorization: Bearer`, never printed).
 */
import { readApiToken } from '../http/index.js';
import { daemonUrl } from './defaults.js';

export interface DaemonReply<T> {
  ok: boolean;
  status: number;
  body: T & { error?: string };
}

/** POSTs to the controller using `stateDir`; null when none is running. Throws ApiTokenError when the token cannot be read. */
export async function postToDaemon<T>(stateDir: string, path: string): Promise<DaemonReply<T> | null> {
  const url = daemonUrl(stateDir);
  if (!url) return null;
  const token = readApiToken(stateDir);
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  return { ok: res.ok, status: res.status, body: (await res.json()) as T & { error?: string } };
}
