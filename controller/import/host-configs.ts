/**
 * Listing what an import reads on a Host: a folder's entries (none when it is missing or unreadable) and every
 * container config on the host's platform, in VMID / name order.
 */
import { isHostError, type Host } from '../../reconcilers/host/index.js';
import { DEFAULT_LXC_PATH, PVE_LXC_DIR, configLocation, isLxcName, isProxmoxVmid, type ConfigLocation } from '../../reconcilers/lxc-config/index.js';

/** The entries of `dir`, or `[]` when it is missing, not a folder or not readable. */
export async function listIfExists(host: Host, dir: string): Promise<string[]> {
  try {
    return await host.readdir(dir);
  } catch (err) {
    if (isHostError(err, 'ENOENT') || isHostError(err, 'ENOTDIR') || isHostError(err, 'EACCES')) return [];
    throw err;
  }
}

/** Every container config on the host's platform, in VMID / name order. */
export async function configLocations(host: Host): Promise<ConfigLocation[]> {
  if (host.platform === 'proxmox') {
    const vmids = (await listIfExists(host, PVE_LXC_DIR)).flatMap((f) => /^(\d+)\.conf$/.exec(f)?.slice(1, 2) ?? []).filter(isProxmoxVmid);
    return vmids.sort((a, b) => Number(a) - Number(b)).map((vmid) => configLocation('proxmox', vmid));
  }
  return (await listIfExists(host, DEFAULT_LXC_PATH)).filter(isLxcName).map((name) => configLocation('lxc', name));
}
