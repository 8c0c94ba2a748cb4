/**
 * What this kind's HTTP clients (gluetun's control server, qBittorrent's WebUI) share: a deadline on every request,
 * errors that say what went wrong without request details, and URLs shown without `user:password@`.
 * Requests go through the Host (`hostFetch`), which also bounds every response body.
 */

export const HTTP_TIMEOUT_MS = 3_000;

/** The caller's signal with the per-request deadline added. */
export function requestSignal(signal?: AbortSignal): AbortSignal {
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
  override readonly name: string = 'HttpApiError';
}
