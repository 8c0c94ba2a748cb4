/**
 * UnifiedNamespace on real filesystems: tmpfs mounts for the tree, for a cross-device folder inside it and for
 * the outside target of a symlink; a bind mount (same device id, separate mount); real link(2) and EXDEV; real
 * ownership changes as root. Driven like the runtime drives it (observe → plan → apply → observe → plan).
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, rmdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect } from 'vitest';
import { isStalledError, type ReconcileContext } from '../../reconcilers/core/contract.js';
import { unifiedNamespaceReconciler as reconciler } from '../../reconcilers/unified-namespace/index.js';
import { intentItem } from '../../reconcilers/unified-namespace/inventory.js';
import { hardlinkProbe, probeFileName } from '../../reconcilers/unified-namespace/probe.js';
import type { UnifiedNamespaceSpec } from '../../reconcilers/unified-namespace/spec.js';
import { canMount, integration } from '../support/integration.js';
import { MemoryState, reconcileOnce, resourceOf } from '../storage-keepalive/context.js';
import { nsSpec } from './fixtures.js';
import { createSandbox, type Sandbox } from './sandbox.js';

const mounts = integration('mount', canMount(), 'tmpfs and bind mounts, chown to other users need root on Linux');
const NOW = Date.parse('2025-06-01T12:00:00Z');

let box: Sandbox;
let state: MemoryState;
beforeEach(() => {
  box = createSandbox();
  state = new MemoryState();
});
afterEach(async () => {
  await box.cleanup();
});

const resource = (spec: UnifiedNamespaceSpec) => resourceOf('UnifiedNamespace', 'data', spec);
const once = (spec: UnifiedNamespaceSpec) => reconcileOnce(reconciler, state, resource(spec), box.host, NOW);
const ctx = (spec: UnifiedNamespaceSpec): ReconcileContext<UnifiedNamespaceSpec> => state.context(resource(spec), box.host, NOW);
const modeOf = (hostPath: string) => (statSync(box.real(hostPath)).mode & 0o7777).toString(8);
const stalled = async (spec: UnifiedNamespaceSpec) => {
  const err = await once(spec).then(
    () => null,
    (e: unknown) => e,
  );
  if (!isStalledError(err)) throw new Error(`expected Stalled, got ${String(err)}`);
  return err;
};

mounts.describe('UnifiedNamespace on real mounts', () => {
  mounts.it('creates the TRaSH tree with owner and setgid mode, proves hardlinks, and then has nothing to do', async () => {
    box.mountTmpfs('/data');
    const spec = nsSpec({ layout: 'trash', directories: ['backups'] });
    const { plan, after } = await once(spec);
    // The root exists (the mount): chown and chmod it, create the 18 folders below it.
    expect(plan.changes.map((c) => c.action)).toEqual(['chown', 'chmod', ...Array(18).fill('create')]);
    expect(after.changes).toEqual([]);
    for (const rel of ['', 'torrents/movies', 'usenet/incomplete', 'usenet/complete/tv', 'media/books', 'backups']) {
      const st = statSync(box.real(`/data/${rel}`));
      expect([st.uid, st.gid, (st.mode & 0o7777).toString(8)], rel).toEqual([1000, 1000, '2775']);
    }
    expect(existsSync(box.real('/data/usenet/incomplete/movies'))).toBe(false); // TRaSH: incomplete stays flat
    // Only what it created is inventory (not the root, which was there).
    expect(state.inventory.map((i) => i.id)).not.toContain('/data');
    expect(state.inventory).toHaveLength(18);

    // verify gets the observation and the (empty) plan made from it, as the machine hands them over.
    const observed = await reconciler.observe(ctx(spec));
    const confirming = reconciler.plan(spec, observed, { name: 'data', now: NOW, inventory: [...state.inventory], memo: state.memo });
    expect(confirming.changes).toEqual([]);
    await reconciler.verify!(observed, confirming, ctx(spec));
    expect(state.status.hardlinkProbe).toMatchObject({ ok: true, folders: 18 });
    expect(readdirSync(box.real('/data'))).not.toContain(probeFileName('data')); // the probe cleaned up
  });

  mounts.it('heals a chmod, a chown and a deleted folder', async () => {
    box.mountTmpfs('/data');
    const spec = nsSpec({ layout: 'trash' });
    await once(spec);
    chmodSync(box.real('/data/media/movies'), 0o700);
    chownSync(box.real('/data/torrents'), 0, 0);
    rmdirSync(box.real('/data/usenet/complete/tv'));
    const { plan, after } = await once(spec);
    expect(plan.changes.map((c) => `${c.action} ${c.target}`).sort()).toEqual(
      ['chmod pve:/data/media/movies', 'chown pve:/data/torrents', 'create pve:/data/usenet/complete/tv'].sort(),
    );
    expect(after.changes).toEqual([]);
    expect(modeOf('/data/media/movies')).toBe('2775');
    expect(statSync(box.real('/data/torrents')).uid).toBe(1000);
  });

  mounts.it('never follows a symlink: a link within the root is traversed but never changed (lchown); the guard refuses a swapped-in link', async () => {
    box.mountTmpfs('/data');
    mkdirSync(box.real('/data/library'));
    symlinkSync('library', box.real('/data/media')); // relative: resolves inside the sandbox
    const spec = nsSpec({ directories: ['media/movies', 'library'] });
    const { after } = await once(spec);
    expect(after.changes).toEqual([]);
    expect(lstatSync(box.real('/data/media')).isSymbolicLink()).toBe(true);
    expect(lstatSync(box.real('/data/media')).uid).toBe(0); // the link itself untouched
    expect(statSync(box.real('/data/library/movies')).uid).toBe(1000); // created through it, inside the root

    mkdirSync(box.real('/outside-target'), { mode: 0o755 });
    symlinkSync('../outside-target', box.real('/data/swapped'));
    const outside = statSync(box.real('/outside-target'));
    const check = { within: '/data', expect: { dev: outside.dev, ino: outside.ino } };
    await expect(box.host.chmodChecked('/data/swapped', 0o2777, check)).rejects.toThrow(/now a symlink/);
    await expect(box.host.chownChecked('/data/swapped', 1000, 1000, check)).rejects.toThrow(/now a symlink/);
    expect([statSync(box.real('/outside-target')).mode & 0o7777, statSync(box.real('/outside-target')).uid]).toEqual([0o755, 0]);
  });

  mounts.it('a tmpfs mounted at a declared folder is Stalled/CrossDevice, naming the folder and both devices; nothing is created', async () => {
    box.mountTmpfs('/data');
    box.mountTmpfs('/data/media/movies');
    const spec = nsSpec({ layout: 'trash' });
    const err = await stalled(spec);
    expect(err.reason).toBe('CrossDevice');
    expect(err.message).toContain(`media/movies (/data/media/movies) is on device ${box.device('/data/media/movies')}, not on the root's device ${box.device('/data')} (/data)`);
    expect(box.device('/data/media/movies')).not.toBe(box.device('/data'));
    expect(existsSync(box.real('/data/torrents'))).toBe(false);
  });

  mounts.it('a symlink to another filesystem is CrossDevice; one leaving the root on the same one is SymlinkOutsideRoot; neither is traversed', async () => {
    box.mountTmpfs('/data');
    box.mountTmpfs('/outside');
    mkdirSync(box.real('/outside/torrents'));
    symlinkSync('../outside/torrents', box.real('/data/torrents'));
    const spec = nsSpec({ layout: 'trash' });
    const err = await stalled(spec);
    expect(err.reason).toBe('CrossDevice');
    expect(err.message).toContain(`torrents (/data/torrents) is a symlink to /outside/torrents on device ${box.device('/outside')}, not on the root's device ${box.device('/data')}`);
    expect(readdirSync(box.real('/outside/torrents'))).toEqual([]); // torrents/movies etc. never created through it

    const sameFs = nsSpec({ directories: ['torrents/movies'], requireSameFilesystem: false });
    expect((await stalled(sameFs)).reason).toBe('SymlinkOutsideRoot');
    expect(readdirSync(box.real('/outside/torrents'))).toEqual([]);
  });

  mounts.it('a bind mount inside the tree (same device id) is CrossDevice, and link(2) really fails with EXDEV: the probe says so', async () => {
    box.mountTmpfs('/data');
    const spec = nsSpec({ directories: ['media', 'torrents'] });
    await once(spec);
    mkdirSync(box.real('/data/elsewhere'));
    box.bind('/data/elsewhere', '/data/torrents');
    expect(box.device('/data/torrents')).toBe(box.device('/data'));
    const err = await stalled(spec);
    expect(err.message).toContain('torrents (/data/torrents) is a separate mount (device');

    const observed = await reconciler.observe(ctx({ ...spec, requireSameFilesystem: false }));
    const failures = await hardlinkProbe(box.host, observed.folders, 'data');
    expect(failures.map((f) => [f.folder.rel, f.code])).toEqual([['torrents', 'EXDEV']]);
    expect(failures[0]!.message).toContain(`(device ${box.device('/data')}) into torrents (/data/torrents) (device ${box.device('/data')}) failed with EXDEV`);
    expect(readdirSync(box.real('/data'))).not.toContain(probeFileName('data'));
    expect(readdirSync(box.real('/data/media'))).toEqual([]);
  });

  mounts.it('a mount appearing below the declared folders is reported (Degraded/MountInsideTree)', async () => {
    box.mountTmpfs('/data');
    const spec = nsSpec({ directories: ['media'] });
    await once(spec);
    box.mountTmpfs('/data/media/usb');
    const { plan } = await once(spec);
    expect(plan.changes).toEqual([]);
    expect(plan.degraded).toMatchObject({ reason: 'MountInsideTree', message: expect.stringContaining(`/data/media/usb (tmpfs homeostat-un-test, device ${box.device('/data/media/usb')})`) });
  });

  mounts.it('creates a missing root inside an existing folder, and waits while its parent is missing', async () => {
    box.mountTmpfs('/mnt');
    const waiting = await once(nsSpec({ root: '/mnt/pool/data' }));
    expect(waiting.plan.degraded?.reason).toBe('RootParentMissing');
    expect(existsSync(box.real('/mnt/pool'))).toBe(false);
    mkdirSync(box.real('/mnt/pool'));
    await once(nsSpec({ root: '/mnt/pool/data', directories: ['x'] }));
    expect(state.inventory.map((i) => i.id)).toEqual(['/mnt/pool/data', '/mnt/pool/data/x']);
  });

  mounts.it('delete removes only the empty folders it created, deepest first; content and a person\'s folders stay', async () => {
    box.mountTmpfs('/data');
    mkdirSync(box.real('/data/media'), { recursive: true }); // a person's folder, there before
    const spec = nsSpec({ layout: 'trash' });
    await once(spec);
    writeFileSync(box.real('/data/torrents/movies/film.mkv'), 'bytes');
    await reconciler.finalize(ctx(spec));
    expect(readdirSync(box.real('/data')).sort()).toEqual(['media', 'torrents']);
    expect(readdirSync(box.real('/data/torrents'))).toEqual(['movies']);
    expect(readdirSync(box.real('/data/media'))).toEqual([]); // its created children are gone, the person's folder stays
    expect(state.inventory).toEqual([]);
    expect(state.events.map((e) => e.reason)).toEqual(['FolderKept', 'FolderKept']);
  });

  mounts.it('folders dropped from the spec are removed when empty and forgotten when not', async () => {
    box.mountTmpfs('/data');
    await once(nsSpec({ directories: ['old/sub', 'kept', 'stay'] }));
    writeFileSync(box.real('/data/kept/note.txt'), 'mine');
    const { plan, after } = await once(nsSpec({ directories: ['stay'] }));
    expect(plan.changes.map((c) => `${c.action} ${c.target}`)).toEqual(['delete pve:/data/old/sub', 'release pve:/data/kept', 'delete pve:/data/old']);
    expect(after.changes).toEqual([]);
    expect(readdirSync(box.real('/data')).sort()).toEqual(['kept', 'stay']);
    expect(state.inventory.map((i) => i.id)).toEqual(['/data/stay']);
  });

  mounts.it('intents a crash left: a folder made is recorded with its real inode, one never made is forgotten and made again', async () => {
    box.mountTmpfs('/data');
    const spec = nsSpec({ directories: ['made', 'never'] });
    // What a run killed right after its mkdir of made/ leaves (intent recorded, folder 0700 root:root), and one
    // killed before its mkdir of never/.
    state.inventory.push(intentItem('pve', '/data/made'), intentItem('pve', '/data/never'));
    mkdirSync(box.real('/data/made'), { mode: 0o700 });
    const made = statSync(box.real('/data/made'));
    const { plan, after } = await once(spec);
    expect(plan.changes.map((c) => `${c.action} ${c.target}`)).toEqual([
      'complete-record pve:/data/made',
      'release pve:/data/never',
      'chown pve:/data',
      'chmod pve:/data',
      'chown pve:/data/made',
      'chmod pve:/data/made',
      'create pve:/data/never',
    ]);
    expect(after.changes).toEqual([]);
    const never = statSync(box.real('/data/never'));
    expect(state.inventory).toEqual([
      { type: 'directory', host: 'pve', id: '/data/made', detail: { dev: made.dev, ino: made.ino } },
      { type: 'directory', host: 'pve', id: '/data/never', detail: { dev: never.dev, ino: never.ino } },
    ]);
    expect(modeOf('/data/made')).toBe('2775');
  });

  mounts.it('delete removes an intent\'s folder only while it is a real, empty folder inside the tree', async () => {
    box.mountTmpfs('/data');
    const spec = nsSpec({ directories: ['empty', 'full', 'link', 'gone'] });
    for (const rel of ['empty', 'full']) mkdirSync(box.real(`/data/${rel}`));
    writeFileSync(box.real('/data/full/note.txt'), 'a person\'s');
    mkdirSync(box.real('/elsewhere'));
    symlinkSync('../elsewhere', box.real('/data/link')); // swapped in after a crash: never followed
    state.inventory.push(...['empty', 'full', 'link', 'gone'].map((rel) => intentItem('pve', `/data/${rel}`)));
    await reconciler.finalize(ctx(spec));
    expect(readdirSync(box.real('/data')).sort()).toEqual(['full', 'link']);
    expect(readdirSync(box.real('/data/full'))).toEqual(['note.txt']);
    expect(existsSync(box.real('/elsewhere'))).toBe(true);
    expect(state.inventory).toEqual([]);
    expect(state.events.map((e) => e.reason)).toEqual(['FolderKept']);
  });
});
