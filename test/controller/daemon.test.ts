/**
 * The controller end to end, in-process, on real files: manifests on disk watched by chokidar, a local Host
 * confined to a sandbox root, real tmpfs "disks", the SQLite store, HTTP on loopback. What a user would check:
 * files appear, heal, and disappear; broken manifests change nothing; the mass-deletion guard holds.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect } from 'vitest';
import { readApiToken } from '../../controller/http/index.js';
import type { Daemon } from '../../controller/runtime/daemon.js';
import { StateLockError } from '../../controller/state/lock.js';
import type { ResourceView } from '../../controller/status/views.js';
import { canMount, integration } from '../support/integration.js';
import { createLab, hostManifest, keepaliveManifest, startLabDaemon, viewOf, type TestLab } from '../support/lab.js';
import { sleep, waitUntil } from '../support/wait.js';

const mounts = integration('mount', canMount(), 'tmpfs mounts need root on Linux');

let lab: TestLab;
let daemon: Daemon | undefined;

async function start(): Promise<Daemon> {
  daemon = await startLabDaemon(lab);
  return daemon;
}

function view(key: string): ResourceView | undefined {
  return viewOf(daemon!, key);
}

async function waitForView(key: string, predicate: (v: ResourceView) => boolean, what: string, timeoutMs = 4000): Promise<ResourceView> {
  return waitUntil(`${key}: ${what}`, () => {
    const v = view(key);
    return v && predicate(v) ? v : undefined;
  }, timeoutMs);
}

/** The API token the daemon keeps in its state directory, as the CLI sends it. */
const bearer = () => ({ authorization: `Bearer ${readApiToken(lab.state)}` });
const isReady = (v: ResourceView) => v.ready === 'True' && v.observedGeneration === v.generation;
const cronFile = (name: string) => lab.real(`/etc/cron.d/homeostat-${name}`);

beforeEach(() => {
  lab = createLab({ git: true });
  lab.writeManifest('hosts/local.yaml', hostManifest('local', lab.root));
});

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  lab.cleanup();
});

