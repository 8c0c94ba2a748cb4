/**
 * A Docker events stream that survives the engine going away: subscribed with filters (event type, container
 * names or ids, labels), each event handed over parsed, and — when the stream ends or cannot be opened (a
 * dockerd restart) — opened again with backoff. Events may have been missed meanwhile, so `onMissed` is called
 * once it is back (and for a line that cannot be read): the caller looks at the live state again. Nothing is
 * handed over after `close()`.
 */
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { Disposable } from './host.js';

/** One event as the engine reports it (`docker events --format json`), the fields callers read. */
export interface DockerEvent {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/**
 * Docker's event filters, e.g. `{ type: ['container'], container: ['gluetun'] }` or `{ label: ['owner=x'] }`. The
 * engine matches a container name as a pattern (`app` also matches `app-2`): callers check the name they get.
 */
export type DockerEventFilters = Exclude<NonNullable<Docker.GetEventsOptions['filters']>, string>;

export interface DockerEventsOptions {
  filters: DockerEventFilters;
  onEvent(event: DockerEvent): void;
  /** Events may have been missed (the stream was reopened, or a line could not be read or handled): look again. */
  onMissed(): void;
  log?: Pick<Logger, 'debug'>;
  /** Backoff between attempts to reopen the stream: from `firstMs`, doubling up to `maxMs`. */
  retry?: { firstMs: number; maxMs: number };
}

export const DOCKER_EVENTS_RETRY = { firstMs: 200, maxMs: 5_000 };

export function followDockerEvents(docker: Docker, options: DockerEventsOptions): Disposable {
  const { filters, log } = options;
  const { firstMs, maxMs } = options.retry ?? DOCKER_EVENTS_RETRY;
  let closed = false;
  let stream: NodeJS.ReadableStream | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = firstMs;
  const missed = () => {
    if (!closed) options.onMissed();
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect(true);
    }, retryMs);
    retryMs = Math.min(retryMs * 2, maxMs);
  };

  const handle = (line: string) => {
    if (closed) return;
    try {
      options.onEvent(JSON.parse(line) as DockerEvent);
    } catch (err) {
      log?.debug({ err }, 'docker event not handled; looking again');
      missed();
    }
  };

  const connect = async (reconnecting: boolean) => {
    let next: NodeJS.ReadableStream;
    try {
      next = await docker.getEvents({ filters });
    } catch (err) {
      log?.debug({ err }, 'docker events unavailable; retrying');
      return scheduleReconnect();
    }
    if (closed) return destroy(next);
    stream = next;
    retryMs = firstMs;
    if (reconnecting) missed();
    let buffer = '';
    next.on('data', (chunk: Buffer | string) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) handle(line);
      }
    });
    const lost = () => {
      if (stream !== next) return;
      stream = null;
      scheduleReconnect();
    };
    next.on('end', lost);
    next.on('close', lost);
    next.on('error', lost);
  };

  void connect(false);
  return {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      if (stream) destroy(stream);
      stream = null;
    },
  };
}

function destroy(stream: NodeJS.ReadableStream): void {
  (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}
