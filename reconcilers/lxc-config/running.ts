/**
 * Which containers of a host run, read once per host and shared by every resource of that host for a short
 * time (RUNNING_FACT_TTL_MS), from a cheap source instead of one tool call per container:
 *
 * - Proxmox VE 7+ (cgroup v2, its only mode since 7.0): a running CT <vmid> has the cgroup `/sys/fs/cgroup/lxc/<vmid>`,
 *   made by LXC when it starts and removed when it stops. One listing of `/sys/fs/cgroup/lxc` (a file operation: a
 *   syscall locally, one request to the remote helper over SSH) answers for every CT; `pct` is left for actions
 *   (start, reboot, exec), each of which costs a Perl start-up of a large part of a second.
 * - plain LXC: one `lxc-ls -P <lxcpath> --running -1` for every container of that lxcpath.
 *
 * After an action that changes it (start, restart) the fact is forgotten, so the next asker reads it again.
 */
import { forgetHostFact, isHostError, sharedHostFact, type Host, type HostPlatform } from '../host/index.js';
import { runToolChecked } from './tool.js';
import { DEFAULT_LXC_PATH, isProxmoxVmid } from './paths.js';

/** How long one reading of a host's running containers is shared. */
export const RUNNING_FACT_TTL_MS = 1_000;
/** Where Proxmox VE's LXC puts a running CT's cgroup. */
export const PVE_CGROUP_DIR = '/sys/fs/cgroup/lxc';

const factKey = (platform: HostPlatform) => `running-containers:${platform}`;

/** The names (VMIDs on Proxmox) of the host's running containers. */
export function runningContainers(host: Host, platform: HostPlatform): Promise<ReadonlySet<string>> {
  return sharedHostFact(host, factKey(platform), RUNNING_FACT_TTL_MS, () => (platform === 'proxmox' ? readPveCgroups(host) : listRunningLxc(host)));
}

/** Forget what was read: a container was started, stopped or restarted. */
export function forgetRunningContainers(host: Host, platform: HostPlatform): void {
  forgetHostFact(host, factKey(platform));
}

async function readPveCgroups(host: Host): Promise<ReadonlySet<string>> {
  try {
    return new Set((await host.readdir(PVE_CGROUP_DIR)).filter(isProxmoxVmid));
  } catch (err) {
    // No CT has run since boot (LXC makes the folder with the first one).
    if (isHostError(err, 'ENOENT')) return new Set();
    throw err;
  }
}

async function listRunningLxc(host: Host): Promise<ReadonlySet<string>> {
  const argv = ['lxc-ls', '-P', host.resolvePath(DEFAULT_LXC_PATH), '--running', '-1'];
  const result = await runToolChecked(host, argv, 'which containers run', { timeoutMs: 30_000 });
  return new Set(result.stdout.split('\n').map((line) => line.trim()).filter((name) => name !== ''));
}
