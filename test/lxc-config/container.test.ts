/**
 * lxc-config's container lifecycle tools against real LXC: state, start, restart and `test -e` inside, on the
 * machine's own lxcpath, in a sandboxed host's lxcpath (`-P <root>/var/lib/lxc`: a same-named container of the
 * machine never counts), and through the `pct` stand-in, whose CTs' running state is the cgroup folder Proxmox
 * shows. Failures are retryable with a reason: `ContainerNotRunning` when a check inside needs a stopped
 * container, `ContainerToolMissing` without `pct`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { failureReason } from '../../reconcilers/core/errors.js';
import { LocalHost } from '../../reconcilers/host/index.js';
import { containerTools } from '../../reconcilers/lxc-config/index.js';
import { integration } from '../support/integration.js';
import { createTestContainer, destroyAllTestContainers, linkPctContainer, lxcAvailable, usePctStandin, type TestContainer } from '../support/lxc.js';

const lxc = integration('lxc', lxcAvailable(), 'needs root, lxc-create/lxc-start/lxc-attach and the busybox template');

let root: string;
let machine: LocalHost;
let sandboxed: LocalHost;
const containers: TestContainer[] = [];
let restorePct: (() => void) | undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-container-tools-'));
  machine = new LocalHost({ name: 'pve', platform: 'lxc' });
  sandboxed = new LocalHost({ name: 'pve', root, platform: 'lxc' });
});
afterEach(async () => {
  restorePct?.();
  restorePct = undefined;
  for (const ct of containers.splice(0)) await ct.destroy();
  await machine.close();
  await sandboxed.close();
  rmSync(root, { recursive: true, force: true });
});
afterAll(async () => {
  await destroyAllTestContainers();
});

async function container(): Promise<TestContainer> {
  const ct = await createTestContainer();
  containers.push(ct);
  return ct;
}

const failureOf = (promise: Promise<unknown>) => promise.then(() => null, (err: unknown) => err);

lxc.describe('containerTools', () => {
  lxc.it('plain LXC: state, test inside, restart; a stopped container is ContainerNotRunning for a check inside', async () => {
    const ct = await container();
    const tools = containerTools(machine, 'lxc', ct.name);
    expect(await tools.state()).toEqual({ running: false });
    const stopped = await failureOf(tools.exists('/bin'));
    expect(failureReason(stopped)).toBe('ContainerNotRunning');

    await tools.start();
    expect(ct.state()).toBe('RUNNING');
    expect(await tools.state()).toEqual({ running: true });
    expect(await tools.exists('/bin')).toBe(true);
    expect(await tools.exists('/no/such/thing')).toBe(false);
    await tools.restart();
    expect(await tools.state()).toEqual({ running: true });
    expect(tools.restartCommand).toBe(`lxc-stop + lxc-start -n ${ct.name}`);
  }, 90_000);

  lxc.it("a sandboxed host asks its own lxcpath: the machine's running container of the same name does not count", async () => {
    const ct = await container();
    await ct.start();
    mkdirSync(join(root, 'var/lib/lxc', ct.name), { recursive: true });
    writeFileSync(join(root, 'var/lib/lxc', ct.name, 'config'), 'lxc.uts.name = sandboxed\n');
    const tools = containerTools(sandboxed, 'lxc', ct.name);
    expect(await tools.state()).toEqual({ running: false });
    expect(failureReason(await failureOf(tools.exists('/bin')))).toBe('ContainerNotRunning');
    expect(await containerTools(machine, 'lxc', ct.name).state()).toEqual({ running: true });
  }, 90_000);

  lxc.it('Proxmox through the pct stand-in: state from the cgroup tree, no pct call; without pct, an action is ContainerToolMissing', async () => {
    const proxmox = new LocalHost({ name: 'pve', root, platform: 'proxmox' });
    try {
      // Whether CT 100 runs is read from /sys/fs/cgroup/lxc (none there: not running), never from pct.
      expect(await containerTools(proxmox, 'proxmox', '100').state()).toEqual({ running: false });
      const missing = await failureOf(containerTools(proxmox, 'proxmox', '100').start());
      expect(failureReason(missing)).toBe('ContainerToolMissing');

      const ct = await container();
      linkPctContainer(root, 100, ct);
      restorePct = usePctStandin(root);
      const tools = containerTools(proxmox, 'proxmox', '100');
      expect(await tools.state()).toEqual({ running: false });
      expect(failureReason(await failureOf(tools.exists('/bin')))).toBe('ContainerNotRunning');
      await tools.start();
      expect(await tools.state()).toEqual({ running: true });
      expect(await tools.exists('/bin')).toBe(true);
      expect(await tools.exists('/no/such/thing')).toBe(false);
      expect(tools.restartCommand).toBe('pct reboot 100');
    } finally {
      await proxmox.close();
    }
  }, 90_000);
});
