/**
 * LocalHost against the real filesystem: the shared behavioural suite under a temp root, plus what only
 * a local host can show (a tmpfs mount and unmount seen by watch and isMountpoint, exec abort).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalHost, type WatchEvent } from '../../reconcilers/host/index.js';
import { splitDeviceNumber } from '../../reconcilers/host/file-stat.js';
import { hostBehaviour } from '../support/host-behaviour.js';
import { canMount, integration } from '../support/integration.js';
import { waitUntil } from '../support/wait.js';

describe('LocalHost (temp root)', () => {
  hostBehaviour(async () => {
    const realRoot = await mkdtemp(join(tmpdir(), 'homeostat-local-'));
    const host = new LocalHost({ name: 'local-test', root: realRoot });
    return {
      host,
      realRoot,
      cleanup: async () => {
        await host.close();
        await rm(realRoot, { recursive: true, force: true });
      },
    };
  });
});

describe('LocalHost without a root', () => {
  it('stats /dev/null as char 1:3 and treats / as a mount point', async () => {
    const host = new LocalHost();
    expect(await host.stat('/dev/null')).toMatchObject({ type: 'char', rdevMajor: 1, rdevMinor: 3 });
    expect(await host.isMountpoint('/')).toBe(true);
    expect(await host.isMountpoint('/etc')).toBe(false);
    expect(await host.isMountpoint('/no/such/dir')).toBe(false);
    expect(host.resolvePath('/../etc/passwd')).toBe('/etc/passwd');
  });

  it('splits device numbers like glibc major()/minor()', () => {
    expect(splitDeviceNumber(0x103)).toEqual({ major: 1, minor: 3 });
    expect(splitDeviceNumber((226 << 8) | 128)).toEqual({ major: 226, minor: 128 });
    // makedev(0x12345, 0x6789a): the high bits live above bit 32 and bit 20.
    const dev = (0x12345n & 0xfffn) << 8n | (0x12345n & ~0xfffn) << 32n | (0x6789an & 0xffn) | (0x6789an & ~0xffn) << 12n;
    expect(splitDeviceNumber(dev)).toEqual({ major: 0x12345, minor: 0x6789a });
  });
});

const mounts = integration('tmpfs mounts', canMount(), 'mounting needs root on Linux');

mounts.describe('LocalHost and a real tmpfs mount', () => {
  let realRoot: string;
  let mounted: string | undefined;
  let host: LocalHost;

  beforeEach(async () => {
    realRoot = await mkdtemp(join(tmpdir(), 'homeostat-mount-'));
    host = new LocalHost({ name: 'mount-test', root: realRoot });
    await host.mkdir('/mnt/disk', { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'none', host.resolvePath('/mnt/disk')]);
    mounted = host.resolvePath('/mnt/disk');
  });

  afterEach(async () => {
    await host.close();
    if (mounted) execFileSync('umount', [mounted]);
    mounted = undefined;
    await rm(realRoot, { recursive: true, force: true });
  });

  it('isMountpoint sees the mount come and go', async () => {
    expect(await host.isMountpoint('/mnt/disk')).toBe(true);
    expect(await host.isMountpoint('/mnt')).toBe(false);
    execFileSync('umount', [host.resolvePath('/mnt/disk')]);
    mounted = undefined;
    expect(await host.isMountpoint('/mnt/disk')).toBe(false);
  });

  it('watch reports the unmount and keeps watching the directory afterwards', async () => {
    const events: WatchEvent[] = [];
    const handle = host.watch(['/mnt/disk', '/mnt/disk/.keepalive'], (e) => events.push(e));
    try {
      await host.writeFileAtomic('/mnt/disk/.keepalive', '');
      await waitUntil('keepalive event', () => events.some((e) => e.path === '/mnt/disk/.keepalive'), 1000);
      execFileSync('umount', [host.resolvePath('/mnt/disk')]);
      mounted = undefined;
      await waitUntil('unmount event', () => events.some((e) => e.path === '/mnt/disk' && e.kind === 'unmount'), 1000);
      const mark = events.length;
      await host.writeFileAtomic('/mnt/disk/after', 'x');
      await waitUntil('event after re-arm', () => events.slice(mark).some((e) => e.path === '/mnt/disk/after'), 1000);
    } finally {
      handle.close();
    }
  });

  it('a throwing callback does not break the watch', async () => {
    let calls = 0;
    const handle = host.watch(['/mnt/disk/a'], () => {
      calls++;
      throw new Error('callback bug');
    });
    try {
      await host.writeFileAtomic('/mnt/disk/a', '1');
      await waitUntil('first event', () => calls > 0, 1000);
      const before = calls;
      await host.writeFileAtomic('/mnt/disk/a', '2');
      await waitUntil('second event', () => calls > before, 1000);
    } finally {
      handle.close();
    }
  });
});
