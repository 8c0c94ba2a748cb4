/**
 * LxcDevice's observation: the container's config (refusing too large ones), the spec's devices as the host
 * has them (type and numbers from `stat`, QuickSync's nodes from listing /dev/dri), the device cgroup key the
 * host's LXC enforces, whether the container runs, and the configs of containers the inventory still has lines
 * in. Problems only a human can fix are Stalled: a container that does not exist, a device missing on the host,
 * a spec the platform cannot carry.
 */
import { StalledError, type ReconcileContext } from '../core/contract.js';
import { errorMessage } from '../core/problem.js';
import { isHostError, sharedHostFact, type Host } from '../host/index.js';
import {
  CGROUP1_ALLOW_KEY,
  CGROUP2_ALLOW_KEY,
  configLocation,
  containerTools,
  isConfigReadError,
  isProxmoxVmid,
  linesByPath,
  locationOfPath,
  readConfig,
  type ConfigLocation,
  type ConfigSnapshot,
} from '../lxc-config/index.js';
import type { DeviceMount, HostDevice, LxcDeviceObserved, LxcDeviceStallReason, ResolvedDevices } from './model.js';
import { PRESETS } from './presets.js';
import type { LxcDeviceSpec } from './spec.js';

type Ctx = ReconcileContext<LxcDeviceSpec>;

/** Stalled with one of LxcDevice's reasons. */
const stalled = (reason: LxcDeviceStallReason, message: string, cause?: unknown) =>
  new StalledError(reason, message, cause === undefined ? undefined : { cause });

export async function observeLxcDevice(ctx: Ctx): Promise<LxcDeviceObserved> {
  const spec = ctx.resource.spec;
  const host = ctx.host;
  const location = locationFor(spec, host);
  const others = [...linesByPath(ctx.inventory, host.name).keys()].filter((path) => path !== location.path);
  // Every read at once (over SSH they share round trips); a missing config is reported before anything else.
  const [config, devices, cgroupKey, container, ...otherSnapshots] = await inOrder([
    readOrStall(host, location, ctx.signal),
    resolveDevices(spec, host),
    deviceCgroupKey(host, ctx.signal),
    containerTools(host, host.platform, spec.container).state(ctx.signal),
    ...others.map((path) => readOrStall(host, locationOfPath(path), ctx.signal)),
  ] as const);
  if (config === null) {
    throw stalled(
      'ContainerNotFound',
      `container ${spec.container} does not exist on host ${host.name}: ${location.path} is missing`,
    );
  }
  const otherConfigs: Record<string, ConfigSnapshot | null> = Object.fromEntries(others.map((path, i) => [path, otherSnapshots[i] ?? null]));
  return { platform: host.platform, config, devices, cgroupKey, container, otherConfigs };
}

/**
 * Awaits every promise (none is left running), then answers as the sequential reads did: a missing config
 * (`null` first) before any other failure, else the first failure in order, else every value.
 */
async function inOrder<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const first = settled[0];
  if (first?.status === 'fulfilled' && first.value === null) return settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined)) as unknown as T;
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** The config of `spec.container` on this host's platform; Stalled/InvalidSpec when it cannot be one. */
export function locationFor(spec: LxcDeviceSpec, host: Pick<Host, 'name' | 'platform'>): ConfigLocation {
  if (host.platform === 'proxmox' && !isProxmoxVmid(spec.container)) {
    throw stalled(
      'InvalidSpec',
      `spec.container: "${spec.container}" is not a Proxmox VMID (host ${host.name} is a Proxmox host: use the number, e.g. "100")`,
    );
  }
  if (host.platform === 'lxc' && spec.style === 'dev') {
    throw stalled(
      'InvalidSpec',
      `spec.style: dev writes Proxmox devN entries, but host ${host.name} is plain LXC (platform: lxc): use style raw`,
    );
  }
  try {
    return configLocation(host.platform, spec.container);
  } catch (err) {
    throw stalled('InvalidSpec', `spec.container: ${errorMessage(err)}`, err);
  }
}

export async function readOrStall(host: Host, location: ConfigLocation, signal?: AbortSignal): Promise<ConfigSnapshot | null> {
  try {
    return await readConfig(host, location, { signal });
  } catch (err) {
    if (isConfigReadError(err)) throw stalled(err.reason, err.message, err);
    throw err;
  }
}

