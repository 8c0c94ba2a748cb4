/**
 * Local HTTP receivers on 127.0.0.1 that check what the real servers check, for the notification tests:
 * - ntfy (server/server.go `handlePublish`/`parsePublishParams`): POST or PUT to `/<topic>` (1–64 of [-_A-Za-z0-9]),
 *   `Title`/`X-Title`, `Priority`/`X-Priority` (1–5 or min|low|default|high|max|urgent, else 400), `Tags` (comma
 *   list), RFC 2047 encoded header words decoded, a message of at most 4,096 bytes, and on a protected topic
 *   `Authorization: Bearer <token>` (else 403).
 * - gotify (api/message.go `CreateMessage`): POST `/message`, the application token in `X-Gotify-Key`, `?token=` or
 *   `Authorization: Bearer` (else 401), a JSON body whose `message` is required (400), `priority` an integer (a
 *   string does not bind: 400), `title` a string.
 * - webhook: POST of `application/json` with exactly `{kind, name, host, type, reason, message, count, time}`, each
 *   of its type, and the bearer token when one is expected (else 401).
 * Each records what it accepted and every request it saw (headers included, to check what never travels), and can
 * be told what to answer next (`answer`): a status to fail with, or nothing at all (a hang).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedMessage {
  title: string;
  message: string;
  /** ntfy: 1–5; gotify: the number sent. */
  priority: number;
  tags: string[];
  /** ntfy: the topic; gotify: the token's application. */
  topic: string;
  /** webhook: the JSON as received. */
  json?: Record<string, unknown>;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

/** What to do with the next request: answer a status (without checking it), or never answer. */
export type Answer = { status: number; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  url: string;
  messages: ReceivedMessage[];
  requests: SeenRequest[];
  /** Queues answers for the next requests, in order (after them the receiver checks and accepts again). */
  answer(...answers: Answer[]): void;
  /** Forgets the answers still queued: from now on it checks and accepts. */
  resetAnswers(): void;
  close(): Promise<void>;
}

type Check = (req: IncomingMessage, body: string, url: URL) => { status: number; error?: string; message?: ReceivedMessage };

const NTFY_TOPIC = /^\/([-_A-Za-z0-9]{1,64})$/;
const NTFY_PRIORITIES: Record<string, number> = { '': 3, '1': 1, '2': 2, '3': 3, '4': 4, '5': 5, min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 };

/** ntfy's maybeDecodeHeader: `=?UTF-8?B?…?=` / `=?UTF-8?Q?…?=` words decoded, anything else as is. */
function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : text.replace(/_/g, ' '),
  );
}

function header(req: IncomingMessage, ...names: string[]): string {
  for (const name of names) {
    const value = req.headers[name];
    if (typeof value === 'string') return value;
  }
  return '';
}

export function ntfyCheck(opts: { token?: string }): Check {
  return (req, body, url) => {
    if (req.method !== 'POST' && req.method !== 'PUT') return { status: 405, error: 'method not allowed' };
    const topic = NTFY_TOPIC.exec(url.pathname)?.[1];
    if (!topic) return { status: 404, error: 'not a topic' };
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) return { status: 403, error: 'forbidden' };
    const priority = NTFY_PRIORITIES[header(req, 'x-priority', 'priority', 'prio', 'p').toLowerCase()];
    if (priority === undefined) return { status: 400, error: 'invalid priority' };
    if (Buffer.byteLength(body) > 4096) return { status: 413, error: 'message too large' };
    const tags = decodeHeader(header(req, 'x-tags', 'tags', 'tag', 'ta')).split(',').map((t) => t.trim()).filter(Boolean);
    return { status: 200, message: { topic, title: decodeHeader(header(req, 'x-title', 'title', 't')), message: body, priority, tags } };
  };
}

export function gotifyCheck(opts: { token: string }): Check {
  return (req, body, url) => {
    if (req.method !== 'POST' || !url.pathname.endsWith('/message')) return { status: 404, error: 'not found' };
    const token = url.searchParams.get('token') || header(req, 'x-gotify-key') || /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] || '';
    if (token !== opts.token) return { status: 401, error: 'you need to provide a valid access token or user credentials to access this api' };
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return { status: 400, error: 'invalid JSON' };
    }
    if (typeof json.message !== 'string' || json.message === '') return { status: 400, error: "Field 'message' is required" };
    if (json.priority !== undefined && !Number.isInteger(json.priority)) return { status: 400, error: 'priority must be an integer' };
    if (json.title !== undefined && typeof json.title !== 'string') return { status: 400, error: 'title must be a string' };
    return { status: 200, message: { topic: 'app', title: String(json.title ?? ''), message: json.message, priority: Number(json.priority ?? 0), tags: [] } };
  };
}

const WEBHOOK_FIELDS = { kind: 'string', name: 'string', host: 'string', type: 'string', reason: 'string', message: 'string', count: 'number', time: 'string' };

export function webhookCheck(opts: { token?: string }): Check {
  return (req, body) => {
    if (req.method !== 'POST') return { status: 405, error: 'method not allowed' };
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return { status: 415, error: 'want application/json' };
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) return { status: 401, error: 'unauthorized' };
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return { status: 400, error: 'invalid JSON' };
    }
    const keys = Object.keys(json).sort();
    if (keys.join() !== Object.keys(WEBHOOK_FIELDS).sort().join()) return { status: 422, error: `fields ${keys.join()}` };
    for (const [key, type] of Object.entries(WEBHOOK_FIELDS)) if (typeof json[key] !== type) return { status: 422, error: `${key} is not a ${type}` };
    if (json.type !== 'Normal' && json.type !== 'Warning') return { status: 422, error: 'type' };
    if (Number.isNaN(Date.parse(String(json.time)))) return { status: 422, error: 'time' };
    return { status: 200, message: { topic: '', title: `${json.kind}/${json.name}: ${json.reason}`, message: String(json.message), priority: 0, tags: [], json } };
  };
}

/** Starts a receiver on a free loopback port; `close()` ends it and every connection it holds. */
export async function startReceiver(check: Check): Promise<Receiver> {
  const messages: ReceivedMessage[] = [];
  const requests: SeenRequest[] = [];
  const answers: Answer[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const next = answers.shift();
      const seen = (status: number) => requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, status });
      if (next === 'hang') {
        seen(0);
        hanging.add(res);
        return;
      }
      if (next) {
        seen(next.status);
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
        res.end(JSON.stringify({ error: 'as told' }));
        return;
      }
      const result = check(req, body, url);
      seen(result.status);
      if (result.message) messages.push(result.message);
      res.writeHead(result.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result.error ? { error: result.error } : { id: messages.length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    requests,
    answer: (...next) => answers.push(...next),
    resetAnswers: () => void answers.splice(0),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
