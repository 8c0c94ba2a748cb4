/**
 * Where a container's config lives and which lock guards it: `/etc/pve/lxc/<vmid>.conf` under pct's lock
 * `/run/lock/lxc/pve-config-<vmid>.lock` on Proxmox, `/var/lib/lxc/<name>/config` (no lock) on plain LXC; and
 * back from such a path (inventory items name their config by path) to its location.
 */
import { posix } from 'node:path';
import type { ConfigFlavor } from './syntax.js';

export const PVE_LXC_DIR = '/etc/pve/lxc';
export const PVE_LOCK_DIR = '/run/lock/lxc';
export const DEFAULT_LXC_PATH = '/var/lib/lxc';

export interface ConfigLocation {
  flavor: ConfigFlavor;
  /** The container: a VMID on Proxmox, a name on plain LXC. */
  container: string;
  /** Host path of the config file. */
  path: string;
  /** Host path of the flock file `pct` holds while it edits the config; `null` on plain LXC. */
  lockPath: string | null;
}

/** Proxmox VMIDs are 100 to 999999999, written in decimal without leading zeros. */
export function isProxmoxVmid(container: string): boolean {
  return /^[1-9]\d{2,8}$/.test(container);
}

/** An LXC container name that is one path component. */
export function isLxcName(container: string): boolean {
  return container !== '' && container !== '.' && container !== '..' && !container.includes('/') && !/[\u0000-\u001f\u007f]/.test(container);
}

export function proxmoxConfigLocation(vmid: string): ConfigLocation {
  if (!isProxmoxVmid(vmid)) throw new Error(`"${vmid}" is not a Proxmox VMID (a number from 100 to 999999999, e.g. "100")`);
  return {
    flavor: 'proxmox',
    container: vmid,
    path: posix.join(PVE_LXC_DIR, `${vmid}.conf`),
    lockPath: posix.join(PVE_LOCK_DIR, `pve-config-${vmid}.lock`),
  };
}

export function lxcConfigLocation(name: string, lxcPath = DEFAULT_LXC_PATH): ConfigLocation {
  if (!isLxcName(name)) throw new Error(`"${name}" is not an LXC container name`);
  return { flavor: 'lxc', container: name, path: posix.join(lxcPath, name, 'config'), lockPath: null };
}

/** The config of a container on a host of this platform. Throws with a clear message for an impossible id. */
export function configLocation(platform: 'proxmox' | 'lxc', container: string): ConfigLocation {
  return platform === 'proxmox' ? proxmoxConfigLocation(container) : lxcConfigLocation(container);
}

/** The config a path names: `/etc/pve/lxc/<vmid>.conf` or `/var/lib/lxc/<name>/config`. Throws for any other path. */
export function locationOfPath(path: string): ConfigLocation {
  const pve = /^\/etc\/pve\/lxc\/(\d+)\.conf$/.exec(path);
  if (pve) return configLocation('proxmox', pve[1]!);
  const lxc = /^\/var\/lib\/lxc\/([^/]+)\/config$/.exec(path);
  if (lxc) return configLocation('lxc', lxc[1]!);
  throw new Error(`${path} is not a container config homeostat knows (/etc/pve/lxc/<vmid>.conf or /var/lib/lxc/<name>/config)`);
}
