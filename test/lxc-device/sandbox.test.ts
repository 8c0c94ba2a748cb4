/**
 * LxcDevice on a Proxmox host confined to a sandbox root, with real device nodes made by mknod inside it (this
 * machine has no /dev/dri) and the `pct` stand-in answering `pct status`: the exact lines land in the main
 * section of /etc/pve/lxc/<vmid>.conf under pct's lock, with the numbers the nodes really carry; bad input is
 * a clear error and leaves the file byte for byte; deleting the resource removes exactly its lines.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { startDaemon } from '../../controller/runtime/daemon.js';
import { diffOnce } from '../../controller/runtime/oneshot.js';
import { listResourceViews } from '../../controller/status/views.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { LocalHost } from '../../reconcilers/host/index.js';
import { allReconcilers } from '../../reconcilers/index.js';
import { integration } from '../support/integration.js';
import { waitUntil } from '../support/wait.js';
import { pctEnv } from '../support/lxc.js';
import { MemoryState } from '../storage-keepalive/context.js';
import { finalizeOnce, lxcDevice, runOnce } from './run.js';

const sandbox = integration('mknod', process.getuid?.() === 0, 'making device nodes with mknod needs root');

let root: string;
let host: LocalHost;
let savedEnv: { PATH?: string; PCT_STANDIN_ROOT?: string };
const real = (p: string) => join(root, p);
const CONF = '/etc/pve/lxc/100.conf';

const ORIGINAL = [
  '#Media stack%3A Jellyfin',
  'arch: amd64',
  'cores: 4',
  'hostname: media',
  'memory: 4096',
  'mp0: /mnt/hdd/data,mp=/data',
  'net0: name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:5A:3C:9E,ip=192.168.1.50/24,type=veth',
  'ostype: debian',
  'rootfs: local-lvm:vm-100-disk-0,size=16G',
  'unprivileged: 1',
  'lxc.idmap: u 0 100000 65536',
  '',
  '[pve:pending]',
  'memory: 8192',
  '',
  '[before-upgrade]',
  'arch: amd64',
  'cores: 4',
  'snaptime: 1717171717',
  '',
].join('\n');

function mknod(path: string, type: 'c' | 'b', major: number, minor: number): void {
  mkdirSync(dirname(real(path)), { recursive: true });
  execFileSync('mknod', [real(path), type, String(major), String(minor)]);
}

function writeConf(text: string, path = CONF): void {
  mkdirSync(dirname(real(path)), { recursive: true });
  writeFileSync(real(path), text);
  chmodSync(real(path), 0o640);
}
const readConf = (path = CONF) => readFileSync(real(path), 'utf8');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-lxcdev-'));
  host = new LocalHost({ root, platform: 'proxmox' });
  savedEnv = { PATH: process.env.PATH, PCT_STANDIN_ROOT: process.env.PCT_STANDIN_ROOT };
  const env = pctEnv(root);
  process.env.PATH = env.PATH;
  process.env.PCT_STANDIN_ROOT = env.PCT_STANDIN_ROOT;
  mknod('/dev/dri/card0', 'c', 226, 0);
  mknod('/dev/dri/renderD128', 'c', 226, 128);
  mknod('/dev/net/tun', 'c', 10, 200);
  mkdirSync(real('/dev/dri/by-path'), { recursive: true });
  writeConf(ORIGINAL);
  // CT 100 stands for a (never created, so stopped) LXC container: `pct status 100` answers "stopped".
  writeFileSync(real('/etc/pve/.standin.json'), JSON.stringify({ 100: `hs-test-absent-${process.pid}` }));
});

afterEach(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(root, { recursive: true, force: true });
});

sandbox.describe('LxcDevice on a sandboxed Proxmox host', () => {
  sandbox.it('writes the lab lines into the main section (before pending and snapshots), keeps 0640, records them', async () => {
    const state = new MemoryState();
    const resource = lxcDevice({ container: '100', devices: [{ preset: 'intel-quicksync', optional: false }, { preset: 'tun', optional: false }] });
    const run = await runOnce(state, resource, host);
    expect(run).toMatchObject({ result: 'converged' });
    const lines = [
      'lxc.cgroup2.devices.allow: c 226:0 rwm',
      'lxc.cgroup2.devices.allow: c 226:128 rwm',
      'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir',
      'lxc.cgroup2.devices.allow: c 10:200 rwm',
      'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file',
    ];
    expect(readConf()).toBe(ORIGINAL.replace('lxc.idmap: u 0 100000 65536\n', `lxc.idmap: u 0 100000 65536\n${lines.join('\n')}\n`));
    expect(statSync(real(CONF)).mode & 0o7777).toBe(0o640);
    expect(state.inventory.map((i) => i.id)).toEqual(lines.map((l) => `${CONF}#${l}`));
    // What `homeostat diff` prints: the exact lines, for the file.
    if (run.result === 'converged') {
      expect(run.plan.changes.map((c) => [c.target, c.details])).toEqual([[`local:${CONF}`, lines.map((l) => `+ ${l}`)]]);
    }
    expect(state.status).toMatchObject({ containerRunning: false, managedLines: lines, adoptedLines: [] });

    // Twice: nothing to do, nothing written.
    const mtime = statSync(real(CONF)).mtimeMs;
    const again = await runOnce(state, resource, host);
    expect(again.result === 'converged' && again.plan.changes).toEqual([]);
    expect(statSync(real(CONF)).mtimeMs).toBe(mtime);

    // Deleting the resource removes exactly its lines: the original bytes come back.
    writeConf(readConf().replace('memory: 4096\n', 'memory: 4096\nlxc.cgroup2.devices.allow: c 188:* rwm\n'));
    await finalizeOnce(state, resource, host);
    expect(readConf()).toBe(ORIGINAL.replace('memory: 4096\n', 'memory: 4096\nlxc.cgroup2.devices.allow: c 188:* rwm\n'));
    expect(state.inventory).toEqual([]);
  });

  sandbox.it('`homeostat diff` shows the exact lines per file and writes nothing', async () => {
    const manifests = join(root, '..', `${root.split('/').pop()}-manifests`);
    mkdirSync(manifests, { recursive: true });
    try {
      writeFileSync(
        join(manifests, 'lab.yaml'),
        [
          'apiVersion: homeostat.dev/v1alpha1',
          'kind: Host',
          'metadata: { name: pve }',
          `spec: { platform: proxmox, root: ${root} }`,
          '---',
          'apiVersion: homeostat.dev/v1alpha1',
          'kind: LxcDevice',
          'metadata: { name: media-passthrough }',
          'spec:',
          '  host: pve',
          '  container: "100"',
          '  devices: [{ preset: tun }]',
          '',
        ].join('\n'),
      );
      const diffs = await diffOnce({ manifestsDir: manifests, stateDir: join(manifests, '.state'), log: silentLogger, reconcilers: allReconcilers });
      const diff = diffs.find((d) => d.key === 'LxcDevice/media-passthrough');
      expect(diff?.error).toBeUndefined();
      expect(diff?.changes.map((c) => ({ target: c.target, details: c.details }))).toEqual([
        {
          target: `pve:${CONF}`,
          details: ['+ lxc.cgroup2.devices.allow: c 10:200 rwm', '+ lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file'],
        },
      ]);
      expect(readConf()).toBe(ORIGINAL);
    } finally {
      rmSync(manifests, { recursive: true, force: true });
    }
  });

  sandbox.it('reads device numbers from the node: a render node allocated at 226:129 gets 226:129', async () => {
    rmSync(real('/dev/dri/renderD128'));
    mknod('/dev/dri/renderD129', 'c', 226, 129);
    mknod('/dev/ttyUSB0', 'c', 188, 3);
    mknod('/dev/sdz', 'b', 8, 240);
    const state = new MemoryState();
    const resource = lxcDevice({
      container: '100',
      devices: [{ preset: 'intel-quicksync', optional: false }, { path: '/dev/ttyUSB0', optional: true }, { path: '/dev/sdz', optional: false }],
    });
    expect(await runOnce(state, resource, host)).toMatchObject({ result: 'converged' });
    const added = readConf().split('\n').filter((l) => l.startsWith('lxc.') && !l.startsWith('lxc.idmap'));
    expect(added).toEqual([
      'lxc.cgroup2.devices.allow: c 226:0 rwm',
      'lxc.cgroup2.devices.allow: c 226:129 rwm',
      'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir',
      'lxc.cgroup2.devices.allow: c 188:3 rwm',
      'lxc.mount.entry: /dev/ttyUSB0 dev/ttyUSB0 none bind,optional,create=file',
      'lxc.cgroup2.devices.allow: b 8:240 rwm',
      'lxc.mount.entry: /dev/sdz dev/sdz none bind,create=file',
    ]);
  });

  sandbox.it('style dev writes devN at the first free index with gid and mode, and removes only its own', async () => {
    writeConf(ORIGINAL.replace('memory: 4096\n', 'memory: 4096\ndev0: /dev/ttyUSB9\n').replace('memory: 8192\n', 'memory: 8192\ndev1: /dev/sda\n'));
    const before = readConf();
    const state = new MemoryState();
    const resource = lxcDevice({ container: '100', style: 'dev', gid: 104, mode: '0660', devices: [{ preset: 'intel-quicksync', optional: false }] });
    expect(await runOnce(state, resource, host)).toMatchObject({ result: 'converged' });
    const main = readConf().split('[pve:pending]')[0]!;
    expect(main).toContain('dev2: /dev/dri/card0,gid=104,mode=0660\ndev3: /dev/dri/renderD128,gid=104,mode=0660\n');
    await finalizeOnce(state, resource, host);
    expect(readConf()).toBe(before);
  });

  sandbox.it('adopts the lines a human already pasted, and never removes them', async () => {
    const pasted = ORIGINAL.replace(
      'unprivileged: 1\n',
      'unprivileged: 1\nlxc.cgroup2.devices.allow: c 10:200 rwm\nlxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file\n',
    );
    writeConf(pasted);
    const state = new MemoryState();
    const resource = lxcDevice({ container: '100', devices: [{ preset: 'tun', optional: false }] });
    const run = await runOnce(state, resource, host);
    expect(run.result === 'converged' && run.plan.changes).toEqual([]);
    expect(state.inventory).toEqual([]);
    expect(state.status.adoptedLines).toEqual(['lxc.cgroup2.devices.allow: c 10:200 rwm', 'lxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file']);
    expect(state.events.map((e) => e.reason)).toEqual(['Adopted']);
    await finalizeOnce(state, resource, host);
    expect(readConf()).toBe(pasted);
  });

  sandbox.describe('bad input: a clear error, the file untouched', () => {
    const untouched = async (spec: Parameters<typeof lxcDevice>[0], expected: Record<string, unknown>, text = ORIGINAL) => {
      writeConf(text);
      const run = await runOnce(new MemoryState(), lxcDevice(spec), host);
      expect(run).toMatchObject(expected);
      expect(readConf()).toBe(text);
      return run;
    };

    sandbox.it('a container id that is not a number on Proxmox', async () => {
      await untouched({ container: 'media', devices: [{ preset: 'tun', optional: false }] }, {
        result: 'stalled',
        reason: 'InvalidSpec',
        message: expect.stringContaining('spec.container: "media" is not a Proxmox VMID'),
      });
    });

    sandbox.it('device paths outside /dev/, with .. components, unknown presets', async () => {
      await untouched({ container: '100', devices: [{ path: '/etc/shadow', optional: false }] }, {
        result: 'stalled',
        reason: 'InvalidSpec',
        message: expect.stringContaining('spec.devices[0].path: must be a device node under /dev/'),
      });
      await untouched({ container: '100', devices: [{ path: '/dev/../etc/shadow', optional: false }] }, {
        result: 'stalled',
        message: expect.stringContaining('spec.devices[0].path: must not contain "." or ".."'),
      });
      await untouched({ container: '100', devices: [{ preset: 'nvidia' as 'tun', optional: false }] }, {
        result: 'stalled',
        message: expect.stringContaining('spec.devices[0].preset: unknown preset "nvidia"'),
      });
    });

    sandbox.it('a config over 1 MiB', async () => {
      const huge = `${ORIGINAL}#${'x'.repeat(1024 * 1024)}\n`;
      await untouched({ container: '100', devices: [{ preset: 'tun', optional: false }] }, {
        result: 'stalled',
        reason: 'ConfigTooLarge',
        message: expect.stringContaining('/etc/pve/lxc/100.conf is 1048'),
      }, huge);
    });

    sandbox.it('a locked config (lock: backup): retried, never written', async () => {
      const locked = ORIGINAL.replace('hostname: media\n', 'hostname: media\nlock: backup\n');
      await untouched({ container: '100', devices: [{ preset: 'tun', optional: false }] }, {
        result: 'failed',
        message: expect.stringContaining('is locked (lock: backup)'),
      }, locked);
    });

    sandbox.it('a container that does not exist, a device missing on the host, a path that is not a device', async () => {
      await untouched({ container: '101', devices: [{ preset: 'tun', optional: false }] }, {
        result: 'stalled',
        reason: 'ContainerNotFound',
        message: 'container 101 does not exist on host local: /etc/pve/lxc/101.conf is missing',
      });
      await untouched({ container: '100', devices: [{ path: '/dev/ttyUSB0', optional: false }] }, {
        result: 'stalled',
        reason: 'DeviceNotFound',
        message: 'spec.devices[0]: /dev/ttyUSB0 does not exist on host local',
      });
      writeFileSync(real('/dev/notadevice'), '');
      await untouched({ container: '100', devices: [{ path: '/dev/notadevice', optional: false }] }, {
        result: 'stalled',
        reason: 'NotADevice',
      });
      rmSync(real('/dev/dri'), { recursive: true });
      await untouched({ container: '100', devices: [{ preset: 'intel-quicksync', optional: false }] }, {
        result: 'stalled',
        reason: 'DeviceNotFound',
        message: expect.stringContaining('preset intel-quicksync'),
      });
    });

    sandbox.it('style dev on a plain LXC host', async () => {
      const lxcHost = new LocalHost({ root, platform: 'lxc' });
      writeConf('lxc.net.0.type = empty\n', '/var/lib/lxc/media/config');
      const run = await runOnce(new MemoryState(), lxcDevice({ container: 'media', style: 'dev', devices: [{ preset: 'tun', optional: false }] }), lxcHost);
      expect(run).toMatchObject({ result: 'stalled', reason: 'InvalidSpec', message: expect.stringContaining('spec.style: dev writes Proxmox devN entries') });
      expect(readConf('/var/lib/lxc/media/config')).toBe('lxc.net.0.type = empty\n');
    });

    sandbox.it('an optional device missing on the host is skipped, not an error', async () => {
      const state = new MemoryState();
      const run = await runOnce(state, lxcDevice({ container: '100', devices: [{ preset: 'tun', optional: false }, { path: '/dev/ttyUSB0', optional: true }] }), host);
      expect(run).toMatchObject({ result: 'converged' });
      expect(state.status.skippedDevices).toEqual(['/dev/ttyUSB0']);
      expect(readConf()).not.toContain('ttyUSB0');
    });
  });

  sandbox.it('through the daemon: Stalled on a missing device, then the device is plugged in and it converges by itself', async () => {
    const manifests = mkdtempSync(join(tmpdir(), 'homeostat-lxcdev-manifests-'));
    const state = mkdtempSync(join(tmpdir(), 'homeostat-lxcdev-state-'));
    writeFileSync(join(manifests, 'host.yaml'), `apiVersion: homeostat.dev/v1alpha1\nkind: Host\nmetadata: { name: local }\nspec: { platform: proxmox, root: ${JSON.stringify(root)} }\n`);
    writeFileSync(
      join(manifests, 'serial.yaml'),
      'apiVersion: homeostat.dev/v1alpha1\nkind: LxcDevice\nmetadata: { name: serial }\nspec: { container: "100", devices: [{ path: /dev/ttyUSB0 }] }\n',
    );
    const daemon = await startDaemon({ manifestsDir: manifests, stateDir: state, log: silentLogger, reconcilers: allReconcilers, listen: { host: '127.0.0.1', port: 0 } });
    const view = () => listResourceViews(daemon.store, 'LxcDevice').find((v) => v.name === 'serial');
    try {
      await waitUntil('Stalled/DeviceNotFound', () => view()?.status === 'DeviceNotFound', 10_000);
      expect(readConf()).toBe(ORIGINAL);

      mknod('/dev/ttyUSB0', 'c', 188, 0); // plugged in: no spec change, no `homeostat reconcile`
      await waitUntil('Ready once the device exists', () => view()?.ready === 'True', 10_000);
      expect(readConf()).toContain('lxc.cgroup2.devices.allow: c 188:0 rwm');
    } finally {
      await daemon.stop();
      rmSync(manifests, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });
});
