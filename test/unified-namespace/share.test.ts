/**
 * Sharing the tree into real LXC containers: on Proxmox through the `pct` stand-in (an `mpN` line at the first
 * free index of the main section, applied by a real container start) and on plain LXC (`lxc.mount.entry`; a
 * running container gets `RestartNeeded`, asked with `-P` in the host's own lxcpath).
 * What a user checks: a file hardlinked inside the container's /data is the same inode on the host; a container
 * with a second mount into the tree is flagged SplitMounts, and there the kernel really refuses the hardlink
 * (EXDEV); deleting the resource gives the config its original bytes back.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { LocalHost, type Host } from '../../reconcilers/host/index.js';
import { unifiedNamespaceReconciler as reconciler } from '../../reconcilers/unified-namespace/index.js';
import type { UnifiedNamespaceSpec } from '../../reconcilers/unified-namespace/spec.js';
import { integration } from '../support/integration.js';
import { createTestContainer, destroyAllTestContainers, linkPctContainer, lxcAvailable, minimalPveConfig, runPct, usePctStandin, type TestContainer } from '../support/lxc.js';
import { MemoryState, reconcileOnce, resourceOf } from '../storage-keepalive/context.js';
import { nsSpec } from './fixtures.js';
import { createSandbox, type Sandbox } from './sandbox.js';

const lxc = integration('lxc', lxcAvailable(), 'needs root, lxc-create/lxc-start/lxc-attach and the busybox template');
const NOW = Date.parse('2025-06-01T12:00:00Z');
/** Inside the container: a download, then its import as a hardlink (constant script, paths as arguments). */
const IMPORT = 'echo movie > "$1" && ln "$1" "$2"';

let box: Sandbox;
let state: MemoryState;
let restorePct: (() => void) | undefined;
const containers: TestContainer[] = [];

beforeEach(() => {
  box = createSandbox();
  state = new MemoryState();
});
afterEach(async () => {
  restorePct?.();
  restorePct = undefined;
  for (const ct of containers.splice(0)) await ct.destroy();
  await box.cleanup();
});
afterAll(async () => {
  await destroyAllTestContainers();
});

const resource = (spec: UnifiedNamespaceSpec) => resourceOf('UnifiedNamespace', 'data', spec);
const once = (spec: UnifiedNamespaceSpec, host: Host) => reconcileOnce(reconciler, state, resource(spec), host, NOW);
const inode = (path: string) => {
  const st = statSync(path);
  return { ino: st.ino, nlink: st.nlink };
};

async function container(): Promise<TestContainer> {
  const ct = await createTestContainer();
  containers.push(ct);
  return ct;
}