/** Each spec entry's device nodes and the mounts that show them in the container. */
export async function resolveDevices(spec: LxcDeviceSpec, host: Host): Promise<ResolvedDevices> {
  const nodes: HostDevice[] = [];
  const mounts: DeviceMount[] = [];
  const skipped: string[] = [];
  for (const [i, entry] of spec.devices.entries()) {
    const at = `spec.devices[${i}]`;
    const preset = entry.preset !== undefined ? PRESETS[entry.preset] : undefined;
    if (entry.preset !== undefined && !preset) throw stalled('InvalidSpec', `${at}.preset: unknown preset "${entry.preset}"`);
    let paths: string[];
    if (preset?.dir) {
      const { path: dir, match } = preset.dir;
      paths = (await readdirIfExists(host, dir)).filter((name) => match.test(name)).map((name) => `${dir}/${name}`);
      if (paths.length === 0) {
        if (entry.optional) {
          skipped.push(dir);
          continue;
        }
        throw stalled(
          'DeviceNotFound',
          `${at} (preset ${entry.preset}): no ${match.source} nodes in ${dir} on host ${host.name} (is the GPU driver loaded?)`,
        );
      }
    } else {
      paths = preset?.paths ?? [entry.path!];
    }
    const found: HostDevice[] = [];
    for (const path of paths) {
      const st = await host.stat(path);
      if (st === null) {
        if (entry.optional) {
          skipped.push(path);
          continue;
        }
        throw stalled('DeviceNotFound', `${at}: ${path} does not exist on host ${host.name}`);
      }
      if (st.type !== 'char' && st.type !== 'block') {
        throw stalled('NotADevice', `${at}: ${path} on host ${host.name} is a ${st.type}, not a character or block device`);
      }
      found.push({ path, type: st.type === 'char' ? 'c' : 'b', major: st.rdevMajor, minor: st.rdevMinor });
    }
    for (const device of found) if (!nodes.some((n) => n.path === device.path)) nodes.push(device);
    const covers = found.map((d) => d.path);
    if (found.length === 0) continue;
    if (preset?.mountDir && preset.dir) {
      // The lab's line: the whole folder, optional, so that a missing driver never keeps the container down.
      addMount(mounts, { source: preset.dir.path, create: 'dir', optional: true, covers });
    } else {
      for (const path of covers) addMount(mounts, { source: path, create: 'file', optional: entry.optional, covers: [path] });
    }
  }
  return { nodes, mounts, skipped };
}

function addMount(mounts: DeviceMount[], mount: DeviceMount): void {
  const same = mounts.find((m) => m.source === mount.source);
  if (!same) mounts.push(mount);
  else {
    same.optional &&= mount.optional;
    for (const c of mount.covers) if (!same.covers.includes(c)) same.covers.push(c);
  }
}

async function readdirIfExists(host: Host, dir: string): Promise<string[]> {
  try {
    return await host.readdir(dir);
  } catch (err) {
    if (isHostError(err, 'ENOENT') || isHostError(err, 'ENOTDIR')) return [];
    throw err;
  }
}

/** A host's cgroup hierarchy changes only with a reboot: read once per host for this long, shared. */
const CGROUP_KEY_TTL_MS = 10 * 60_000;

/**
 * Proxmox VE 7+ runs cgroup v2 only: `lxc.cgroup2.devices.allow`. Plain LXC enforces whichever hierarchy the
 * host's devices controller is on: v2 when /sys/fs/cgroup is cgroup2fs, else v1's `lxc.cgroup.devices.allow`.
 */
export async function deviceCgroupKey(host: Host, signal?: AbortSignal): Promise<string> {
  if (host.platform === 'proxmox') return CGROUP2_ALLOW_KEY;
  signal?.throwIfAborted();
  return sharedHostFact(host, 'device-cgroup-key', CGROUP_KEY_TTL_MS, async () => {
    const result = await host.exec(['stat', '-f', '-c', '%T', '/sys/fs/cgroup'], { timeoutMs: 10_000 });
    if (result.code !== 0) return CGROUP2_ALLOW_KEY;
    return result.stdout.trim() === 'cgroup2fs' ? CGROUP2_ALLOW_KEY : CGROUP1_ALLOW_KEY;
  });
}
