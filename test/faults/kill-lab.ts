/**
 * The world the kill -9 faults run in: a sandboxed Proxmox host (a `pct` stand-in over a container that does not
 * exist, so configs are edited but nothing restarts) whose `/etc/pve/lxc/100.conf` two kinds write into
 * (LxcDevice's device lines, UnifiedNamespace's `mp` share line), a UnifiedNamespace tree in the sandbox, and a
 * VpnSidecar on the real Docker engine (busybox images, unique names). Two desired states, A and B, differ in
 * every kind (a device more, a folder more and the share gone, other env on gateway and dependent), so that
 * flipping between them always gives the daemon work: lines to add and remove, folders to create, containers to
 * recreate. The daemon is the built CLI (`homeostat run`) in its own process group; `kill()` is SIGKILL to it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore } from '../../controller/state/store.js';
import type { InventoryItem } from '../../reconcilers/core/contract.js';
import { ownerOf } from '../../reconcilers/vpn-sidecar/labels.js';
import { runCli, spawnDaemon, type CliRun, type DaemonProcess } from '../support/built-cli.js';
import { DOCKER_SOCKET, removeTestContainers, TEST_APP_IMAGE, TEST_IMAGE, testDocker, uniqueSuffix } from '../support/docker.js';
import { pctEnv } from '../support/lxc.js';
import { manifestDoc } from '../support/manifests.js';
import { CT_CONF, seedStoppedCt } from '../support/pve-fixtures.js';

export type DesiredSet = 'A' | 'B';

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
  startDaemon(): DaemonProcess;
  /** The CLI once (`apply`, `diff`) on this lab's manifests and state, with a deadline. */
  homeostat(...args: string[]): CliRun;
  /** The inventory of every managed resource, read from the state store (the daemon must be dead or idle). */
  inventory(): InventoryItem[];
  cleanup(): Promise<void>;
}

const DEVICE_LINES = (set: DesiredSet) => (set === 'A' ? '[{ preset: tun }]' : '[{ preset: tun }, { path: /dev/fuse }]');

export function createKillLab(): KillLab {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-kill-'));
  const root = join(dir, 'root');
  const manifests = join(dir, 'manifests');
  const state = join(dir, 'state');
  for (const d of [root, manifests]) mkdirSync(d, { recursive: true });
  const real = (hostPath: string) => join(root, hostPath);
  seedStoppedCt(root);
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
  write('hosts.yaml', [
    manifestDoc('Host', 'local', { platform: 'proxmox', root }),
    manifestDoc('Host', 'docker-local', { platform: 'lxc', docker: { socketPath: DOCKER_SOCKET } }),
  ].join('---\n'));
  // Fillers: resources that stay, so deleting the three managed ones at the end is not a mass deletion.
  write('fillers.yaml', ['a', 'b', 'c'].map((n) => manifestDoc('StorageKeepalive', `filler-${n}`, `{ path: /mnt/filler-${n}, mode: cron, interval: 5m, requireMountpoint: false }`)).join('---\n'));
  for (const n of ['a', 'b', 'c']) mkdirSync(real(`/mnt/filler-${n}`), { recursive: true });

  const env: NodeJS.ProcessEnv = { ...pctEnv(root), HOMEOSTAT_STATE_DIR: state };
  const daemons: DaemonProcess[] = [];
  const docker = testDocker();
  return {
    root,
    manifests,
    state,
    suffix,
    vpn,
    resources,
    real,
    readConf: () => readFileSync(real(CT_CONF), 'utf8'),
    desire(set) {
      write('devices.yaml', manifestDoc('LxcDevice', 'devices', `{ container: "100", devices: ${DEVICE_LINES(set)} }`));
      write(
        'data.yaml',
        manifestDoc('UnifiedNamespace', 'data', set === 'A'
          ? '{ root: /data, layout: none, directories: [media/movies], shareInto: [{ container: "100" }] }'
          : '{ root: /data, layout: none, directories: [media/movies, media/tv], shareInto: [] }'),
      );
      write(
        'vpn.yaml',
        manifestDoc('VpnSidecar', vpn.resource, {
          host: 'docker-local',
          gateway: { name: vpn.gateway, image: TEST_IMAGE, env: { FAULT_SET: set } },
          dependents: [{ name: vpn.app, image: TEST_APP_IMAGE, env: { FAULT_SET: set } }],
        }),
      );
    },
    deleteManaged() {
      for (const file of ['devices.yaml', 'data.yaml', 'vpn.yaml']) rmSync(join(manifests, file), { force: true });
    },
    startDaemon() {
      const daemon = spawnDaemon(['--manifests', manifests, '--state', state, '--listen', '127.0.0.1:0'], env);
      daemons.push(daemon);
      return daemon;
    },
    homeostat: (...args) => runCli([...args, '--manifests', manifests, '--state', state], env),
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
      await Promise.all(daemons.map((daemon) => daemon.kill()));
      await removeTestContainers(docker, { owners: [vpn.owner], names: [vpn.gateway, vpn.app] });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
