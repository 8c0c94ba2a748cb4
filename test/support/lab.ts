/**
 * A throwaway lab for controller tests: a manifests folder (optionally a git repository), a sandbox root
 * standing in for `/` of the host, a state directory, and real tmpfs "disks" mounted inside the root.
 * `cleanup()` unmounts every mount it made (by path) and removes the folders.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startDaemon, type Daemon, type DaemonOptions } from '../../controller/runtime/daemon.js';
import { listResourceViews, type ResourceView } from '../../controller/status/views.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import { allReconcilers } from '../../reconcilers/index.js';

export interface TestLab {
  dir: string;
  manifests: string;
  root: string;
  state: string;
  /** Real path inside the sandbox root for a host path. */
  real(hostPath: string): string;
  writeManifest(file: string, text: string): void;
  removeManifest(file: string): void;
  /** Mounts a fresh tmpfs at the host path (inside root). */
  mountDisk(hostPath: string): void;
  unmountDisk(hostPath: string): void;
  git(...args: string[]): string;
  cleanup(): void;
}

export function createLab(opts: { git?: boolean } = {}): TestLab {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-lab-'));
  const manifests = join(dir, 'manifests');
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  for (const d of [manifests, root, join(root, 'etc/cron.d'), join(root, 'mnt/hdd')]) mkdirSync(d, { recursive: true });
  const mounts = new Set<string>();
  const real = (hostPath: string) => join(root, hostPath);
  const git = (...args: string[]) => execFileSync('git', ['-C', manifests, ...args], { encoding: 'utf8' });
  if (opts.git) {
    git('init', '-q');
    git('config', 'user.email', 'test@homeostat.invalid');
    git('config', 'user.name', 'homeostat test');
  }
  return {
    dir,
    manifests,
    root,
    state,
    real,
    writeManifest(file, text) {
      mkdirSync(dirname(join(manifests, file)), { recursive: true });
      writeFileSync(join(manifests, file), text);
    },
    removeManifest(file) {
      rmSync(join(manifests, file), { force: true });
    },
    mountDisk(hostPath) {
      mkdirSync(real(hostPath), { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'homeostat-test', real(hostPath)]);
      mounts.add(real(hostPath));
    },
    unmountDisk(hostPath) {
      execFileSync('umount', [real(hostPath)]);
      mounts.delete(real(hostPath));
    },
    git,
    cleanup() {
      for (const mount of mounts) {
        try {
          execFileSync('umount', ['-l', mount]);
        } catch {
          // already unmounted
        }
      }
      mounts.clear();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function hostManifest(name: string, root: string, extra = ''): string {
  return `apiVersion: homeostat.dev/v1alpha1
kind: Host
metadata:
  name: ${name}
spec:
  platform: lxc
  root: ${root}
${extra}`;
}

export function keepaliveManifest(name: string, spec: Record<string, string | boolean>, annotations: Record<string, string> = {}): string {
  const specLines = Object.entries(spec).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`);
  const annotationLines = Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`);
  return [
    'apiVersion: homeostat.dev/v1alpha1',
    'kind: StorageKeepalive',
    'metadata:',
    `  name: ${name}`,
    ...(annotationLines.length ? ['  annotations:', ...annotationLines] : []),
    'spec:',
    ...specLines,
    '',
  ].join('\n');
}

/** Starts the real daemon on a lab (all reconcilers, silent logs, HTTP on a free loopback port). */
export async function startLabDaemon(lab: TestLab, overrides: Partial<DaemonOptions> = {}): Promise<Daemon> {
  return startDaemon({
    manifestsDir: lab.manifests,
    stateDir: lab.state,
    log: silentLogger,
    reconcilers: allReconcilers,
    listen: { host: '127.0.0.1', port: 0 },
    resyncMs: 60_000,
    drainMs: 2_000,
    ...overrides,
  });
}

/** The status view of one resource (`KIND/NAME`) as `homeostat get` shows it, or undefined. */
export function viewOf(daemon: Daemon, key: string): ResourceView | undefined {
  return listResourceViews(daemon.store).find((v) => `${v.kind}/${v.name}` === key);
}
