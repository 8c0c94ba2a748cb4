/**
 * One send: POST a built request with Node's fetch, under a deadline that covers the answer's body too
 * (`AbortSignal.timeout`, linked with the dispatcher's stop signal for as long as the request runs), reading at most
 * MAX_ANSWER_BYTES of the answer (the rest is cancelled: nothing a server sends can hold memory). Redirects are not
 * followed (a token must not travel to a host the spec does not name). The result says what went wrong in words
 * that name the server's origin and the HTTP status or error, never a header: no token reaches a message.
 */
import { errorMessage } from '../../reconcilers/core/problem.js';
import { withLinkedSignal } from '../../reconcilers/core/linked-signal.js';
import { originOf, type OutgoingRequest } from './wire/index.js';

/** The deadline of one request, answer included. */
export const SEND_TIMEOUT_MS = 10_000;
/** How much of an answer is read (to let the connection be reused); the rest is cancelled. */
export const MAX_ANSWER_BYTES = 16 * 1024;

export type SendResult =
  | { ok: true; status: number }
  | {
      ok: false;
      /** The HTTP status when the server answered. */
      status?: number;
      /** One line for the Notifier's condition and the log: the server's origin and what went wrong. */
      message: string;
      /** A server's `Retry-After` (429, 503), in milliseconds. */
      retryAfterMs?: number;
    };

export async function sendRequest(request: OutgoingRequest, opts: { signal: AbortSignal; timeoutMs?: number }): Promise<SendResult> {
  const origin = originOf(request.url);
  const timeoutMs = opts.timeoutMs ?? SEND_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  return withLinkedSignal([opts.signal, deadline], async (signal) => {
    try {
      const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, redirect: 'manual', signal });
      await drain(response);
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      const retryAfterMs = retryAfter(response);
      const redirect = response.status >= 300 && response.status < 400 ? ' (a redirect: name the final URL in spec.url)' : '';
      return {
        ok: false,
        status: response.status,
        message: `${origin} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${redirect}`,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    } catch (err) {
      if (deadline.aborted) return { ok: false, message: `${origin} did not answer within ${timeoutMs / 1000} s` };
      if (opts.signal.aborted) return { ok: false, message: `sending to ${origin} was cancelled (the controller is stopping)` };
      return { ok: false, message: `cannot reach ${origin}: ${networkError(err)}` };
    }
  });
}

/** Reads at most MAX_ANSWER_BYTES of the body, then cancels the rest. */
async function drain(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  let read = 0;
  try {
    while (read <= MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // an answer cut short changes nothing about the status it had
  }
}

/** `Retry-After` in seconds (an HTTP date is rare from these servers and ignored), bounded to 1 s – 1 h. */
function retryAfter(response: Response): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined;
  const value = response.headers.get('retry-after');
  if (value === null || !/^\d{1,6}$/.test(value.trim())) return undefined;
  return Math.min(3600, Math.max(1, Number(value.trim()))) * 1000;
}

/** What a network failure was: undici's `fetch failed` hides the reason in its cause (ECONNREFUSED, ENOTFOUND, ...). */
function networkError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return `${cause.code}${typeof cause.message === 'string' ? ` (${errorMessage(cause)})` : ''}`;
  return errorMessage(cause ?? err);
}
