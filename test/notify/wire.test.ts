/**
 * The wire formats against local receivers that check what ntfy, gotify and a webhook check, through the real
 * send (Node's fetch): what each server accepts, what a refusal reads like (the status and the server, never the
 * token), and the limits of a send (a deadline covering the answer, an endless answer cut, no redirect followed).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../controller/notify/notification.js';
import { sendRequest } from '../../controller/notify/send.js';
import { buildRequest, headerText } from '../../controller/notify/wire/index.js';
import { gotifyCheck, ntfyCheck, startReceiver, webhookCheck, type Receiver } from './receivers.js';

const TOKEN = 'tk_wire-test-token-0123456789';
const warning: Notification = {
  kind: 'StorageKeepalive',
  name: 'hdd',
  host: 'pve',
  type: 'Warning',
  reason: 'NotMounted',
  message: '/mnt/hdd is not a mountpoint on host pve',
  count: 1,
  time: '2026-12-01T10:00:00.000Z',
};
const recovered: Notification = { ...warning, type: 'Normal', reason: 'Recovered', message: 'Ready again (was NotMounted)' };

const receivers: Receiver[] = [];
async function receiver(check: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(check);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const send = (request: ReturnType<typeof buildRequest>, timeoutMs?: number) =>
  sendRequest(request, { signal: new AbortController().signal, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });

describe('ntfy', () => {
  it('publishes to the topic with Title, Priority from the type, Tags and the bearer token', async () => {
    const ntfy = await receiver(ntfyCheck({ token: TOKEN }));
    const spec = { type: 'ntfy' as const, url: `${ntfy.url}/my-lab-topic` };
    expect(await send(buildRequest(spec, warning, TOKEN))).toEqual({ ok: true, status: 200 });
    expect(await send(buildRequest(spec, { ...recovered, count: 3 }, TOKEN))).toEqual({ ok: true, status: 200 });
    expect(ntfy.messages).toEqual([
      {
        topic: 'my-lab-topic',
        title: 'StorageKeepalive/hdd: NotMounted',
        message: '/mnt/hdd is not a mountpoint on host pve\nhost pve · 2026-12-01T10:00:00.000Z',
        priority: 4,
        tags: ['warning', 'StorageKeepalive'],
      },
      {
        topic: 'my-lab-topic',
        title: 'StorageKeepalive/hdd: Recovered (3 times)',
        message: 'Ready again (was NotMounted)\nhost pve · 2026-12-01T10:00:00.000Z\n3 times since the last message about this',
        priority: 3,
        tags: ['white_check_mark', 'StorageKeepalive'],
      },
    ]);
    expect(ntfy.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
  });

  it('a protected topic without the token is refused: the result names the status and the server, not the token', async () => {
    const ntfy = await receiver(ntfyCheck({ token: TOKEN }));
    const result = await send(buildRequest({ type: 'ntfy', url: `${ntfy.url}/my-lab-topic` }, warning, 'tk_wrong-token-abcdef'));
    expect(result).toMatchObject({ ok: false, status: 403, message: `${ntfy.url} answered HTTP 403 Forbidden` });
    expect(JSON.stringify(result)).not.toContain('tk_');
  });

  it('a title beyond ASCII travels as an RFC 2047 word that ntfy decodes', async () => {
    const ntfy = await receiver(ntfyCheck({}));
    const odd = { ...warning, reason: 'Ünterbrochen', message: 'Über 4 KiB? '.repeat(500) };
    expect(headerText('Ünterbrochen')).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    expect(await send(buildRequest({ type: 'ntfy', url: `${ntfy.url}/t` }, odd, undefined))).toEqual({ ok: true, status: 200 });
    expect(ntfy.messages[0]!.title).toBe('StorageKeepalive/hdd: Ünterbrochen');
    expect(Buffer.byteLength(ntfy.messages[0]!.message)).toBeLessThanOrEqual(4096); // cut, so ntfy keeps it a message
    expect(ntfy.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe('gotify', () => {
  it('posts {title, message, priority} to {url}/message with the token in X-Gotify-Key, never in the URL', async () => {
    const gotify = await receiver(gotifyCheck({ token: TOKEN }));
    const spec = { type: 'gotify' as const, url: `${gotify.url}/gotify/` };
    expect(await send(buildRequest(spec, warning, TOKEN))).toEqual({ ok: true, status: 200 });
    expect(await send(buildRequest(spec, recovered, TOKEN))).toEqual({ ok: true, status: 200 });
    expect(gotify.requests.map((r) => r.url)).toEqual(['/gotify/message', '/gotify/message']);
    expect(gotify.messages.map((m) => [m.title, m.priority])).toEqual([
      ['StorageKeepalive/hdd: NotMounted', 8],
      ['StorageKeepalive/hdd: Recovered', 5],
    ]);
    expect(JSON.parse(gotify.requests[0]!.body)).toEqual({
      title: 'StorageKeepalive/hdd: NotMounted',
      message: '/mnt/hdd is not a mountpoint on host pve\nhost pve · 2026-12-01T10:00:00.000Z',
      priority: 8,
    });
  });

  it('a wrong token is 401', async () => {
    const gotify = await receiver(gotifyCheck({ token: TOKEN }));
    const result = await send(buildRequest({ type: 'gotify', url: gotify.url }, warning, 'Awrongtoken123'));
    expect(result).toMatchObject({ ok: false, status: 401 });
  });
});

describe('webhook', () => {
  it('posts the notification as JSON {kind, name, host, type, reason, message, count, time}', async () => {
    const hook = await receiver(webhookCheck({ token: TOKEN }));
    expect(await send(buildRequest({ type: 'webhook', url: `${hook.url}/hooks/lab` }, { ...warning, count: 2 }, TOKEN))).toEqual({ ok: true, status: 200 });
    expect(hook.messages[0]!.json).toEqual({ ...warning, count: 2 });
    expect(hook.requests[0]!.url).toBe('/hooks/lab');
  });
});

describe('the limits of a send', () => {
  it('a 500 reads as the status and the server; Retry-After of a 429 or 503 is kept', async () => {
    const hook = await receiver(webhookCheck({}));
    hook.answer({ status: 500 }, { status: 429, headers: { 'retry-after': '7' } });
    const request = buildRequest({ type: 'webhook', url: hook.url }, warning, undefined);
    expect(await send(request)).toEqual({ ok: false, status: 500, message: `${hook.url} answered HTTP 500 Internal Server Error` });
    expect(await send(request)).toMatchObject({ ok: false, status: 429, retryAfterMs: 7000 });
  });

  it('a server that never answers is given up at the deadline; a closed port is a network error', async () => {
    const hook = await receiver(webhookCheck({}));
    hook.answer('hang');
    const started = Date.now();
    const request = buildRequest({ type: 'webhook', url: hook.url }, warning, undefined);
    expect(await send(request, 300)).toEqual({ ok: false, message: `${hook.url} did not answer within 0.3 s` });
    expect(Date.now() - started).toBeLessThan(2000);

    const gone = await startReceiver(webhookCheck({}));
    await gone.close(); // its port is free now: nothing listens there
    const closed = buildRequest({ type: 'webhook', url: gone.url }, warning, undefined);
    expect(await send(closed)).toMatchObject({ ok: false, message: expect.stringMatching(new RegExp(`^cannot reach ${gone.url}: ECONNREFUSED`)) });
  });

  it('an endless answer is cut after a few KiB; a redirect is not followed (the token stays with the named server)', async () => {
    let sent = 0;
    const endless = createServer((req, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/elsewhere' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const more = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      };
      res.on('drain', more);
      more();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(endless.address() as AddressInfo).port}`;
    try {
      const ok = await send(buildRequest({ type: 'webhook', url }, warning, TOKEN), 5000);
      expect(ok).toEqual({ ok: true, status: 200 });
      expect(sent).toBeLessThan(16 * 1024 * 1024);
      const moved = await send(buildRequest({ type: 'webhook', url: `${url}/moved` }, warning, TOKEN));
      expect(moved).toMatchObject({ ok: false, status: 302, message: expect.stringContaining('a redirect') });
    } finally {
      endless.closeAllConnections();
      await new Promise<void>((resolve) => endless.close(() => resolve()));
    }
  });
});