lxc.describe('shareInto on real LXC', () => {
  lxc.it('Proxmox (pct stand-in): mpN at the first free index; a hardlink made inside is one inode on the host; delete restores the bytes', async () => {
    box.mountTmpfs('/data');
    mkdirSync(box.real('/srv/other'), { recursive: true });
    const original = `${minimalPveConfig(100)}mp0: /srv/other,mp=/srv\n\n[before-upgrade]\nmp1: /old,mp=/old\nsnaptime: 1717171717\n`;
    const ct = await container();
    const confPath = linkPctContainer(box.dir, 100, ct, original);
    restorePct = usePctStandin(box.dir);

    const spec = nsSpec({ layout: 'trash', shareInto: [{ container: '100' }] });
    const { plan, after } = await once(spec, box.host);
    expect(after.changes).toEqual([]);
    expect(plan.degraded).toBeUndefined();
    // mp1 is free in the main section (a snapshot's mp1 is another configuration); the snapshot is untouched.
    expect(readFileSync(confPath, 'utf8')).toBe(original.replace('mp0: /srv/other,mp=/srv\n', 'mp0: /srv/other,mp=/srv\nmp1: /data,mp=/data\n'));
    expect(state.inventory.filter((i) => i.type === 'config-line').map((i) => i.id)).toEqual(['/etc/pve/lxc/100.conf#mp1: /data,mp=/data']);

    expect((await runPct(box.dir, ['start', '100'])).code).toBe(0);
    const made = await runPct(box.dir, ['exec', '100', '--', 'sh', '-c', IMPORT, 'sh', '/data/torrents/movies/f.mkv', '/data/media/movies/f.mkv']);
    expect(made).toMatchObject({ code: 0 });
    const download = inode(box.real('/data/torrents/movies/f.mkv'));
    expect(inode(box.real('/data/media/movies/f.mkv'))).toEqual(download);
    expect(download.nlink).toBe(2);
    expect(statSync(box.real('/data/media/movies/f.mkv')).uid).toBe(0); // privileged test container: root is root

    await reconciler.finalize(state.context(resource(spec), box.host, NOW));
    expect(readFileSync(confPath, 'utf8')).toBe(original);
    expect(state.inventory.filter((i) => i.type === 'config-line')).toEqual([]);
  }, 90_000);

  lxc.it('Proxmox: a second mount into the tree is SplitMounts, and inside the container the hardlink really fails (EXDEV)', async () => {
    box.mountTmpfs('/data');
    mkdirSync(box.real('/data/media/movies'), { recursive: true });
    const original = `${minimalPveConfig(100)}mp0: /data/media,mp=/media\n`;
    const ct = await container();
    const confPath = linkPctContainer(box.dir, 100, ct, original);
    restorePct = usePctStandin(box.dir);

    const { plan } = await once(nsSpec({ layout: 'trash', shareInto: [{ container: '100' }] }), box.host);
    expect(plan.degraded).toMatchObject({ reason: 'SplitMounts', message: expect.stringContaining('container 100 has 2 mounts into /data') });
    expect(readFileSync(confPath, 'utf8')).toBe(`${original}mp1: /data,mp=/data\n`); // the person's mp0 stays

    expect((await runPct(box.dir, ['start', '100'])).code).toBe(0);
    const split = await runPct(box.dir, ['exec', '100', '--', 'sh', '-c', IMPORT, 'sh', '/data/torrents/movies/g.mkv', '/media/movies/g.mkv']);
    expect(split.code).not.toBe(0);
    expect(split.stderr).toMatch(/cross-device/i);
    const whole = await runPct(box.dir, ['exec', '100', '--', 'sh', '-c', IMPORT, 'sh', '/data/torrents/movies/h.mkv', '/data/media/movies/h.mkv']);
    expect(whole.code).toBe(0);
  }, 90_000);

  lxc.it('plain LXC: an lxc.mount.entry of the whole root; a hardlink made inside is one inode on the host', async () => {
    box.mountTmpfs('/data');
    const ct = await container();
    const original = readFileSync(ct.configPath, 'utf8');
    const host = new LocalHost({ name: 'pve', platform: 'lxc' }); // the machine itself: the real /var/lib/lxc
    try {
      const root = box.real('/data');
      const spec = nsSpec({ root, layout: 'trash', owner: undefined, shareInto: [{ container: ct.name, path: '/data' }] });
      const { after } = await once(spec, host);
      expect(after.changes).toEqual([]);
      expect(readFileSync(ct.configPath, 'utf8')).toBe(`${original}lxc.mount.entry = ${root} data none bind,create=dir 0 0\n`);

      await ct.start();
      expect(await ct.attach(['sh', '-c', IMPORT, 'sh', '/data/usenet/complete/tv/e1.mkv', '/data/media/tv/e1.mkv'])).toMatchObject({ code: 0 });
      expect(inode(box.real('/data/media/tv/e1.mkv'))).toEqual({ ino: statSync(box.real('/data/usenet/complete/tv/e1.mkv')).ino, nlink: 2 });
      await ct.stop();

      await reconciler.finalize(state.context(resource(spec), host, NOW));
      expect(readFileSync(ct.configPath, 'utf8')).toBe(original);
    } finally {
      await host.close();
    }
  }, 90_000);

  lxc.it('a running container is told it needs a restart (RestartNeeded), asked in the lxcpath of the host, never another one', async () => {
    box.mountTmpfs('/data');
    const ct = await container();
    await ct.start();
    const original = readFileSync(ct.configPath, 'utf8');
    // A sandboxed host with a container of the same name in its own lxcpath (<root>/var/lib/lxc): not running.
    mkdirSync(box.real(`/var/lib/lxc/${ct.name}`), { recursive: true });
    writeFileSync(box.real(`/var/lib/lxc/${ct.name}/config`), 'lxc.uts.name = sandboxed\n');
    const sandboxed = new LocalHost({ name: 'pve', root: box.dir, platform: 'lxc' });
    const machine = new LocalHost({ name: 'pve', platform: 'lxc' }); // the real /var/lib/lxc, where ct runs
    try {
      const inSandbox = nsSpec({ layout: 'none', owner: undefined, shareInto: [{ container: ct.name }] });
      await once(inSandbox, sandboxed);
      expect(readFileSync(box.real(`/var/lib/lxc/${ct.name}/config`), 'utf8')).toContain('lxc.mount.entry = /data data');
      expect(state.events.map((e) => e.reason)).toEqual(['ConfigEdited']);
      await reconciler.finalize(state.context(resource(inSandbox), sandboxed, NOW));
      expect(readFileSync(box.real(`/var/lib/lxc/${ct.name}/config`), 'utf8')).toBe('lxc.uts.name = sandboxed\n');
      expect(readFileSync(ct.configPath, 'utf8')).toBe(original); // the machine's container was never touched

      state = new MemoryState();
      const onMachine = nsSpec({ root: box.real('/data'), layout: 'none', owner: undefined, shareInto: [{ container: ct.name }] });
      await once(onMachine, machine);
      expect(state.events).toEqual([
        expect.objectContaining({ reason: 'ConfigEdited' }),
        { type: 'Normal', reason: 'RestartNeeded', message: `container ${ct.name} is running: it gets ${box.real('/data')} at its next start (lxc-stop + lxc-start -n ${ct.name})` },
      ]);
      await ct.stop();
      await reconciler.finalize(state.context(resource(onMachine), machine, NOW));
      expect(readFileSync(ct.configPath, 'utf8')).toBe(original);
    } finally {
      await sandboxed.close();
      await machine.close();
    }
  }, 90_000);
});
