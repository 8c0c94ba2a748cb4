/**
 * The LXC test-container helper on real LXC: busybox containers with no network, a Proxmox-like device
 * policy, reliable start/stop, and cleanup that destroys exactly this process's containers by name.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { integration } from '../support/integration.js';
import {
  TEST_CONTAINER_PREFIX,
  containerState,
  createTestContainer,
  destroyAllTestContainers,
  lxcAvailable,
  trackedTestContainers,
} from '../support/lxc.js';

const lxc = integration('lxc', lxcAvailable(), 'needs root, lxc-create and the busybox template (apt install lxc busybox-static)');
const lxcNames = (): string[] => spawnSync('lxc-ls', ['-1'], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);

lxc.describe('test containers', () => {
  afterAll(() => destroyAllTestContainers());

  lxc.it('creates a busybox container with a unique hs-test- name and no network but `type = empty`', async () => {
    const [a, b] = await Promise.all([createTestContainer(), createTestContainer()]);
    expect(a.name.startsWith(TEST_CONTAINER_PREFIX)).toBe(true);
    expect(a.name).not.toBe(b.name);
    const netLines = readFileSync(a.configPath, 'utf8').split('\n').filter((l) => l.startsWith('lxc.net.'));
    expect(netLines).toEqual(['lxc.net.0.type = empty']);
    expect(a.state()).toBe('STOPPED');
    await a.start();
    const links = await a.attach(['ls', '/sys/class/net']);
    expect(links.stdout.split(/\s+/).filter(Boolean)).toEqual(['lo']);
    await Promise.all([a.destroy(), b.destroy()]);
  });

  lxc.it('starts reliably, runs commands with their exit code and output, and stops at once', async () => {
    const ct = await createTestContainer();
    await ct.start();
    expect(ct.state()).toBe('RUNNING');
    const result = await ct.attach(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(result).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
    const started = Date.now();
    await ct.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(ct.state()).toBe('STOPPED');
    await ct.stop(); // idempotent
    await ct.start(); // and restartable
    expect(ct.state()).toBe('RUNNING');
    await ct.destroy();
    await ct.destroy(); // idempotent
    expect(lxcNames()).not.toContain(ct.name);
  });

  lxc.it('has no /dev/net/tun inside, and the Proxmox-like device policy denies a bind-mounted device without an allow line', async () => {
    const bare = await createTestContainer();
    await bare.start();
    expect((await bare.attach(['test', '-e', '/dev/net/tun'])).code).toBe(1);
    expect((await bare.attach(['cat', '/dev/null'])).code).toBe(0); // the standard devices stay usable

    const mountedOnly = await createTestContainer({ config: ['lxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file 0 0'] });
    await mountedOnly.start();
    const denied = await mountedOnly.attach(['cat', '/dev/net/tun']);
    expect(denied.stderr).toContain('Operation not permitted');

    const open = await createTestContainer({ devicePolicy: 'open', config: ['lxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file 0 0'] });
    await open.start();
    expect((await open.attach(['cat', '/dev/net/tun'])).stderr).toContain('File descriptor in bad state');
    await Promise.all([bare.destroy(), mountedOnly.destroy(), open.destroy()]);
  });

  lxc.it('refuses network lines and reports a container that cannot start with LXC`s own error', async () => {
    await expect(createTestContainer({ config: ['lxc.net.0.type = veth'] })).rejects.toThrow('no network');
    const broken = await createTestContainer({ config: ['lxc.mount.entry = /does/not/exist mnt none bind 0 0'] });
    await expect(broken.start()).rejects.toThrow(/did not start[\s\S]*mount/i);
    expect(broken.state()).toBe('STOPPED');
    await broken.destroy();
  });

  lxc.it('destroyAllTestContainers destroys every container this process created, running or not, and nothing else', async () => {
    // A container this process did not create through the helper (as another test process would have).
    const foreign = `${TEST_CONTAINER_PREFIX}foreign-${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'hs-foreign-'));
    writeFileSync(join(dir, 'config'), 'lxc.net.0.type = empty\n');
    const made = spawnSync('lxc-create', ['-n', foreign, '-t', 'busybox', '-f', join(dir, 'config')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(made.status).toBe(0);
    try {
      const running = await createTestContainer();
      const stopped = await createTestContainer();
      await running.start();
      expect(trackedTestContainers()).toEqual(expect.arrayContaining([running.name, stopped.name]));
      await destroyAllTestContainers();
      expect(trackedTestContainers()).toEqual([]);
      const names = lxcNames();
      expect(names).not.toContain(running.name);
      expect(names).not.toContain(stopped.name);
      expect(names).toContain(foreign);
      expect(containerState(running.name)).toBe('STOPPED');
    } finally {
      spawnSync('lxc-destroy', ['-n', foreign]);
    }
  });
});
