/**
 * The wire format of the status stream: Server-Sent Events (`text/event-stream`). Each message is one `event:`
 * line and one `data:` line of JSON (JSON.stringify escapes every line break, so the data is always one line);
 * a heartbeat is a comment line, which readers ignore. Pure.
 */

/** `retry:` tells an EventSource how long to wait before it reconnects; the page's own reader does the same. */
export const STREAM_PREAMBLE = 'retry: 2000\n\n';

export function sseFrame(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}

export function heartbeatFrame(now: Date): string {
  return `: heartbeat ${now.toISOString()}\n\n`;
}