mounts.describe('controller on real files and tmpfs disks', () => {
  mounts.it('converges an added manifest, follows an edit, prunes exactly the inventory on delete', async () => {
    lab.mountDisk('/mnt/hdd');
    writeFileSync(lab.real('/etc/cron.d/backup'), '0 3 * * * root /usr/local/bin/backup\n');
    await start();
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', interval: '5m' }));
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready');
    expect(readFileSync(cronFile('hdd'), 'utf8')).toContain('*/5 * * * * root mountpoint -q');

    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', interval: '10m' }));
    await waitUntil('the cron file follows the edit', () => readFileSync(cronFile('hdd'), 'utf8').includes('*/10 * * * *'));
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready at the new generation');

    lab.removeManifest('hdd.yaml');
    await waitUntil('the cron file is pruned', () => !existsSync(cronFile('hdd')));
    await waitUntil('the resource leaves the store', () => view('StorageKeepalive/hdd') === undefined);
    expect(readFileSync(lab.real('/etc/cron.d/backup'), 'utf8')).toBe('0 3 * * * root /usr/local/bin/backup\n');
  });

  mounts.it('writes heartbeats onto the mounted disk; an unmount is reported through the watch, a remount recovers', async () => {
    lab.mountDisk('/mnt/hdd');
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', interval: '1h' }));
    await start();
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready');
    expect(readFileSync(lab.real('/mnt/hdd/.homeostat-keepalive'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT/);

    lab.unmountDisk('/mnt/hdd');
    const degraded = await waitForView('StorageKeepalive/hdd', (v) => v.status === 'NotMounted', 'Degraded NotMounted', 3000);
    expect(degraded.ready).toBe('False');
    expect(degraded.conditions.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'NotMounted' });
    await sleep(300);
    expect(readdirSync(lab.real('/mnt/hdd'))).toEqual([]); // nothing written onto the root filesystem

    lab.mountDisk('/mnt/hdd');
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready again after the remount', 10_000);
    expect(existsSync(lab.real('/mnt/hdd/.homeostat-keepalive'))).toBe(true);
  });

  mounts.it('heals a cron file deleted or edited by hand within seconds', async () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    lab.mountDisk('/mnt/hdd');
    await start();
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready');
    const wanted = readFileSync(cronFile('hdd'), 'utf8');

    const t0 = Date.now();
    writeFileSync(cronFile('hdd'), '# a human was here\n');
    await waitUntil('the edited cron file is healed', () => readFileSync(cronFile('hdd'), 'utf8') === wanted, 3000);
    const rmAt = Date.now();
    lab.real('/etc/cron.d'); // same folder
    (await import('node:fs')).rmSync(cronFile('hdd'));
    await waitUntil('the deleted cron file is back', () => existsSync(cronFile('hdd')) && readFileSync(cronFile('hdd'), 'utf8') === wanted, 3000);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(Date.now() - rmAt).toBeLessThan(3000);
  });

  mounts.it('a broken file keeps its last good documents in force and never prunes', async () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    await start();
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready');

    lab.writeManifest('hdd.yaml', 'apiVersion: homeostat.dev/v1alpha1\nkind: StorageKeepalive\nmetadata: { name: hdd }\nspec: { path: [\n');
    await waitUntil('the manifest error is reported', () =>
      daemon!.store.listControllerConditions().find((c) => c.type === 'ManifestsValid' && c.status === 'False'),
    );
    const condition = daemon!.store.listControllerConditions().find((c) => c.type === 'ManifestsValid')!;
    expect(condition.message).toMatch(/^hdd\.yaml:\d+:\d+/);
    await sleep(300);
    expect(existsSync(cronFile('hdd'))).toBe(true);
    expect(view('StorageKeepalive/hdd')?.ready).toBe('True');

    // A schema error names the resource: `describe` shows why the edit does not apply, the old spec stays in force.
    const before = readFileSync(cronFile('hdd'), 'utf8');
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false, interval: 'often' }));
    const event = await waitUntil('an InvalidManifest event on the resource', () =>
      daemon!.store.listEvents('StorageKeepalive', 'hdd').find((e) => e.reason === 'InvalidManifest'),
    );
    expect(event.message).toMatch(/^hdd\.yaml:\d+:\d+ StorageKeepalive\/hdd: spec\.interval: /);
    expect(readFileSync(cronFile('hdd'), 'utf8')).toBe(before);

    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false, interval: '15m' }));
    await waitUntil('the fixed file takes effect', () => readFileSync(cronFile('hdd'), 'utf8').includes('*/15 * * * *'));
  });

  mounts.it('holds a mass deletion until the files return, and prunes on confirm', async () => {
    const names = ['a', 'b', 'c', 'd'];
    for (const n of names) lab.writeManifest(`${n}.yaml`, keepaliveManifest(n, { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    const d = await start();
    for (const n of names) await waitForView(`StorageKeepalive/${n}`, isReady, 'Ready');

    for (const n of names) lab.removeManifest(`${n}.yaml`);
    await waitUntil('PruneHeld is raised', () =>
      d.store.listControllerConditions().find((c) => c.type === 'PruneHeld' && c.status === 'True'),
    );
    await sleep(300);
    for (const n of names) expect(existsSync(cronFile(n))).toBe(true);

    for (const n of names) lab.writeManifest(`${n}.yaml`, keepaliveManifest(n, { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    await waitUntil('PruneHeld clears when the files return', () =>
      d.store.listControllerConditions().find((c) => c.type === 'PruneHeld' && c.status === 'False'),
    );

    for (const n of names) lab.removeManifest(`${n}.yaml`);
    await waitUntil('PruneHeld again', () => d.store.listControllerConditions().find((c) => c.type === 'PruneHeld' && c.status === 'True'));
    const res = await fetch(`${d.http.url}/api/v1/prune/confirm`, { method: 'POST', headers: bearer() });
    expect(((await res.json()) as { pruned: string[] }).pruned.sort()).toEqual(names.map((n) => `StorageKeepalive/${n}`));
    for (const n of names) await waitUntil(`${n} pruned`, () => !existsSync(cronFile(n)));
  });

  mounts.it('counts deletions in a series: 2 files, then a file emptied of its 3 documents, of 8 — the second step is held', async () => {
    const spec = { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false } as const;
    const singles = ['a', 'b', 'c', 'd', 'e'];
    const trio = ['f', 'g', 'h'];
    for (const n of singles) lab.writeManifest(`${n}.yaml`, keepaliveManifest(n, spec));
    lab.writeManifest('trio.yaml', trio.map((n) => keepaliveManifest(n, spec)).join('---\n'));
    const d = await start();
    for (const n of [...singles, ...trio]) await waitForView(`StorageKeepalive/${n}`, isReady, 'Ready');
    const heldCondition = () => d.store.listControllerConditions().find((c) => c.type === 'PruneHeld' && c.status === 'True');

    for (const n of ['a', 'b']) lab.removeManifest(`${n}.yaml`);
    for (const n of ['a', 'b']) await waitUntil(`${n} pruned`, () => !existsSync(cronFile(n)) && view(`StorageKeepalive/${n}`) === undefined);
    expect(heldCondition()).toBeUndefined();
    // Zero documents: its three resources are deleted. 3 of the 6 left is not more than half, but 5 of the 8 the
    // series started from is.
    lab.writeManifest('trio.yaml', '');
    const held = await waitUntil('PruneHeld is raised', heldCondition);
    expect(held.message).toContain('StorageKeepalive/f, StorageKeepalive/g, StorageKeepalive/h');
    await sleep(300);
    for (const n of [...trio, 'c', 'd', 'e']) expect(existsSync(cronFile(n))).toBe(true);

    const res = await fetch(`${d.http.url}/api/v1/prune/confirm`, { method: 'POST', headers: bearer() });
    expect(((await res.json()) as { pruned: string[] }).pruned.sort()).toEqual(trio.map((n) => `StorageKeepalive/${n}`));
    for (const n of trio) await waitUntil(`${n} pruned`, () => !existsSync(cronFile(n)));
    for (const n of ['c', 'd', 'e']) expect(existsSync(cronFile(n))).toBe(true);
  });

  mounts.it('suspend pauses healing; prune: disabled leaves what the resource created', async () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    await start();
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready');

    lab.writeManifest(
      'hdd.yaml',
      keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }, { 'homeostat.dev/suspend': 'true' }),
    );
    await waitForView('StorageKeepalive/hdd', (v) => v.status === 'Suspended', 'Suspended');
    (await import('node:fs')).rmSync(cronFile('hdd'));
    await sleep(500);
    expect(existsSync(cronFile('hdd'))).toBe(false);

    lab.writeManifest(
      'hdd.yaml',
      keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }, { 'homeostat.dev/prune': 'disabled' }),
    );
    await waitUntil('resumed and healed', () => existsSync(cronFile('hdd')));
    lab.removeManifest('hdd.yaml');
    await waitUntil('the resource leaves the store', () => view('StorageKeepalive/hdd') === undefined);
    expect(existsSync(cronFile('hdd'))).toBe(true);
  });

  mounts.it('records the git revision, serves health and metrics on loopback, and refuses a second controller', async () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    lab.git('add', '-A');
    lab.git('commit', '-qm', 'lab');
    const head = lab.git('rev-parse', 'HEAD').trim();
    const d = await start();
    const ready = await waitForView('StorageKeepalive/hdd', isReady, 'Ready');
    expect(ready.lastAppliedRevision).toEqual({ commit: head, dirty: false });
    expect(d.http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${d.http.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${d.http.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${d.http.url}/metrics`)).text();
    expect(metrics).toMatch(/homeostat_reconcile_total\{kind="StorageKeepalive",result="converged"\} \d+/);
    expect(metrics).toContain('homeostat_resources_ready{kind="StorageKeepalive",status="True"} 1');
    // The process's memory, read at the scrape: RSS is this process's, and the live heap is part of what V8 holds.
    const memory = (area: string) => Number(metrics.match(new RegExp(`homeostat_process_memory_bytes\\{area="${area}"\\} (\\d+)`))?.[1]);
    expect(memory('rss')).toBeGreaterThan(10e6);
    expect(memory('heapUsed')).toBeGreaterThan(0);
    expect(memory('heapUsed')).toBeLessThanOrEqual(memory('heapTotal'));
    // The heap by space: the old space holds most of what lives, and no space uses more than it has.
    const space = (name: string, measure: string) =>
      Number(metrics.match(new RegExp(`homeostat_process_heap_space_bytes\\{space="${name}",measure="${measure}"\\} (\\d+)`))?.[1]);
    expect(space('old_space', 'used')).toBeGreaterThan(1e6);
    expect(space('old_space', 'used')).toBeLessThanOrEqual(space('old_space', 'size'));
    expect(space('new_space', 'size')).toBeGreaterThan(0);
    const api = (await (await fetch(`${d.http.url}/api/v1/resources`)).json()) as { items: ResourceView[] };
    expect(api.items.map((i) => `${i.kind}/${i.name}`)).toContain('StorageKeepalive/hdd');
    expect((await fetch(`${d.http.url}/api/v1/reconcile/StorageKeepalive/hdd`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${d.http.url}/api/v1/reconcile/StorageKeepalive/hdd`, { method: 'POST', headers: bearer() })).status).toBe(202);
    expect((await fetch(`${d.http.url}/api/v1/reconcile/StorageKeepalive/nope`, { method: 'POST', headers: bearer() })).status).toBe(404);

    await expect(startLabDaemon(lab)).rejects.toThrow(StateLockError);
  });

  mounts.it('reports a resource on an unknown host as Stalled, and recovers when the Host appears', async () => {
    lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { host: 'nas', path: '/mnt/hdd', mode: 'cron', requireMountpoint: false }));
    await start();
    const stalled = await waitForView('StorageKeepalive/hdd', (v) => v.status === 'HostNotFound', 'Stalled HostNotFound');
    expect(stalled.conditions.find((c) => c.type === 'Stalled')?.status).toBe('True');
    lab.writeManifest('hosts/nas.yaml', hostManifest('nas', lab.root));
    await waitForView('StorageKeepalive/hdd', isReady, 'Ready once the Host exists');
  });
});
