/**
 * Which containers run, read once per host and shared: many resources asking at once cost one reading (one
 * `lxc-ls` on plain LXC; on Proxmox one listing of /sys/fs/cgroup/lxc and no `pct` at all), kept for a short
 * time, read again after an action (start, restart) or once the time has passed.
 */
import { mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LocalHost, type ExecOptions, type ExecResult } from '../../reconcilers/host/index.js';
import { containerTools, PVE_CGROUP_DIR, RUNNING_FACT_TTL_MS } from '../../reconcilers/lxc-config/index.js';
import { integration } from '../support/integration.js';
import { createTestContainer, destroyAllTestContainers, lxcAvailable, type TestContainer } from '../support/lxc.js';

const lxc = integration('lxc', lxcAvailable(), 'needs root, lxc-create/lxc-start and the busybox template');

/** A real LocalHost that counts what it runs and lists. */
class CountingHost extends LocalHost {
  readonly execs: string[] = [];
  readdirs = 0;
  override exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    this.execs.push(argv[0]!);
    return super.exec(argv, opts);
  }
  override readdir(path: string): Promise<string[]> {
    this.readdirs++;
    return super.readdir(path);
  }
}

const roots: string[] = [];
const containers: TestContainer[] = [];
afterEach(async () => {
  for (const ct of containers.splice(0)) await ct.destroy();
  roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true }));
});
afterAll(() => destroyAllTestContainers());

describe('running containers on Proxmox: the cgroup tree', () => {
  it('fifty resources asking at once cost one listing and no pct; a new reading after the TTL or an action', async () => {
    const root = mkdtempSync(join(tmpdir(), 'homeostat-running-'));
    roots.push(root);
    const host = new CountingHost({ name: 'pve', root, platform: 'proxmox' });
    try {
      mkdirSync(join(root, PVE_CGROUP_DIR, '101'), { recursive: true });
      mkdirSync(join(root, PVE_CGROUP_DIR, 'lxc.monitor'), { recursive: true });
      const vmids = Array.from({ length: 50 }, (_, i) => String(100 + i));
      const states = await Promise.all(vmids.map((v) => containerTools(host, 'proxmox', v).state()));
      expect(states.filter((s) => s.running)).toHaveLength(1);
      expect(states[1]).toEqual({ running: true });
      expect(host.readdirs).toBe(1);
      expect(host.execs).toEqual([]);

      // A CT stopping behind homeostat's back is seen once the shared reading is older than its TTL.
      rmdirSync(join(root, PVE_CGROUP_DIR, '101'));
      expect(await containerTools(host, 'proxmox', '101').state()).toEqual({ running: true });
      await new Promise((r) => setTimeout(r, RUNNING_FACT_TTL_MS + 50));
      expect(await containerTools(host, 'proxmox', '101').state()).toEqual({ running: false });
      expect(host.readdirs).toBe(2);

      // No CT has run since boot: no folder at all.
      rmSync(join(root, PVE_CGROUP_DIR), { recursive: true });
      await new Promise((r) => setTimeout(r, RUNNING_FACT_TTL_MS + 50));
      expect(await containerTools(host, 'proxmox', '100').state()).toEqual({ running: false });
    } finally {
      await host.close();
    }
  });
});

lxc.describe('running containers on plain LXC: one lxc-ls', () => {
  lxc.it('many asking at once cost one lxc-ls; starting a container forgets the reading', async () => {
    const ct = await createTestContainer();
    containers.push(ct);
    const host = new CountingHost({ name: 'lxc', platform: 'lxc' });
    try {
      const tools = containerTools(host, 'lxc', ct.name);
      const states = await Promise.all(Array.from({ length: 20 }, () => tools.state()));
      expect(states.every((s) => !s.running)).toBe(true);
      expect(host.execs.filter((p) => p === 'lxc-ls')).toHaveLength(1);
      expect(host.execs.filter((p) => p === 'lxc-info')).toHaveLength(0);
      await tools.start();
      expect(await tools.state()).toEqual({ running: true });
      expect(host.execs.filter((p) => p === 'lxc-ls')).toHaveLength(2);
    } finally {
      await host.close();
    }
  }, 90_000);
});
