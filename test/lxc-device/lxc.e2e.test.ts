/**
 * LxcDevice end to end on real LXC (busybox containers, no network), through the real controller daemon:
 * plain LXC (`/var/lib/lxc/<name>/config`, lxc-* tools) and Proxmox through the `pct` stand-in
 * (`<root>/etc/pve/lxc/100.conf` mapped onto a real container). What a user would check: the container starts
 * without /dev/net/tun; after reconcile with `restart: if-running` the device is inside and usable; a human
 * deleting a line is healed through the watch and the container restarted; deleting the resource removes
 * exactly its lines (the config's original bytes come back).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import type { Daemon } from '../../controller/runtime/daemon.js';
import type { ResourceView } from '../../controller/status/views.js';
import { LocalHost } from '../../reconcilers/host/index.js';
import { MemoryState } from '../storage-keepalive/context.js';
import { finalizeOnce, lxcDevice, runOnce } from './run.js';
import { integration } from '../support/integration.js';
import { createLab, startLabDaemon, viewOf, type TestLab } from '../support/lab.js';
import {
  createTestContainer,
  destroyAllTestContainers,
  linkPctContainer,
  lxcAvailable,
  pctEnv,
  runCommand,
  runPct,
  type TestContainer,
} from '../support/lxc.js';
import { waitUntil } from '../support/wait.js';

const lxc = integration('lxc', lxcAvailable(), 'needs root, lxc-create/lxc-start/lxc-attach and the busybox template');

let lab: TestLab;
let daemon: Daemon | undefined;
let savedEnv: { PATH?: string; PCT_STANDIN_ROOT?: string };

async function start(): Promise<Daemon> {
  daemon = await startLabDaemon(lab);
  return daemon;
}

const view = (key: string): ResourceView | undefined => viewOf(daemon!, key);
const isReady = (v: ResourceView) => v.ready === 'True' && v.observedGeneration === v.generation;

async function waitForView(key: string, predicate: (v: ResourceView) => boolean, what: string, timeoutMs = 40_000): Promise<ResourceView> {
  return waitUntil(`${key}: ${what} (now: ${JSON.stringify(view(key)?.conditions)})`, () => {
    const v = view(key);
    return v && predicate(v) ? v : undefined;
  }, timeoutMs, 50);
}

function lxcDeviceManifest(spec: { host: string; container: string; devices: string[] }): string {
  return [
    'apiVersion: homeostat.dev/v1alpha1',
    'kind: LxcDevice',
    'metadata:',
    '  name: passthrough',
    'spec:',
    `  host: ${spec.host}`,
    `  container: "${spec.container}"`,
    '  devices:',
    ...spec.devices.map((d) => `    - preset: ${d}`),
    '  restart: if-running',
    '',
  ].join('\n');
}

/** The init PID of a running container (changes when it restarts); 0 while it is stopped or between states. */
function initPid(name: string): number {
  const out = spawnSync('lxc-info', ['-n', name, '-p', '-H'], { encoding: 'utf8' });
  return out.status === 0 ? Number(out.stdout.trim()) || 0 : 0;
}

/** `test -e` inside, and whether opening the node is allowed (tun answers EBADFD to a read without TUNSETIFF). */
async function tunInside(ct: TestContainer): Promise<{ exists: boolean; usable: boolean }> {
  const exists = (await ct.attach(['test', '-e', '/dev/net/tun'])).code === 0;
  const read = await ct.attach(['cat', '/dev/net/tun']);
  return { exists, usable: exists && !read.stderr.includes('Operation not permitted') && !read.stderr.includes("can't open") };
}

beforeEach(() => {
  lab = createLab();
  savedEnv = { PATH: process.env.PATH, PCT_STANDIN_ROOT: process.env.PCT_STANDIN_ROOT };
});

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  lab.cleanup();
});

afterAll(async () => {
  await destroyAllTestContainers();
});

