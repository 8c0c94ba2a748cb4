/**
 * A throwaway sandbox for UnifiedNamespace integration tests: a folder standing in for `/` of a LocalHost, with
 * real tmpfs mounts (and bind mounts) made inside it. `cleanup()` unmounts each mount it made, by path, deepest
 * first, then removes the folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost, splitDeviceNumber, type HostPlatform } from '../../reconcilers/host/index.js';

export interface Sandbox {
  dir: string;
  host: LocalHost;
  /** Real path for a host path. */
  real(hostPath: string): string;
  /** A fresh tmpfs at the host path. */
  mountTmpfs(hostPath: string, size?: string): void;
  /** Bind-mounts a host path onto another (same filesystem, separate mount). */
  bind(fromHostPath: string, toHostPath: string): void;
  unmount(hostPath: string): void;
  /** `major:minor` of the filesystem holding a host path. */
  device(hostPath: string): string;
  cleanup(): Promise<void>;
}

export function createSandbox(opts: { platform?: HostPlatform } = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-un-'));
  const host = new LocalHost({ name: 'pve', root: dir, platform: opts.platform ?? 'proxmox' });
  const mounts: string[] = [];
  const real = (hostPath: string) => join(dir, hostPath);
  const mount = (args: string[], at: string) => {
    mkdirSync(real(at), { recursive: true });
    execFileSync('mount', [...args, real(at)]);
    mounts.push(real(at));
  };
  return {
    dir,
    host,
    real,
    mountTmpfs: (hostPath, size = '4m') => mount(['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'homeostat-un-test'], hostPath),
    bind: (from, to) => mount(['--bind', real(from)], to),
    unmount(hostPath) {
      execFileSync('umount', [real(hostPath)]);
      mounts.splice(mounts.lastIndexOf(real(hostPath)), 1);
    },
    device(hostPath) {
      const { major, minor } = splitDeviceNumber(statSync(real(hostPath)).dev);
      return `${major}:${minor}`;
    },
    async cleanup() {
      await host.close();
      for (const at of mounts.reverse()) {
        try {
          execFileSync('umount', ['-l', at]);
        } catch {
          // already unmounted
        }
      }
      mounts.length = 0;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
