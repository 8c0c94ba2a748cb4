/**
 * `npm start` seeds the sandbox the demo manifests (manifests/sandbox) point at: `.sandbox/root` inside the checkout
 * stands in for `/` of the machine (the sandbox Host's `root`), so the controller never touches the real root.
 * What it seeds: the folders StorageKeepalive and UnifiedNamespace work in, and Proxmox CT 100's config as a person
 * wrote it (a description, QuickSync lines pasted by hand, a pending change and a snapshot) for LxcDevice. As root it
 * also makes the device nodes LxcDevice reads (/dev/net/tun, /dev/dri/*) with mknod; as another user it cannot, and
 * says so (LxcDevice then reports DeviceNotFound). Idempotent: it only creates what is missing, never rewrites.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** CT 100's config in the sandbox, as a host path. */
export const SANDBOX_CT_CONF = '/etc/pve/lxc/100.conf';

/** CT 100's config as a person wrote it: what LxcDevice edits, keeping every other byte. */
export const SANDBOX_CT_CONFIG = [
  '#Media stack%3A Jellyfin, Sonarr, Radarr',
  '#',
  '#Hardware transcoding via QuickSync (pasted by hand, see wiki)',
  'arch: amd64',
  'cores: 4',
  'features: keyctl=1,nesting=1',
  'hostname: media',
  'memory: 4096',
  'mp0: /mnt/hdd/data,mp=/data',
  'net0: name=eth0,bridge=vmbr0,firewall=1,gw=192.168.1.1,hwaddr=BC:24:11:5A:3C:9E,ip=192.168.1.50/24,type=veth',
  'onboot: 1',
  'ostype: debian',
  'parent: before-upgrade',
  'rootfs: local-lvm:vm-100-disk-0,size=16G',
  'swap: 512',
  'unprivileged: 1',
  'lxc.cgroup2.devices.allow: c 226:0 rwm',
  'lxc.cgroup2.devices.allow: c 226:128 rwm',
  'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir',
  'lxc.idmap: u 0 100000 65536',
  'lxc.idmap: g 0 100000 65536',
  '',
  '[pve:pending]',
  'memory: 8192',
  '',
  '[before-upgrade]',
  'arch: amd64',
  'cores: 4',
  'hostname: media',
  'memory: 4096',
  'ostype: debian',
  'rootfs: local-lvm:vm-100-disk-0,size=16G',
  'snaptime: 1717171717',
  'unprivileged: 1',
  '',
].join('\n');

/** The device nodes the sandbox's LxcDevice reads: QuickSync's and WireGuard's, with their usual numbers. */
export const SANDBOX_DEVICES: ReadonlyArray<{ path: string; major: number; minor: number }> = [
  { path: '/dev/dri/card0', major: 226, minor: 0 },
  { path: '/dev/dri/renderD128', major: 226, minor: 128 },
  { path: '/dev/net/tun', major: 10, minor: 200 },
];

const FOLDERS = ['mnt/hdd', 'etc/cron.d', 'etc/pve/lxc', 'data'];

export interface SandboxSeed {
  root: string;
  /** Device nodes that are missing and could not be made (not root). */
  missingDevices: string[];
}

/** Seeds `root` (idempotent): folders, CT 100's config (mode 0640, as pct writes it), device nodes when root. */
export function seedSandbox(root: string): SandboxSeed {
  for (const dir of FOLDERS) mkdirSync(join(root, dir), { recursive: true });
  const conf = join(root, SANDBOX_CT_CONF);
  if (!existsSync(conf)) {
    writeFileSync(conf, SANDBOX_CT_CONFIG, { mode: 0o640 });
    chmodSync(conf, 0o640);
  }
  const missingDevices: string[] = [];
  const isRoot = process.getuid?.() === 0;
  for (const device of SANDBOX_DEVICES) {
    const real = join(root, device.path);
    if (existsSync(real)) continue;
    if (!isRoot) {
      missingDevices.push(device.path);
      continue;
    }
    mkdirSync(dirname(real), { recursive: true });
    execFileSync('mknod', ['-m', '0666', real, 'c', String(device.major), String(device.minor)], { timeout: 10_000 });
  }
  return { root, missingDevices };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seed = seedSandbox(resolve(process.argv[2] ?? '.sandbox/root'));
  process.stdout.write(`sandbox root ready: ${seed.root}\n`);
  if (seed.missingDevices.length > 0) {
    process.stdout.write(
      `  not made (mknod needs root): ${seed.missingDevices.join(', ')}; LxcDevice/media-passthrough will say DeviceNotFound ` +
        `until they exist (run \`sudo npm start\` once, or mknod them under ${seed.root})\n`,
    );
  }
}
