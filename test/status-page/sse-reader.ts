/**
 * A reader of the status stream for tests: a real HTTP connection on loopback (node:http, so a test may send any
 * header), the Server-Sent Events parsed as they arrive into messages (event name, parsed JSON) and comments
 * (heartbeats). `waitFor` polls what arrived; `close()` ends the connection.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { waitUntil } from '../support/wait.js';

export interface SseMessage {
  event: string;
  data: any;
  /** When it arrived (Date.now()). */
  at: number;
}

export interface SseReader {
  status: number;
  headers: IncomingMessage['headers'];
  messages: SseMessage[];
  comments: string[];
  /** Bytes received so far. */
  bytes: number;
  ended: boolean;
  waitFor<T>(what: string, check: (messages: SseMessage[]) => T, timeoutMs?: number): Promise<NonNullable<T>>;
  close(): void;
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const target = new URL('/api/v1/events', url);
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    req = request(target, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buffer = '';
      const reader: SseReader = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages: [],
        comments: [],
        bytes: 0,
        ended: false,
        waitFor: (what, check, timeoutMs = 3000) => waitUntil(what, () => check(reader.messages), timeoutMs, 5),
        close: () => req!.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        reader.bytes += Buffer.byteLength(chunk);
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) reader.comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) reader.messages.push({ event, data: JSON.parse(data.join('\n')), at: Date.now() });
        }
      });
      res.on('end', () => (reader.ended = true));
      res.on('close', () => (reader.ended = true));
      res.on('error', () => (reader.ended = true));
      resolve(reader);
    });
    req.on('error', reject);
    req.end();
  });
}
