/**
 * Notifications end to end through the daemon (`startDaemon` with every reconciler), on a sandbox root and local
 * receivers: a StorageKeepalive in cron mode broken by hand (its cron file turned into a folder, so every run fails
 * with the same reason and is retried), a Notifier per wire format. What a user would check: one message when the
 * resource goes not-Ready, the retries grouped into it, a message when it recovers; a receiver that answers 500
 * makes the Notifier not Ready until a retry goes through; the token is sent and never shown anywhere else
 * (status, events, the state database, the logs).
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../controller/runtime/daemon.js';
import type { ResourceView } from '../../controller/status/views.js';
import { createLogger } from '../../reconcilers/core/log.js';
import { createLab, hostManifest, keepaliveManifest, startLabDaemon, viewOf, type TestLab } from '../support/lab.js';
import { sleep, waitUntil } from '../support/wait.js';
import { gotifyCheck, ntfyCheck, startReceiver, webhookCheck, type Receiver } from './receivers.js';

const TOKEN = 'tk_e2e-ntfy-access-token-7f3a9c';
const GOTIFY_TOKEN = 'AgotifyAppToken.e2e';

let lab: TestLab;
let daemon: Daemon | undefined;
let receivers: Receiver[];
let logLines: string[];

beforeEach(() => {
  lab = createLab();
  lab.writeManifest('hosts/local.yaml', hostManifest('local', lab.root));
  receivers = [];
  logLines = [];
});

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await Promise.all(receivers.map((r) => r.close()));
  lab.cleanup();
});

async function receiver(check: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(check);
  receivers.push(r);
  return r;
}

async function start(): Promise<Daemon> {
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  daemon = await startLabDaemon(lab, { log });
  return daemon;
}

function notifierManifest(name: string, spec: Record<string, unknown>): string {
  return `apiVersion: homeostat.dev/v1alpha1\nkind: Notifier\nmetadata: { name: ${name} }\nspec: ${JSON.stringify(spec)}\n`;
}

const view = (key: string): ResourceView | undefined => viewOf(daemon!, key);
const waitForView = (key: string, predicate: (v: ResourceView) => boolean, what: string, timeoutMs = 5000) =>
  waitUntil(`${key}: ${what}`, () => {
    const v = view(key);
    return v && predicate(v) ? v : undefined;
  }, timeoutMs);
const isReady = (v: ResourceView) => v.ready === 'True' && v.observedGeneration === v.generation;
const cronFile = () => lab.real('/etc/cron.d/homeostat-hdd');

describe('notifications through the daemon', () => {
  it('ntfy and gotify: not-Ready sends one message, its retries are grouped, recovery sends; tokens go to their servers and nowhere else', async () => {
    const ntfy = await receiver(ntfyCheck({ token: TOKEN }));
    const gotify = await receiver(gotifyCheck({ token: GOTIFY_TOKEN }));
    const tokenFile = join(lab.dir, 'ntfy-token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const gotifyTokenFile = join(lab.dir, 'gotify-token');
    writeFileSync(gotifyTokenFile, `${GOTIFY_TOKEN}\n`, { mode: 0o600 });
    lab.writeManifest('notify.yaml', [
      notifierManifest('phone', { type: 'ntfy', url: `${ntfy.url}/lab-alerts`, tokenFile, kinds: ['StorageKeepalive'] }),
      notifierManifest('desk', { type: 'gotify', url: gotify.url, tokenFile: gotifyTokenFile, names: ['hdd'] }),
    ].join('---\n'));
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    await start();
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready');
    await waitForView('Notifier/phone', isReady, 'Ready');
    await waitForView('Notifier/desk', isReady, 'Ready');
    expect(view('Notifier/phone')!.host).toBe('local');

    // Break it: the cron file becomes a folder. Every run fails the same way and is retried with backoff.
    rmSync(cronFile());
    mkdirSync(cronFile());
    const failed = await waitForView('StorageKeepalive/hdd', (v) => v.ready === 'False', 'not Ready');
    await waitUntil('retries recorded', () => daemon!.store.listEvents('StorageKeepalive', 'hdd').filter((e) => e.reason === failed.status).reduce((n, e) => n + e.count, 0) >= 3, 8000);
    expect(ntfy.messages).toHaveLength(1);
    expect(ntfy.messages[0]).toMatchObject({ topic: 'lab-alerts', title: `StorageKeepalive/hdd: ${failed.status}`, priority: 4, tags: ['warning', 'StorageKeepalive'] });
    expect(ntfy.messages[0]!.message).toMatch(/^not Ready: /);

    rmdirSync(cronFile());
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready again', 15_000);
    await waitUntil('the recovery messages', () => ntfy.messages.length === 2 && gotify.messages.length === 2);
    expect(ntfy.messages[1]).toMatchObject({ title: 'StorageKeepalive/hdd: Recovered', priority: 3, tags: ['white_check_mark', 'StorageKeepalive'] });
    expect(ntfy.messages[1]!.message).toMatch(new RegExp(`^Ready again \\(was ${failed.status}\\)`));
    await sleep(200);
    expect(ntfy.messages).toHaveLength(2);
    expect(ntfy.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(gotify.messages.map((m) => [m.title, m.priority])).toEqual([
      [`StorageKeepalive/hdd: ${failed.status}`, 8],
      ['StorageKeepalive/hdd: Recovered', 5],
    ]);

    expectTokenNowhere(TOKEN);
    expectTokenNowhere(GOTIFY_TOKEN);
  }, 30_000);

  it('webhook answering 500: the Notifier goes not Ready (with the status), retries, and is Ready again once a send goes through', async () => {
    const hook = await receiver(webhookCheck({ token: TOKEN }));
    hook.answer(...Array.from({ length: 50 }, () => ({ status: 500 })));
    const tokenFile = join(lab.dir, 'hook-token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    lab.writeManifest('notify.yaml', notifierManifest('hook', { type: 'webhook', url: `${hook.url}/lab`, tokenFile }));
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    await start();
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready');
    await waitForView('Notifier/hook', isReady, 'Ready');

    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/missing', mode: 'cron', requireMountpoint: false }));
    await waitForView('StorageKeepalive/hdd', (v) => v.ready === 'False', 'not Ready (NotMounted)');
    const notReady = await waitForView('Notifier/hook', (v) => v.ready === 'False', 'not Ready: its sends fail');
    expect(notReady.status).toBe('SendFailed');
    expect(notReady.conditions.find((c) => c.type === 'Ready')!.message).toBe(`${hook.url} answered HTTP 500 Internal Server Error`);

    hook.resetAnswers(); // from now on the receiver checks and accepts
    await waitForView('Notifier/hook', isReady, 'Ready again after a send went through', 10_000);
    const delivered = hook.messages.map((m) => m.json);
    expect(delivered).toEqual([
      { kind: 'StorageKeepalive', name: 'hdd', host: 'local', type: 'Warning', reason: 'NotMounted', message: expect.stringMatching(/^not Ready: /), count: 1, time: expect.any(String) },
    ]);
    expect(hook.requests.filter((r) => r.status === 500).length).toBeGreaterThanOrEqual(1);
    expect(daemon!.store.listEvents('Notifier', 'hook').map((e) => e.reason)).toEqual(expect.arrayContaining(['SendFailed', 'Recovered']));
    expectTokenNowhere(TOKEN);
  }, 30_000);
});

/** The token was sent to the receiver, and appears nowhere the daemon writes or shows. */
function expectTokenNowhere(token: string): void {
  const d = daemon!;
  for (const v of [view('Notifier/phone'), view('Notifier/desk'), view('Notifier/hook')]) if (v) expect(JSON.stringify(v)).not.toContain(token);
  for (const row of d.store.listResources()) {
    expect(JSON.stringify(d.store.getStatus(row.kind, row.name))).not.toContain(token);
    expect(JSON.stringify(d.store.listEvents(row.kind, row.name, 100))).not.toContain(token);
  }
  void d.store.db; // commits what is pending
  for (const file of readdirSync(lab.state)) {
    if (!file.startsWith('state.db')) continue;
    expect(readFileSync(join(lab.state, file)).includes(Buffer.from(token)), `${file} holds the token`).toBe(false);
  }
  expect(logLines.length).toBeGreaterThan(0);
  expect(logLines.join('')).not.toContain(token);
}
