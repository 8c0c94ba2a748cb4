/**
 * What the config must grant for the spec's devices, as lines (pure), and which existing lines already grant
 * it. `style: raw`: one device cgroup rule per node (`c 226:128 rwm`) and bind mounts (the /dev/dri folder for
 * QuickSync, each node otherwise); `style: dev`: one Proxmox `devN:` entry per node with gid/uid/mode.
 *
 * A human's line counts as granting when it does so by the owning tool's rules: a rule allowing at least `rw`
 * on the device (wildcards and `a` included), a bind mount of the node or a folder above it to the same place,
 * or (Proxmox) a `devN` for the same path. For style dev the human's `devN` must also carry the spec's
 * gid/uid/mode; one for the same path that does not is a conflict only a human can settle.
 */
import { StalledError } from '../core/contract.js';
import {
  formatDeviceRule,
  formatEntry,
  formatPropertyString,
  indexedKey,
  mountExposes,
  parseDeviceRule,
  parseMountEntry,
  parsePropertyString,
  ruleAllows,
  type ConfigEntry,
  type ConfigFlavor,
  type PropertyMap,
} from '../lxc-config/index.js';
import type { DeviceMount, HostDevice, LxcDeviceStallReason, ResolvedDevices } from './model.js';
import type { LxcDeviceSpec } from './spec.js';

export type Grant =
  | { kind: 'cgroup'; device: HostDevice; line: string; key: string }
  | { kind: 'mount'; mount: DeviceMount; line: string }
  | { kind: 'dev'; device: HostDevice; props: PropertyMap };

const DEVICE_ACCESS = 'rwm';

/** The spec's grants, in the order lines are written (per device: its rules, then its mount). */
export function desiredGrants(
  spec: Pick<LxcDeviceSpec, 'style' | 'gid' | 'uid' | 'mode'>,
  devices: ResolvedDevices,
  flavor: ConfigFlavor,
  cgroupKey: string,
): Grant[] {
  if (spec.style === 'dev') {
    return devices.nodes.map((device) => ({ kind: 'dev', device, props: devProps(spec, device.path) }));
  }
  const grants: Grant[] = [];
  const seen = new Set<string>();
  const push = (grant: Grant & { line: string }) => {
    if (seen.has(grant.line)) return;
    seen.add(grant.line);
    grants.push(grant);
  };
  for (const mount of devices.mounts) {
    for (const path of mount.covers) {
      const device = devices.nodes.find((n) => n.path === path);
      if (!device) continue;
      const rule = formatDeviceRule({ type: device.type, major: device.major, minor: device.minor, access: DEVICE_ACCESS });
      push({ kind: 'cgroup', device, key: cgroupKey, line: formatEntry(flavor, cgroupKey, rule) });
    }
    push({ kind: 'mount', mount, line: formatEntry(flavor, 'lxc.mount.entry', mountValue(mount)) });
  }
  return grants;
}

/** `/dev/net/tun dev/net/tun none bind,create=file`, as Proxmox's wiki and the lab write it. */
export function mountValue(mount: DeviceMount): string {
  const options = ['bind', ...(mount.optional ? ['optional'] : []), `create=${mount.create}`];
  return `${mount.source} ${mount.source.slice(1)} none ${options.join(',')}`;
}

function devProps(spec: Pick<LxcDeviceSpec, 'gid' | 'uid' | 'mode'>, path: string): PropertyMap {
  const props: PropertyMap = { path };
  if (spec.gid !== undefined) props.gid = String(spec.gid);
  if (spec.uid !== undefined) props.uid = String(spec.uid);
  if (spec.mode !== undefined) props.mode = spec.mode.padStart(4, '0');
  return props;
}

export function devLine(index: number, props: PropertyMap): string {
  return formatEntry('proxmox', `dev${index}`, formatPropertyString(props, 'path'));
}

/** A `devN` entry's properties, or `null` when the entry is not a `devN`. */
export function devEntryProps(entry: ConfigEntry): PropertyMap | null {
  if (indexedKey(entry.key)?.prefix !== 'dev') return null;
  return parsePropertyString(entry.value, 'path');
}

const TRUE = /^(1|on|yes|true)$/i;

/** True when a `devN`'s properties give what `wanted` asks (same path; gid/uid/mode where the spec sets them). */
export function devPropsSatisfy(props: PropertyMap, wanted: PropertyMap): boolean {
  if (props.path !== wanted.path || TRUE.test(props['deny-write'] ?? '0')) return false;
  for (const key of ['gid', 'uid'] as const) {
    if (wanted[key] !== undefined && Number(props[key] ?? 0) !== Number(wanted[key])) return false;
  }
  if (wanted.mode !== undefined && parseInt(props.mode ?? '0660', 8) !== parseInt(wanted.mode, 8)) return false;
  return true;
}

/**
 * The human lines that together grant `grant`, or `null` when they do not. Throws Stalled for a style-dev
 * conflict (a human `devN` for the same path with other gid/uid/mode).
 */
export function humanLinesGranting(grant: Grant, entries: readonly ConfigEntry[], flavor: ConfigFlavor): ConfigEntry[] | null {
  switch (grant.kind) {
    case 'cgroup': {
      const rule = entries.find((e) => e.key === grant.key && allows(e.value, grant.device));
      if (rule) return [rule];
      return flavor === 'proxmox' ? devEntryFor(grant.device.path, entries) : null;
    }
    case 'mount': {
      const whole = entries.find((e) => exposes(e, grant.mount.source, flavor));
      if (whole) return [whole];
      if (grant.mount.covers.length === 0) return null;
      const each = grant.mount.covers.map((path) => entries.find((e) => exposes(e, path, flavor)));
      return each.every((e) => e !== undefined) ? [...new Set(each as ConfigEntry[])] : null;
    }
    case 'dev': {
      const same = entries.filter((e) => devEntryProps(e)?.path === grant.device.path);
      const good = same.find((e) => devPropsSatisfy(devEntryProps(e)!, grant.props));
      if (good) return [good];
      if (same.length > 0) {
        throw new StalledError<LxcDeviceStallReason>(
          'ConflictingDevice',
          `"${same[0]!.text}" (not written by homeostat) passes ${grant.device.path} with other settings than the spec ` +
            `(${formatPropertyString(grant.props, 'path')}): edit or remove that line, or change the spec`,
        );
      }
      return null;
    }
  }
}

function allows(value: string, device: HostDevice): boolean {
  const rule = parseDeviceRule(value);
  return rule !== null && ruleAllows(rule, device, 'rw');
}

/** A bind mount showing `path` at the same place inside, or (Proxmox) a writable `devN` for it. */
function exposes(entry: ConfigEntry, path: string, flavor: ConfigFlavor): boolean {
  if (entry.key === 'lxc.mount.entry') {
    const mount = parseMountEntry(entry.value);
    return mount !== null && mountExposes(mount, path, path);
  }
  return flavor === 'proxmox' && isWritableDevFor(entry, path);
}

function isWritableDevFor(entry: ConfigEntry, path: string): boolean {
  const props = devEntryProps(entry);
  return props?.path === path && !TRUE.test(props['deny-write'] ?? '0');
}

function devEntryFor(path: string, entries: readonly ConfigEntry[]): ConfigEntry[] | null {
  const entry = entries.find((e) => isWritableDevFor(e, path));
  return entry ? [entry] : null;
}
