/**
 * UnifiedNamespace end to end through the real daemon (manifests on disk, SQLite store, watches), on a sandbox
 * root with real tmpfs disks: what a user checks. The tree appears with its owner and mode; a folder deleted by
 * hand comes back and a chmod is reverted within seconds; a tmpfs mounted over a declared folder makes it
 * Stalled/CrossDevice naming both devices; `describe` shows the copy audit; deleting the resource removes only
 * the empty folders it created.
 */
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Daemon } from '../../controller/runtime/daemon.js';
import type { ResourceView } from '../../controller/status/views.js';
import { splitDeviceNumber } from '../../reconcilers/host/index.js';
import { canMount, integration } from '../support/integration.js';
import { createLab, hostManifest, startLabDaemon, viewOf, type TestLab } from '../support/lab.js';
import { dataTreeManifest } from '../support/manifests.js';
import { sleep, waitUntil } from '../support/wait.js';

const mounts = integration('mount', canMount(), 'tmpfs mounts need root on Linux');
const KEY = 'UnifiedNamespace/data';

let lab: TestLab;
let daemon: Daemon | undefined;

beforeEach(() => {
  lab = createLab();
  lab.writeManifest('hosts/local.yaml', hostManifest('local', lab.root));
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  lab.cleanup();
});

const manifest = dataTreeManifest;

const waitForView = (predicate: (v: ResourceView) => boolean, what: string, timeoutMs = 5000) =>
  waitUntil(`${KEY}: ${what}`, () => {
    const v = daemon && viewOf(daemon, KEY);
    return v && predicate(v) ? v : undefined;
  }, timeoutMs);
const isReady = (v: ResourceView) => v.ready === 'True' && v.observedGeneration === v.generation;
const modeOf = (hostPath: string) => (statSync(lab.real(hostPath)).mode & 0o7777).toString(8);
const device = (hostPath: string) => {
  const { major, minor } = splitDeviceNumber(statSync(lab.real(hostPath)).dev);
  return `${major}:${minor}`;
};

mounts.describe('UnifiedNamespace through the daemon', () => {
  mounts.it('converges the tree, heals a deleted folder and a chmod through watches, and audits copies', async () => {
    lab.mountDisk('/data');
    // A download imported twice: once as a hardlink (free), once as a copy (wastes its size).
    for (const d of ['/data/torrents/movies', '/data/media/movies']) mkdirSync(lab.real(d), { recursive: true });
    writeFileSync(lab.real('/data/torrents/movies/a.mkv'), 'a'.repeat(5000));
    writeFileSync(lab.real('/data/torrents/movies/b.mkv'), 'b'.repeat(7000));
    writeFileSync(lab.real('/data/media/movies/a.mkv'), 'a'.repeat(5000));
    linkSync(lab.real('/data/torrents/movies/b.mkv'), lab.real('/data/media/movies/b.mkv'));
    lab.writeManifest('data.yaml', manifest());
    daemon = await startLabDaemon(lab);
    const ready = await waitForView(isReady, 'Ready');
    expect(modeOf('/data/media/movies')).toBe('2775');
    expect(statSync(lab.real('/data/usenet/complete/tv')).uid).toBe(1000);
    expect(ready.fields).toMatchObject({ root: '/data', folders: 17, hardlinkProbe: { ok: true }, audit: { libraryFiles: 2, downloadFiles: 2, copies: 1, wastedBytes: 5000, examples: ['media/movies/a.mkv'] } });

    // Its own writes (the probe's file, chmods) wake it at most once or twice more: then it stays quiet.
    await sleep(500);
    let runs = 0;
    const off = daemon.controller.onSettled((run) => void (run.key === KEY && runs++));
    await sleep(1500);
    off();
    expect(runs).toBe(0);

    rmdirSync(lab.real('/data/media/tv'));
    await waitUntil('the deleted folder is back', () => existsSync(lab.real('/data/media/tv')), 3000);
    await waitUntil('with its mode', () => modeOf('/data/media/tv') === '2775', 3000);

    chmodSync(lab.real('/data/torrents/tv'), 0o700);
    await waitUntil('the chmod is reverted', () => modeOf('/data/torrents/tv') === '2775', 3000);
    expect(statSync(lab.real('/data/torrents/tv')).uid).toBe(1000);
    await waitForView(isReady, 'Ready again');
  });

  mounts.it('a tmpfs mounted over a declared folder makes it Stalled/CrossDevice, naming both devices; unmounting it recovers', async () => {
    lab.mountDisk('/data');
    lab.mountDisk('/data/media/movies');
    lab.writeManifest('data.yaml', manifest());
    daemon = await startLabDaemon(lab);
    const stalled = await waitForView((v) => v.status === 'CrossDevice', 'Stalled/CrossDevice');
    expect(stalled.ready).toBe('False');
    expect(stalled.conditions.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'CrossDevice' });
    expect(stalled.message).toContain(`media/movies (/data/media/movies) is on device ${device('/data/media/movies')}, not on the root's device ${device('/data')} (/data)`);
    expect(existsSync(lab.real('/data/torrents'))).toBe(false); // nothing created while stalled

    // The human fixes the layout: the watch sees it and the resource recovers, no `homeostat reconcile` needed.
    lab.unmountDisk('/data/media/movies');
    await waitForView(isReady, 'Ready once the stray mount is gone', 10_000);
    expect(existsSync(lab.real('/data/torrents/movies'))).toBe(true);
  });

  mounts.it('deleting the resource removes only the empty folders it created', async () => {
    lab.mountDisk('/data');
    mkdirSync(lab.real('/data/media'));
    writeFileSync(lab.real('/data/media/keep.txt'), 'a person was here');
    lab.writeManifest('data.yaml', manifest('  directories: [backups]\n'));
    daemon = await startLabDaemon(lab);
    await waitForView(isReady, 'Ready');
    writeFileSync(lab.real('/data/torrents/movies/film.mkv'), 'downloaded');

    lab.removeManifest('data.yaml');
    await waitUntil('the resource is gone', () => viewOf(daemon!, KEY) === undefined, 5000);
    expect(readdirSync(lab.real('/data')).sort()).toEqual(['media', 'torrents']);
    expect(readdirSync(lab.real('/data/media'))).toEqual(['keep.txt']);
    expect(readdirSync(lab.real('/data/torrents'))).toEqual(['movies']);
    expect(readdirSync(lab.real('/data/torrents/movies'))).toEqual(['film.mkv']);
  });
});
