/**
 * The `pct` stand-in on real LXC: `<root>/etc/pve/lxc/<vmid>.conf` (main section only) drives a real
 * busybox container through `pct start/stop/shutdown/reboot/status/exec/config`, with Proxmox's messages
 * and exit codes, its config lock, and devN/mpN/raw lxc.* lines taking effect inside the container.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { integration } from '../support/integration.js';
import { LocalHost } from '../../reconcilers/host/index.js';
import {
  createTestContainer,
  destroyAllTestContainers,
  linkPctContainer,
  lxcAvailable,
  minimalPveConfig,
  runPct,
  usePctStandin,
  type TestContainer,
} from '../support/lxc.js';
import { waitUntil } from '../support/wait.js';

const lxc = integration('lxc', lxcAvailable(), 'needs root, lxc-create and the busybox template (apt install lxc busybox-static)');

const TUN_LINES = 'lxc.cgroup2.devices.allow: c 10:200 rwm\nlxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file\n';
const roots: string[] = [];

interface Ct {
  root: string;
  container: TestContainer;
  confPath: string;
  pct(...argv: string[]): ReturnType<typeof runPct>;
}

/** A fresh sandbox root whose CT `vmid` is a fresh real container. */
async function proxmoxCt(vmid = '100', config?: string): Promise<Ct> {
  const root = mkdtempSync(join(tmpdir(), 'hs-pct-root-'));
  roots.push(root);
  const container = await createTestContainer();
  const confPath = linkPctContainer(root, vmid, container, config);
  return { root, container, confPath, pct: (...argv) => runPct(root, argv) };
}

