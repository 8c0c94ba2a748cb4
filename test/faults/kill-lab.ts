/**
 * The world the kill -9 faults run in: a sandboxed Proxmox host (a `pct` stand-in over a container that does not
 * exist, so configs are edited but nothing restarts) whose `/etc/pve/lxc/100.conf` two kinds write into
 * (LxcDevice's device lines, UnifiedNamespace's `mp` share line), a UnifiedNamespace tree in the sandbox, and a
 * VpnSidecar on the real Docker engine (busybox images, unique names). Two desired states, A and B, differ in
 * every kind (a device more, a folder more and the share gone, other env on gateway and dependent), so that
 * flipping between them always gives the daemon work: lines to add and remove, folders to create, containers to
 * recreate. The daemon is the built CLI (`homeostat run`) in its own process group; `kill()` is SIGKILL to it.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateStore } from '../../controller/state/store.js';
import type { InventoryItem } from '../../reconcilers/core/contract.js';
import { ownerOf } from '../../reconcilers/vpn-sidecar/labels.js';
import { DOCKER_SOCKET, removeTestContainers, TEST_APP_IMAGE, TEST_IMAGE, testDocker, uniqueSuffix } from '../support/docker.js';
import { pctEnv } from '../support/lxc.js';

/** The built CLI, whether this file runs from test/ (vitest) or from dist/test/ (the benchmark). */
export const BIN = fileURLToPath(new URL(import.meta.url.includes('/dist/test/') ? '../../controller/cli/main.js' : '../../dist/controller/cli/main.js', import.meta.url));
export const CONF = '/etc/pve/lxc/100.conf';
export type DesiredSet = 'A' | 'B';

/** A config a person wrote: a description, their own device line, a pending section and a snapshot. */
export const ORIGINAL = [
  '#Media stack',
  'arch: amd64',
  'cores: 2',
  'hostname: media',
  'lxc.cgroup2.devices.allow: c 188:* rwm',
  'mp0: /mnt/hdd/media,mp=/srv/media',
  'rootfs: local-lvm:vm-100-disk-0,size=8G',
  '',
  '[pve:pending]',
  'memory: 4096',
  '',
  '[before-upgrade]',
  'arch: amd64',
  'snaptime: 1717171717',
  '',
].join('\n');

export interface ManagedResource {
  kind: string;
  name: string;
}

export interface KillLab {
  root: string;
  manifests: string;
  state: string;
  suffix: string;
  vpn: { resource: string; gateway: string; app: string; owner: string };
  resources: ManagedResource[];
  real(hostPath: string): string;
  readConf(): string;
  /** Writes the manifests of a desired state. */
  desire(set: DesiredSet): void;
  /** Removes the three managed resources' manifests (the keepalive fillers stay, so this is not a mass deletion). */
  deleteManaged(): void;
  startDaemon(): KillableDaemon;
  /** The CLI once (`apply`, `diff`), with a deadline. */
  homeostat(...args: string[]): { code: number | null; stdout: string; stderr: string; ms: number };
  /** The inventory of every managed resource, read from the state store (the daemon must be dead or idle). */
  inventory(): InventoryItem[];
  cleanup(): Promise<void>;
}

export interface KillableDaemon {
  /** SIGKILL to the daemon's process group; resolves once it is gone. */
  kill(): Promise<void>;
  output(): string;
}

const DEVICE_LINES = (set: DesiredSet) => (set === 'A' ? '[{ preset: tun }]' : '[{ preset: tun }, { path: /dev/fuse }]');