lxc.describe('LxcDevice on real LXC', () => {
  lxc.it('plain LXC: grants /dev/net/tun, restarts, heals a deleted line, and removes exactly its lines', async () => {
    const ct = await createTestContainer();
    await ct.start();
    expect(await tunInside(ct)).toEqual({ exists: false, usable: false });
    const original = readFileSync(ct.configPath, 'utf8');
    const firstPid = initPid(ct.name);

    lab.writeManifest('hosts.yaml', ['apiVersion: homeostat.dev/v1alpha1', 'kind: Host', 'metadata:', '  name: lxchost', 'spec:', '  platform: lxc', ''].join('\n'));
    lab.writeManifest('device.yaml', lxcDeviceManifest({ host: 'lxchost', container: ct.name, devices: ['tun'] }));
    await start();
    const ready = await waitForView('LxcDevice/passthrough', isReady, 'Ready');
    expect(ready.fields).toMatchObject({ containerRunning: true, adoptedLines: [] });

    // This machine's LXC enforces devices through cgroup v1 or v2: the rule uses the key it enforces.
    const cgroupKey = execFileSync('stat', ['-f', '-c', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).trim() === 'cgroup2fs' ? 'lxc.cgroup2.devices.allow' : 'lxc.cgroup.devices.allow';
    const lines = [`${cgroupKey} = c 10:200 rwm`, 'lxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file'];
    expect(readFileSync(ct.configPath, 'utf8')).toBe(`${original}${lines.join('\n')}\n`);
    expect(ct.state()).toBe('RUNNING');
    expect(initPid(ct.name)).not.toBe(firstPid);
    expect(await tunInside(ct)).toEqual({ exists: true, usable: true });

    // A human deletes the mount line: healed through the watch, and the container restarted to see it.
    const pidBefore = initPid(ct.name);
    const deletedAt = Date.now();
    writeFileSync(ct.configPath, `${original}${lines[0]}\n`);
    await waitUntil('the deleted line is back', () => readFileSync(ct.configPath, 'utf8') === `${original}${lines.join('\n')}\n`, 40_000);
    expect(Date.now() - deletedAt).toBeLessThan(10_000); // through the watch, not the 60 s resync
    await waitUntil('the container was restarted', () => ct.state() === 'RUNNING' && ![0, pidBefore].includes(initPid(ct.name)), 40_000);
    await waitForView('LxcDevice/passthrough', isReady, 'Ready after healing');
    expect(await tunInside(ct)).toEqual({ exists: true, usable: true });

    // Deleting the resource removes exactly its lines (and restarts: the device is gone inside).
    lab.removeManifest('device.yaml');
    await waitUntil('the lines are removed', () => readFileSync(ct.configPath, 'utf8') === original, 40_000);
    await waitUntil('the resource leaves the store', () => view('LxcDevice/passthrough') === undefined, 40_000);
    await waitUntil('the device is gone inside', async () => ct.state() === 'RUNNING' && !(await tunInside(ct)).exists, 40_000);
  }, 180_000);

  lxc.it('Proxmox through the pct stand-in: QuickSync and tun in the main section, healed, removed byte for byte', async () => {
    const root = lab.root;
    const env = pctEnv(root);
    process.env.PATH = env.PATH;
    process.env.PCT_STANDIN_ROOT = env.PCT_STANDIN_ROOT;
    // This machine has no GPU: the sandbox's /dev/dri holds real nodes made with mknod; tun is the real 10:200.
    for (const [path, major, minor] of [['/dev/dri/card0', 226, 0], ['/dev/dri/renderD128', 226, 128], ['/dev/net/tun', 10, 200]] as const) {
      mkdirSync(dirname(lab.real(path)), { recursive: true });
      execFileSync('mknod', [lab.real(path), 'c', String(major), String(minor)]);
    }
    const original = [
      '#Media stack%3A Jellyfin',
      'arch: amd64',
      'cores: 1',
      'hostname: media',
      'memory: 512',
      'ostype: debian',
      'rootfs: local-lvm:vm-100-disk-0,size=4G',
      'unprivileged: 1',
      '',
      '[before-upgrade]',
      'arch: amd64',
      'cores: 1',
      'snaptime: 1717171717',
      '',
    ].join('\n');
    const ct = await createTestContainer();
    const confPath = linkPctContainer(root, 100, ct, original);
    expect((await runPct(root, ['start', '100'])).code).toBe(0);
    expect((await runPct(root, ['exec', '100', '--', 'test', '-e', '/dev/net/tun'])).code).toBe(1);

    lab.writeManifest('hosts.yaml', ['apiVersion: homeostat.dev/v1alpha1', 'kind: Host', 'metadata:', '  name: pve', 'spec:', '  platform: proxmox', `  root: ${root}`, ''].join('\n'));
    lab.writeManifest('device.yaml', lxcDeviceManifest({ host: 'pve', container: '100', devices: ['intel-quicksync', 'tun'] }));
    await start();
    await waitForView('LxcDevice/passthrough', isReady, 'Ready');
    const lines = [
      'lxc.cgroup2.devices.allow: c 226:0 rwm',
      'lxc.cgroup2.devices.allow: c 226:128 rwm',
      'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir',
      'lxc.cgroup2.devices.allow: c 10:200 rwm',
      'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file',
    ];
    const granted = original.replace('unprivileged: 1\n', `unprivileged: 1\n${lines.join('\n')}\n`);
    expect(readFileSync(confPath, 'utf8')).toBe(granted);
    for (const path of ['/dev/net/tun', '/dev/dri/renderD128', '/dev/dri/card0']) {
      expect((await runPct(root, ['exec', '100', '--', 'test', '-e', path])).code, path).toBe(0);
    }
    expect(await tunInside(ct)).toEqual({ exists: true, usable: true });

    const pidBefore = initPid(ct.name);
    const deletedAt = Date.now();
    writeFileSync(confPath, granted.replace(`${lines[4]}\n`, ''));
    await waitUntil('the deleted line is back', () => readFileSync(confPath, 'utf8') === granted, 40_000);
    expect(Date.now() - deletedAt).toBeLessThan(10_000);
    await waitUntil('CT 100 was rebooted', () => ct.state() === 'RUNNING' && ![0, pidBefore].includes(initPid(ct.name)), 40_000);
    await waitForView('LxcDevice/passthrough', isReady, 'Ready after healing');
    expect((await runPct(root, ['exec', '100', '--', 'test', '-e', '/dev/net/tun'])).code).toBe(0);

    lab.removeManifest('device.yaml');
    await waitUntil('the lines are removed, byte for byte', () => readFileSync(confPath, 'utf8') === original, 40_000);
    await waitUntil('the device is gone inside', async () => ct.state() === 'RUNNING' && (await runCommand('lxc-attach', ['-n', ct.name, '--', 'test', '-e', '/dev/net/tun'])).code === 1, 40_000);
  }, 180_000);

  lxc.it('restart: never reports Degraded/PendingRestart until someone restarts the container', async () => {
    const ct = await createTestContainer();
    await ct.start();
    const original = readFileSync(ct.configPath, 'utf8');
    const host = new LocalHost({ name: 'lxchost', platform: 'lxc' });
    const state = new MemoryState();
    const resource = lxcDevice({ host: 'lxchost', container: ct.name, devices: [{ preset: 'tun', optional: false }], restart: 'never' });
    const pid = initPid(ct.name);

    const first = await runOnce(state, resource, host);
    expect(first).toMatchObject({
      result: 'converged',
      degraded: { reason: 'PendingRestart', message: expect.stringContaining(`container ${ct.name} runs without /dev/net/tun`) },
    });
    expect(initPid(ct.name)).toBe(pid);
    expect(readFileSync(ct.configPath, 'utf8')).toContain('lxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file');

    await ct.stop();
    await ct.start();
    const second = await runOnce(state, resource, host);
    expect(second.result === 'converged' && second.degraded).toBeUndefined();
    expect(await tunInside(ct)).toEqual({ exists: true, usable: true });

    await finalizeOnce(state, resource, host);
    expect(readFileSync(ct.configPath, 'utf8')).toBe(original);
    expect(state.inventory).toEqual([]);
  }, 60_000);

  lxc.it('a container that does not exist is Stalled/ContainerNotFound', async () => {
    const host = new LocalHost({ name: 'lxchost', platform: 'lxc' });
    const run = await runOnce(new MemoryState(), lxcDevice({ host: 'lxchost', container: 'hs-test-never-created', devices: [{ preset: 'tun', optional: false }] }), host);
    expect(run).toMatchObject({
      result: 'stalled',
      reason: 'ContainerNotFound',
      message: 'container hs-test-never-created does not exist on host lxchost: /var/lib/lxc/hs-test-never-created/config is missing',
    });
  });
});
