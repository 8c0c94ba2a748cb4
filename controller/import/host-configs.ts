/**
 * Listing what an import reads on a Host: a folder's entries (none when it is missing or unreadable) and every
 * container config on the host's platform, in VMID / name order, read once (in parallel: over SSH the reads of a
 * tick share round trips) for every part of the import.
 */
import { isHostError, type Host } from '../../reconcilers/host/index.js';
import { mapLimited } from '../../reconcilers/core/map-limited.js';
import {
  DEFAULT_LXC_PATH,
  PVE_LXC_DIR,
  configLocation,
  isLxcName,
  isProxmoxVmid,
  readConfig,
  type ConfigLocation,
  type ConfigSnapshot,
} from '../../reconcilers/lxc-config/index.js';

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

/** One container config as the import read it: its snapshot, or why it could not be read. Gone ones are left out. */
export type ReadHostConfig = { location: ConfigLocation; snapshot: ConfigSnapshot } | { location: ConfigLocation; error: unknown };

/** Reads at once; enough to fill a helper batch, bounded for a host with thousands of containers. */
const CONFIG_READS_AT_ONCE = 64;

/** Every container config on the host, read once, in VMID / name order. */
export async function readHostConfigs(host: Host, signal?: AbortSignal): Promise<ReadHostConfig[]> {
  const read = await mapLimited(await configLocations(host), CONFIG_READS_AT_ONCE, async (location): Promise<ReadHostConfig | null> => {
    try {
      const snapshot = await readConfig(host, location, signal ? { signal } : {});
      return snapshot === null ? null : { location, snapshot };
    } catch (error) {
      return { location, error };
    }
  });
  return read.filter((c): c is ReadHostConfig => c !== null);
}