export function createKillLab(): KillLab {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-kill-'));
  const root = join(dir, 'root');
  const manifests = join(dir, 'manifests');
  const state = join(dir, 'state');
  for (const d of [root, manifests]) mkdirSync(d, { recursive: true });
  const real = (hostPath: string) => join(root, hostPath);
  mkdirSync(dirname(real(CONF)), { recursive: true });
  writeFileSync(real(CONF), ORIGINAL);
  chmodSync(real(CONF), 0o640);
  writeFileSync(real('/etc/pve/.standin.json'), JSON.stringify({ 100: `hs-test-absent-${process.pid}` }));
  mkdirSync(real('/dev/net'), { recursive: true });
  execFileSync('mknod', [real('/dev/net/tun'), 'c', '10', '200']);
  execFileSync('mknod', [real('/dev/fuse'), 'c', '10', '229']);
  mkdirSync(real('/etc/cron.d'), { recursive: true });

  const suffix = uniqueSuffix();
  const vpn = { resource: `kf-${suffix}`, gateway: `hs-kf-gw-${suffix}`, app: `hs-kf-app-${suffix}`, owner: ownerOf(`kf-${suffix}`) };
  const resources: ManagedResource[] = [
    { kind: 'LxcDevice', name: 'devices' },
    { kind: 'UnifiedNamespace', name: 'data' },
    { kind: 'VpnSidecar', name: vpn.resource },
  ];
  const write = (file: string, text: string) => writeFileSync(join(manifests, file), text);
  const doc = (kind: string, name: string, spec: string) => `apiVersion: homeostat.dev/v1alpha1\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}\n`;
  write('hosts.yaml', [
    doc('Host', 'local', `{ platform: proxmox, root: ${JSON.stringify(root)} }`),
    doc('Host', 'docker-local', `{ platform: lxc, docker: { socketPath: ${JSON.stringify(DOCKER_SOCKET)} } }`),
  ].join('---\n'));
  // Fillers: resources that stay, so deleting the three managed ones at the end is not a mass deletion.
  write('fillers.yaml', ['a', 'b', 'c'].map((n) => doc('StorageKeepalive', `filler-${n}`, `{ path: /mnt/filler-${n}, mode: cron, interval: 5m, requireMountpoint: false }`)).join('---\n'));
  for (const n of ['a', 'b', 'c']) mkdirSync(real(`/mnt/filler-${n}`), { recursive: true });

  const env: NodeJS.ProcessEnv = { ...pctEnv(root), HOMEOSTAT_STATE_DIR: state };
  const daemons: ChildProcess[] = [];
  const docker = testDocker();
  return {
    root,
    manifests,
    state,
    suffix,
    vpn,
    resources,
    real,
    readConf: () => readFileSync(real(CONF), 'utf8'),
    desire(set) {
      write('devices.yaml', doc('LxcDevice', 'devices', `{ container: "100", devices: ${DEVICE_LINES(set)} }`));
      write(
        'data.yaml',
        doc('UnifiedNamespace', 'data', set === 'A'
          ? '{ root: /data, layout: none, directories: [media/movies], shareInto: [{ container: "100" }] }'
          : '{ root: /data, layout: none, directories: [media/movies, media/tv], shareInto: [] }'),
      );
      write(
        'vpn.yaml',
        doc('VpnSidecar', vpn.resource, JSON.stringify({
          host: 'docker-local',
          gateway: { name: vpn.gateway, image: TEST_IMAGE, env: { FAULT_SET: set } },
          dependents: [{ name: vpn.app, image: TEST_APP_IMAGE, env: { FAULT_SET: set } }],
        })),
      );
    },
    deleteManaged() {
      for (const file of ['devices.yaml', 'data.yaml', 'vpn.yaml']) rmSync(join(manifests, file), { force: true });
    },
    startDaemon() {
      const child = spawn(process.execPath, [BIN, 'run', '--manifests', manifests, '--state', state, '--listen', '127.0.0.1:0'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group: the kill takes whatever it runs (pct, flock) with it
      });
      daemons.push(child);
      let log = '';
      child.stdout!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
      child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return {
        output: () => log,
        kill() {
          if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
            try {
              process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
          return exited;
        },
      };
    },
    homeostat(...args) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [BIN, ...args, '--manifests', manifests, '--state', state], { encoding: 'utf8', env, timeout: 120_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
    },
    inventory() {
      if (!existsSync(join(state, 'state.db'))) return [];
      const store = new StateStore(state);
      try {
        return resources.flatMap((r) => store.listInventory(r.kind, r.name));
      } finally {
        store.close();
      }
    },
    async cleanup() {
      for (const child of daemons) {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      await removeTestContainers(docker, { owners: [vpn.owner], names: [vpn.gateway, vpn.app] });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