lxc.describe('pct stand-in', () => {
  afterAll(async () => {
    await destroyAllTestContainers();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  lxc.it('reports running/stopped like pct status, following the real container', async () => {
    const { pct, container } = await proxmoxCt();
    expect(await pct('status', '100')).toEqual({ code: 0, stdout: 'status: stopped\n', stderr: '' });
    expect((await pct('start', '100')).code).toBe(0);
    expect(await pct('status', '100')).toEqual({ code: 0, stdout: 'status: running\n', stderr: '' });
    expect(container.state()).toBe('RUNNING');
    expect((await pct('stop', '100')).code).toBe(0);
    expect((await pct('status', '100')).stdout).toBe('status: stopped\n');
    await container.start(); // changed behind pct's back
    expect((await pct('status', '100')).stdout).toBe('status: running\n');
    expect((await pct('shutdown', '100', '--timeout', '20')).code).toBe(0);
    expect(container.state()).toBe('STOPPED');
  });

  lxc.it('errors like pct on a missing config, a bad vmid and the wrong state', async () => {
    const { pct } = await proxmoxCt();
    const missing = `Configuration file 'nodes/${hostname().split('.')[0]}/lxc/101.conf' does not exist\n`;
    expect(await pct('status', '101')).toEqual({ code: 2, stdout: '', stderr: missing });
    expect(await pct('exec', '101', '--', 'true')).toEqual({ code: 2, stdout: '', stderr: missing });
    expect(await pct('config', '101')).toEqual({ code: 2, stdout: '', stderr: missing });
    expect(await pct('start', '101')).toEqual({ code: 255, stdout: '', stderr: missing });
    expect(await pct('stop', '100')).toEqual({ code: 255, stdout: '', stderr: 'CT 100 not running\n' });
    expect(await pct('shutdown', '100')).toEqual({ code: 255, stdout: '', stderr: 'CT 100 not running\n' });
    expect(await pct('reboot', '100')).toEqual({ code: 255, stdout: '', stderr: 'VM 100 not running\n' });
    expect((await pct('start', '100')).code).toBe(0);
    expect(await pct('start', '100')).toEqual({ code: 255, stdout: '', stderr: 'CT 100 already running\n' });
    const bad = await pct('status', 'abc');
    expect(bad.code).toBe(255);
    expect(bad.stderr).toContain("400 Parameter verification failed.\nvmid: type check ('integer') failed - got 'abc'");
    expect((await pct('frobnicate', '100')).code).toBe(255);
  });

  lxc.it('passes exec exit codes and output through, and fails like lxc-attach on a stopped CT', async () => {
    const { pct, container } = await proxmoxCt();
    expect((await pct('exec', '100', '--', 'true')).code).not.toBe(0);
    await pct('start', '100');
    expect(await pct('exec', '100', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7')).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
    expect((await pct('exec', '100', '--', 'uname', '-n')).stdout).toBe(`${container.name}\n`); // CT 100 is that container
  });

  lxc.it('has no /dev/net/tun without the lines; with them in the main section `pct reboot` makes it exist and usable', async () => {
    const { pct, confPath } = await proxmoxCt();
    await pct('start', '100');
    expect((await pct('exec', '100', '--', 'test', '-e', '/dev/net/tun')).code).toBe(1);
    appendFileSync(confPath, TUN_LINES);
    expect(await pct('reboot', '100')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await pct('status', '100')).stdout).toBe('status: running\n');
    expect((await pct('exec', '100', '--', 'test', '-e', '/dev/net/tun')).code).toBe(0);
    // usable: the TUN driver answers (EBADFD: no interface attached yet), not ENOENT/EPERM
    expect((await pct('exec', '100', '--', 'cat', '/dev/net/tun')).stderr).toContain('File descriptor in bad state');
    const config = await pct('config', '100');
    expect(config.stdout).toContain('lxc.cgroup2.devices.allow: c 10:200 rwm\nlxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file\n');
  });

  lxc.it('needs the devices allow line: a bind mount alone is denied, and legacy lxc.cgroup.* keys do not count', async () => {
    const { pct, confPath } = await proxmoxCt();
    appendFileSync(confPath, 'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file\n');
    await pct('start', '100');
    expect((await pct('exec', '100', '--', 'cat', '/dev/net/tun')).stderr).toContain('Operation not permitted');
    appendFileSync(confPath, 'lxc.cgroup.devices.allow: c 10:200 rwm\n');
    await pct('reboot', '100');
    expect((await pct('exec', '100', '--', 'cat', '/dev/net/tun')).stderr).toContain('Operation not permitted');
  });

  lxc.it('ignores lines inside [pve:pending] and [snapshot] sections', async () => {
    const config = `${minimalPveConfig(100)}parent: before\n\n[pve:pending]\n${TUN_LINES}\n[before]\n${TUN_LINES}snaptime: 1700000000\n`;
    const { pct } = await proxmoxCt('100', config);
    await pct('start', '100');
    expect((await pct('exec', '100', '--', 'test', '-e', '/dev/net/tun')).code).toBe(1);
    expect((await pct('config', '100')).stdout).not.toContain('lxc.');
  });

  lxc.it('refuses to start a locked CT; a reboot stops it and then refuses to start it, as Proxmox does', async () => {
    const { pct, confPath, container } = await proxmoxCt();
    writeFileSync(confPath, `${minimalPveConfig(100)}lock: backup\n`);
    expect(await pct('start', '100')).toEqual({ code: 255, stdout: '', stderr: 'CT is locked (backup)\n' });
    expect(container.state()).toBe('STOPPED');
    writeFileSync(confPath, minimalPveConfig(100));
    await pct('start', '100');
    appendFileSync(confPath, 'lock: backup\n');
    expect(await pct('stop', '100')).toEqual({ code: 255, stdout: '', stderr: 'CT is locked (backup)\n' });
    expect(container.state()).toBe('RUNNING');
    expect(await pct('reboot', '100')).toEqual({ code: 255, stdout: '', stderr: 'CT is locked (backup)\n' });
    expect(container.state()).toBe('STOPPED');
  });

  lxc.it('waits for the config lock pct takes (<root>/run/lock/lxc/pve-config-<vmid>.lock)', async () => {
    const { pct, root } = await proxmoxCt();
    const lockFile = join(root, 'run/lock/lxc/pve-config-100.lock');
    mkdirSync(join(root, 'run/lock/lxc'), { recursive: true });
    const holder = spawn('flock', [lockFile, 'sleep', '1.5'], { stdio: 'ignore' });
    try {
      await waitUntil('the lock to be held', () => spawnSync('flock', ['-n', lockFile, 'true']).status === 1, 5000);
      const started = Date.now();
      expect((await pct('start', '100')).code).toBe(0);
      expect(Date.now() - started).toBeGreaterThan(700);
      expect((await pct('status', '100')).stdout).toBe('status: running\n');
    } finally {
      holder.kill();
    }
  });

  lxc.it('devN creates a private device node with the given gid and mode, allowed in the devices cgroup', async () => {
    const { pct, confPath } = await proxmoxCt();
    const before = statSync('/dev/net/tun');
    appendFileSync(confPath, 'dev0: /dev/net/tun,gid=104,mode=0660\n');
    expect(await pct('start', '100')).toEqual({ code: 0, stdout: '', stderr: '' });
    // busybox stat: octal mode, uid, gid, major and minor in hex (10:200)
    expect((await pct('exec', '100', '--', 'stat', '-c', '%a %u %g %t %T', '/dev/net/tun')).stdout).toBe('660 0 104 a c8\n');
    expect((await pct('exec', '100', '--', 'cat', '/dev/net/tun')).stderr).toContain('File descriptor in bad state');
    const after = statSync('/dev/net/tun');
    expect([after.mode, after.uid, after.gid]).toEqual([before.mode, before.uid, before.gid]); // the host node is untouched
  });

  lxc.it('a devN for a device the host lacks makes start fail with Proxmox`s message', async () => {
    const { pct, confPath, container } = await proxmoxCt();
    appendFileSync(confPath, 'dev0: /dev/does-not-exist\n');
    expect(await pct('start', '100')).toEqual({ code: 255, stdout: '', stderr: 'Device /dev/does-not-exist does not exist\n' });
    expect(container.state()).toBe('STOPPED');
  });

  lxc.it('mpN bind-mounts a folder of the sandbox root; a hardlink made inside is the same inode on the host', async () => {
    const { pct, confPath, root } = await proxmoxCt();
    mkdirSync(join(root, 'data/torrents'), { recursive: true });
    writeFileSync(join(root, 'data/torrents/movie.mkv'), 'frames');
    appendFileSync(confPath, 'mp0: /data,mp=/data\n');
    await pct('start', '100');
    expect((await pct('exec', '100', '--', 'cat', '/data/torrents/movie.mkv')).stdout).toBe('frames');
    expect((await pct('exec', '100', '--', 'mkdir', '-p', '/data/media')).code).toBe(0);
    expect((await pct('exec', '100', '--', 'ln', '/data/torrents/movie.mkv', '/data/media/movie.mkv')).code).toBe(0);
    const inside = (await pct('exec', '100', '--', 'stat', '-c', '%i', '/data/media/movie.mkv')).stdout.trim();
    expect(statSync(join(root, 'data/media/movie.mkv')).ino).toBe(statSync(join(root, 'data/torrents/movie.mkv')).ino);
    expect(Number(inside)).toBe(statSync(join(root, 'data/torrents/movie.mkv')).ino);
  });

  lxc.it('keeps the real config intact: one lxc.include line appended, however many restarts', async () => {
    const { pct, confPath, container } = await proxmoxCt();
    const original = readFileSync(container.configPath, 'utf8');
    appendFileSync(confPath, TUN_LINES);
    await pct('start', '100');
    await pct('reboot', '100');
    await pct('stop', '100');
    await pct('start', '100');
    const now = readFileSync(container.configPath, 'utf8');
    const include = `lxc.include = /var/lib/lxc/${container.name}/pve-standin.conf\n`;
    expect(now).toBe(`${original}${include}`);
  });

  lxc.it('works as `pct` on PATH for a LocalHost confined to the sandbox root, as a reconciler would use it', async () => {
    const { root, confPath } = await proxmoxCt();
    const restore = usePctStandin(root);
    try {
      const host = new LocalHost({ root, platform: 'proxmox' });
      const before = readFileSync(confPath);
      await host.writeFileAtomic('/etc/pve/lxc/100.conf', `${before.toString()}${TUN_LINES}`, { expected: before });
      expect(statSync(confPath).mode & 0o777).toBe(0o640);
      expect(await host.exec(['pct', 'start', '100'])).toMatchObject({ code: 0 });
      expect(await host.exec(['pct', 'status', '100'])).toEqual({ code: 0, stdout: 'status: running\n', stderr: '' });
      expect((await host.exec(['pct', 'exec', '100', '--', 'test', '-e', '/dev/net/tun'])).code).toBe(0);
    } finally {
      restore();
    }
    expect(process.env.PCT_STANDIN_ROOT).toBeUndefined();
  });
});
