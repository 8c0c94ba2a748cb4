/**
 * Proxmox's running-state folder in the stand-in world: `<root>/sys/fs/cgroup/lxc/<vmid>/` exists exactly while
 * the real container behind CT <vmid> runs, whoever starts or stops it (pct, plain lxc-start/lxc-stop, a crash),
 * and `pct status` agrees with it at every step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { integration } from '../support/integration.js';
import {
  createTestContainer,
  destroyAllTestContainers,
  linkPctContainer,
  lxcAvailable,
  pctCgroupFolder,
  runPct,
  type TestContainer,
} from '../support/lxc.js';

const lxc = integration('lxc', lxcAvailable(), 'needs root, lxc-create and the busybox template (apt install lxc busybox-static)');
const roots: string[] = [];

const freshRoot = (): string => {
  const root = mkdtempSync(join(tmpdir(), 'hs-cgroup-root-'));
  roots.push(root);
  return root;
};

/** CT `vmid` of a fresh sandbox root, standing for a fresh (stopped) real container. */
async function linkedCt(vmid = '100'): Promise<{ root: string; container: TestContainer; folder: string }> {
  const root = freshRoot();
  const container = await createTestContainer();
  linkPctContainer(root, vmid, container);
  return { root, container, folder: pctCgroupFolder(root, vmid) };
}

/** The folder, `pct status` and the real container all say `running` (or all say stopped). */
async function expectRunning(root: string, vmid: string, container: TestContainer, running: boolean): Promise<void> {
  expect(existsSync(pctCgroupFolder(root, vmid)), 'folder').toBe(running);
  expect(await runPct(root, ['status', vmid])).toEqual({ code: 0, stdout: `status: ${running ? 'running' : 'stopped'}\n`, stderr: '' });
  expect(container.state()).toBe(running ? 'RUNNING' : 'STOPPED');
}

/** Counts create/remove events of `folder` in its parent until the returned function is called. */
function countFolderEvents(folder: string): () => number {
  let events = 0;
  const watcher = watch(dirname(folder), (_event, name) => {
    if (name === basename(folder)) events++;
  });
  return () => {
    watcher.close();
    return events;
  };
}

lxc.describe('the pct stand-in emulates /sys/fs/cgroup/lxc/<vmid>/', () => {
  afterAll(async () => {
    await destroyAllTestContainers();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  lxc.it('appears on pct start and goes on pct stop and pct shutdown; the parent folder stays', async () => {
    const { root, container, folder } = await linkedCt();
    expect(existsSync(dirname(folder))).toBe(true);
    await expectRunning(root, '100', container, false);
    expect((await runPct(root, ['start', '100'])).code).toBe(0);
    await expectRunning(root, '100', container, true);
    expect((await runPct(root, ['stop', '100'])).code).toBe(0);
    await expectRunning(root, '100', container, false);
    expect((await runPct(root, ['start', '100'])).code).toBe(0);
    expect((await runPct(root, ['shutdown', '100', '--timeout', '20'])).code).toBe(0);
    await expectRunning(root, '100', container, false);
    expect(existsSync(dirname(folder))).toBe(true);
  });

  lxc.it('is removed and made again by a pct reboot', async () => {
    const { root, container, folder } = await linkedCt();
    await runPct(root, ['start', '100']);
    const events = countFolderEvents(folder);
    expect((await runPct(root, ['reboot', '100'])).code).toBe(0);
    expect(events()).toBeGreaterThanOrEqual(2); // removed (stop hook), then made (start-host)
    await expectRunning(root, '100', container, true);
  });

  lxc.it('follows plain lxc-start and lxc-stop, and a crash of the container', async () => {
    const { root, container } = await linkedCt();
    await container.start();
    await expectRunning(root, '100', container, true);
    await container.stop();
    await expectRunning(root, '100', container, false);
    await container.start();
    const init = spawnSync('lxc-info', ['-n', container.name, '-p', '-H'], { encoding: 'utf8' }).stdout.trim();
    process.kill(Number(init), 'SIGKILL'); // the container's init dies: LXC's monitor stops it
    expect(spawnSync('lxc-wait', ['-n', container.name, '-s', 'STOPPED', '-t', '10']).status).toBe(0);
    await expectRunning(root, '100', container, false);
  });

  lxc.it('a container running when linked gets its folder at once, and loses it when it stops', async () => {
    const root = freshRoot();
    const container = await createTestContainer();
    await container.start();
    linkPctContainer(root, '100', container);
    await expectRunning(root, '100', container, true);
    await container.stop();
    await expectRunning(root, '100', container, false);
  });

  lxc.it('one container can stand for CTs of two roots; a CT linked to another container no longer follows the first', async () => {
    const { root: rootA, container: first } = await linkedCt();
    const rootB = freshRoot();
    linkPctContainer(rootB, '205', first);
    await first.start();
    expect(existsSync(pctCgroupFolder(rootA, '100')) && existsSync(pctCgroupFolder(rootB, '205'))).toBe(true);

    const second = await createTestContainer();
    linkPctContainer(rootA, '100', second); // CT 100 of rootA is now `second`, which is stopped
    await expectRunning(rootA, '100', second, false);
    await first.stop();
    await first.start();
    expect(existsSync(pctCgroupFolder(rootA, '100'))).toBe(false);
    expect(existsSync(pctCgroupFolder(rootB, '205'))).toBe(true);
    await second.start();
    await expectRunning(rootA, '100', second, true);
    await first.stop();
    expect(existsSync(pctCgroupFolder(rootB, '205'))).toBe(false);
  });

  lxc.it('never recreates a deleted sandbox root, and leaves the real config with exactly two hook lines', async () => {
    const { root, container } = await linkedCt();
    rmSync(root, { recursive: true, force: true });
    await container.start();
    expect(existsSync(root)).toBe(false);
    await container.stop();
    const hooks = readFileSync(container.configPath, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('lxc.hook.'));
    expect(hooks.map((line) => line.split(' = ')[0])).toEqual(['lxc.hook.start-host', 'lxc.hook.stop']);
  });

  lxc.it('refuses to link a running container started without the hooks (its LXC monitor would keep the folder)', async () => {
    const root = freshRoot();
    const container = await createTestContainer();
    const config = readFileSync(container.configPath, 'utf8');
    writeFileSync(container.configPath, config.split('\n').filter((line) => !line.startsWith('lxc.hook.')).join('\n'));
    await container.start();
    expect(() => linkPctContainer(root, '100', container)).toThrow(/link it while it is stopped/);
    expect(existsSync(pctCgroupFolder(root, '100'))).toBe(false);
  });
});
