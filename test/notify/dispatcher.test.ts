/**
 * The dispatcher on a real state store (SQLite in a temp folder) and real local receivers, without a controller:
 * the test writes what the controller would (statuses, events, controller conditions, resource rows) and checks
 * what arrives. The grouping window and the retry are short here; the daemon test uses the defaults.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotificationDispatcher } from '../../controller/notify/index.js';
import { setCondition, summarizeReady, type ConditionInput } from '../../controller/state/conditions.js';
import { emptyStatus, StateStore } from '../../controller/state/store.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { notifierHealth, type NotifierSpec } from '../../reconcilers/notifier/index.js';
import { testResource } from '../support/resource.js';
import { sleep, waitUntil } from '../support/wait.js';
import { gotifyCheck, ntfyCheck, startReceiver, webhookCheck, type Receiver } from './receivers.js';

const TOKEN = 'tk_dispatcher-secret-token-42';
let dir: string;
let store: StateStore;
let dispatcher: NotificationDispatcher | undefined;
let receivers: Receiver[];
let reconciled: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-notify-'));
  store = new StateStore(join(dir, 'state'));
  receivers = [];
  reconciled = [];
});
afterEach(async () => {
  dispatcher?.stop();
  dispatcher = undefined;
  await Promise.all(receivers.map((r) => r.close()));
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function receiver(check: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(check);
  receivers.push(r);
  return r;
}

function notifier(name: string, spec: Partial<NotifierSpec> & Pick<NotifierSpec, 'type' | 'url'>, generation = 'g1'): void {
  const full: NotifierSpec = { severity: 'warning', kinds: [], names: [], ...spec };
  store.upsertResource({ kind: 'Notifier', name, host: 'local', file: `${name}.yaml`, generation, resource: testResource('Notifier', name, full, { generation }) });
}

function resource(kind: string, name: string, host = 'pve'): void {
  store.upsertResource({ kind, name, host, file: `${name}.yaml`, generation: 'g1', resource: testResource(kind, name, {}) });
}

/** Writes a status as a run would settle it: Ready True, or False with a reason (Degraded or a failure). */
function settle(kind: string, name: string, ready: ConditionInput | 'ok', stalled = false): void {
  const previous = store.getStatus(kind, name);
  const now = new Date();
  let conditions = setCondition(previous.conditions, { type: 'Stalled', status: stalled ? 'True' : 'False', reason: ready === 'ok' ? 'Succeeded' : ready.reason, message: ready === 'ok' ? '' : ready.message }, 'g1', now);
  conditions = setCondition(conditions, ready === 'ok' ? summarizeReady(conditions, { result: 'converged' }) : ready, 'g1', now);
  store.putStatus(kind, name, { ...emptyStatus(), ...previous, conditions });
}

function start(opts: Partial<ConstructorParameters<typeof NotificationDispatcher>[0]> = {}): NotificationDispatcher {
  dispatcher = new NotificationDispatcher({
    store,
    reconcileNow: (key) => reconciled.push(key),
    log: silentLogger,
    retry: { baseMs: 50, maxMs: 200 },
    ...opts,
  });
  return dispatcher;
}

const notMounted: ConditionInput = { type: 'Ready', status: 'False', reason: 'NotMounted', message: '/mnt/hdd is not a mountpoint' };

describe('what is sent', () => {
  it('not-Ready once (its failure event grouped into it), repeats grouped and counted in the next message, recovery at once', async () => {
    const hook = await receiver(webhookCheck({}));
    notifier('hook', { type: 'webhook', url: hook.url });
    resource('StorageKeepalive', 'hdd');
    settle('StorageKeepalive', 'hdd', 'ok');
    const d = start({ groupWindowMs: 400 });

    // One run: its Warning event, then its status, in the same turn (as the controller's settle writes them).
    store.recordEvent('StorageKeepalive', 'hdd', 'Warning', 'NotMounted', '/mnt/hdd is not a mountpoint');
    settle('StorageKeepalive', 'hdd', notMounted);
    await d.settled();
    expect(hook.messages.map((m) => m.json)).toEqual([
      { kind: 'StorageKeepalive', name: 'hdd', host: 'pve', type: 'Warning', reason: 'NotMounted', message: 'not Ready: /mnt/hdd is not a mountpoint', count: 1, time: expect.any(String) },
    ]);

    for (let i = 0; i < 3; i++) store.recordEvent('StorageKeepalive', 'hdd', 'Warning', 'NotMounted', `retry ${i}`);
    await d.settled();
    expect(hook.messages).toHaveLength(1);

    await sleep(450); // past the window: the next repeat goes out, carrying what was grouped
    store.recordEvent('StorageKeepalive', 'hdd', 'Warning', 'NotMounted', 'retry 4');
    await d.settled();
    expect(hook.messages[1]!.json).toMatchObject({ reason: 'NotMounted', message: 'retry 4', count: 5 });

    store.recordEvent('StorageKeepalive', 'hdd', 'Normal', 'Recovered', 'no longer NotMounted');
    settle('StorageKeepalive', 'hdd', 'ok');
    await d.settled();
    expect(hook.messages[2]!.json).toMatchObject({ type: 'Normal', reason: 'Recovered', message: 'Ready again (was NotMounted)', count: 1 });

    // Resolved: the next failure is news at once, within the window.
    settle('StorageKeepalive', 'hdd', notMounted);
    await d.settled();
    expect(hook.messages.map((m) => m.json!.reason)).toEqual(['NotMounted', 'NotMounted', 'Recovered', 'NotMounted']);
  });

  it('KillSwitchViolation, DiskWokeUp and a Stall reach a warning Notifier; PortForwarded only an info one; filters apply', async () => {
    const phone = await receiver(ntfyCheck({}));
    const chat = await receiver(ntfyCheck({}));
    notifier('phone', { type: 'ntfy', url: `${phone.url}/phone`, kinds: ['VpnSidecar', 'StorageKeepalive', 'UnifiedNamespace'] });
    notifier('chat', { type: 'ntfy', url: `${chat.url}/chat`, severity: 'info', names: ['media-vpn'] });
    resource('VpnSidecar', 'media-vpn', 'docker-ct');
    resource('StorageKeepalive', 'hdd');
    resource('UnifiedNamespace', 'data');
    resource('LxcDevice', 'gpu');
    const d = start();
    store.recordEvent('VpnSidecar', 'media-vpn', 'Warning', 'KillSwitchViolation', 'qbittorrent ran outside the gateway: stopped at once');
    store.recordEvent('VpnSidecar', 'media-vpn', 'Normal', 'PortForwarded', 'qbittorrent listens on the forwarded port 51413 (was 6881)');
    store.recordEvent('StorageKeepalive', 'hdd', 'Warning', 'DiskWokeUp', 'heartbeat took 4.2 s');
    settle('UnifiedNamespace', 'data', { type: 'Ready', status: 'False', reason: 'CrossDevice', message: 'two filesystems' }, true);
    store.recordEvent('LxcDevice', 'gpu', 'Warning', 'DeviceNotFound', 'no /dev/dri');
    await d.settled();
    expect(phone.messages.map((m) => m.title)).toEqual([
      'UnifiedNamespace/data: CrossDevice',
      'VpnSidecar/media-vpn: KillSwitchViolation',
      'StorageKeepalive/hdd: DiskWokeUp',
    ]);
    expect(phone.messages[0]!.message).toMatch(/^Stalled \(needs a human\): two filesystems/);
    expect(phone.messages.map((m) => m.priority)).toEqual([4, 4, 4]);
    expect(chat.messages.map((m) => [m.title, m.priority])).toEqual([
      ['VpnSidecar/media-vpn: KillSwitchViolation', 4],
      ['VpnSidecar/media-vpn: PortForwarded', 3],
    ]);
  });

  it('PruneHeld (a controller condition) is sent as Controller/PruneHeld, and its release as Recovered', async () => {
    const gotify = await receiver(gotifyCheck({ token: TOKEN }));
    const tokenFile = join(dir, 'gotify-token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    notifier('desk', { type: 'gotify', url: gotify.url, tokenFile });
    const d = start();
    const condition = (status: 'True' | 'False', reason: string, message: string) => ({
      type: 'PruneHeld', status, reason, message, observedGeneration: null, lastTransitionTime: new Date().toISOString(),
    });
    store.putControllerCondition(condition('True', 'MassDeletion', '6 resource(s) disappeared from the manifests'));
    await d.settled();
    store.putControllerCondition(condition('False', 'NothingHeld', ''));
    await d.settled();
    expect(gotify.messages.map((m) => [m.title, m.priority])).toEqual([
      ['Controller/PruneHeld: MassDeletion', 8],
      ['Controller/PruneHeld: Recovered', 5],
    ]);
    expect(gotify.requests.every((r) => r.headers['x-gotify-key'] === TOKEN && !r.url.includes(TOKEN))).toBe(true);
  });
});

describe('a Notifier that cannot send', () => {
  it('is retried with backoff until the receiver takes it; its health goes failing then ok, each change asking for a reconcile', async () => {
    const hook = await receiver(webhookCheck({}));
    hook.answer({ status: 500 }, { status: 500 });
    notifier('hook', { type: 'webhook', url: hook.url });
    resource('StorageKeepalive', 'hdd');
    const d = start();
    store.recordEvent('StorageKeepalive', 'hdd', 'Warning', 'DiskWokeUp', 'heartbeat took 4.2 s');
    await waitUntil('the board says failing', () => notifierHealth.get('hook')?.state === 'failing');
    expect(notifierHealth.get('hook')).toMatchObject({ generation: 'g1', message: `${hook.url} answered HTTP 500 Internal Server Error`, queued: 1 });
    expect(reconciled).toEqual(['Notifier/hook']);
    await d.settled();
    expect(hook.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(hook.messages).toHaveLength(1);
    expect(notifierHealth.get('hook')).toMatchObject({ state: 'ok', sent: 1, failed: 2, queued: 0 });
    expect(reconciled).toEqual(['Notifier/hook', 'Notifier/hook']);
  });

  it('its own trouble goes to the other Notifiers, never into its own queue', async () => {
    const broken = await receiver(webhookCheck({}));
    const other = await receiver(webhookCheck({}));
    notifier('broken', { type: 'webhook', url: broken.url });
    notifier('other', { type: 'webhook', url: other.url });
    resource('Notifier', 'broken', 'local');
    const d = start();
    store.recordEvent('Notifier', 'broken', 'Warning', 'SendFailed', 'answered HTTP 500');
    settle('Notifier', 'broken', { type: 'Ready', status: 'False', reason: 'SendFailed', message: 'answered HTTP 500' });
    await d.settled();
    expect(broken.requests).toEqual([]);
    expect(other.messages.map((m) => m.title)).toEqual(['Notifier/broken: SendFailed']);
  });

  it('a token file that is missing fails the send with a message naming the file; the token never appears', async () => {
    const ntfy = await receiver(ntfyCheck({ token: TOKEN }));
    const tokenFile = join(dir, 'ntfy-token');
    notifier('phone', { type: 'ntfy', url: `${ntfy.url}/lab`, tokenFile });
    resource('StorageKeepalive', 'hdd');
    const d = start({ retry: { baseMs: 100, maxMs: 100 } });
    store.recordEvent('StorageKeepalive', 'hdd', 'Warning', 'DiskWokeUp', 'slow');
    await waitUntil('failing', () => notifierHealth.get('phone')?.state === 'failing');
    expect(notifierHealth.get('phone')!.message).toBe(`spec.tokenFile: secret file ${tokenFile} does not exist`);
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    await d.settled();
    expect(ntfy.messages).toHaveLength(1);
    expect(ntfy.requests.at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.stringify(notifierHealth.get('phone'))).not.toContain(TOKEN);
  });

  it('an edited Notifier starts over: health idle for the new generation, what waits tried at once', async () => {
    const down = await receiver(webhookCheck({}));
    await down.close();
    const up = await receiver(webhookCheck({}));
    notifier('hook', { type: 'webhook', url: down.url });
    resource('StorageKeepalive', 'hdd');
    const d = start({ retry: { baseMs: 60_000, maxMs: 60_000 } });
    store.recordEvent('StorageKeepalive', 'hdd', 'Warning', 'DiskWokeUp', 'slow');
    await waitUntil('failing', () => notifierHealth.get('hook')?.state === 'failing');
    notifier('hook', { type: 'webhook', url: up.url }, 'g2');
    await d.settled();
    expect(up.messages).toHaveLength(1);
    expect(notifierHealth.get('hook')).toMatchObject({ generation: 'g2', state: 'ok' });
  });
});
