/**
 * LxcDevice from a container's config, pure: which device entries its `lxc.cgroup2.devices.allow` /
 * `lxc.mount.entry` / `devN` lines suggest (the QuickSync and TUN lines as the kind's presets, anything else as
 * an explicit path), then, once each candidate is resolved on the host, the ones LxcDevice's own plan finds
 * already granted (nothing to add): only those go into the spec, so `diff` right after the import is empty. Every
 * `lxc.*` / `devN` line the spec does not rest on is listed, with why, unless another document carries it (the bind
 * mount of a /data tree a UnifiedNamespace shares).
 */
import { posix } from 'node:path';
import {
  indexedKey,
  mainEntries,
  parseMountEntry,
  parsePropertyString,
  type ConfigEntry,
  type ConfigSnapshot,
} from '../../reconcilers/lxc-config/index.js';
import { planConfigLines, PRESETS, type ResolvedDevices } from '../../reconcilers/lxc-device/index.js';
import type { LxcDeviceEntry, LxcDeviceSpec } from '../../reconcilers/lxc-device/spec.js';
import { manifestName, type ImportedDocument } from './document.js';

/** A spec entry as printed: a preset or a path (`optional` left to its default, false). */
export type DeviceEntry = Pick<LxcDeviceEntry, 'preset' | 'path'>;

/** A spec entry to try, and the entries to try instead when it is not fully granted (a preset's nodes one by one). */
export interface Candidate {
  entry: DeviceEntry;
  fallback: DeviceEntry[];
}

type Style = Pick<LxcDeviceSpec, 'style' | 'gid' | 'uid' | 'mode'>;

const QUICKSYNC = PRESETS['intel-quicksync']!;
const TUN_PATHS = PRESETS.tun!.paths ?? [];

/** A line LxcDevice is about: a device cgroup rule, a bind mount of something under /dev, or a Proxmox `devN`. */
export function isDeviceLine(entry: ConfigEntry): boolean {
  if (/^lxc\.cgroup2?\.devices\.(allow|deny)$/.test(entry.key)) return true;
  if (entry.key === 'lxc.mount.entry') return parseMountEntry(entry.value)?.source.startsWith('/dev') ?? false;
  return indexedKey(entry.key)?.prefix === 'dev';
}

/**
 * Lines an import lists as not carried. On Proxmox: the pasted `lxc.*` lines and `devN` entries (Proxmox's own keys
 * are not homeostat's). On plain LXC every key is `lxc.*` (its name, rootfs, network...): only the cgroup and mount
 * lines, where devices and shared folders live, are listed.
 */
export function isListedLine(entry: ConfigEntry, flavor: 'proxmox' | 'lxc'): boolean {
  if (flavor === 'lxc') return /^lxc\.(cgroup2?|mount)\./.test(entry.key);
  return entry.key.startsWith('lxc.') || indexedKey(entry.key)?.prefix === 'dev';
}

function devPaths(entries: readonly ConfigEntry[]): string[] {
  return entries.flatMap((e) => (indexedKey(e.key)?.prefix === 'dev' ? [parsePropertyString(e.value, 'path')?.path ?? ''] : [])).filter((p) => p !== '');
}

/**
 * The candidates a config's lines suggest. `driNodes`: the QuickSync preset's nodes on the host (card*, renderD*
 * in /dev/dri), for a config that mounts the whole folder.
 */
export function deviceCandidates(snapshot: ConfigSnapshot, driNodes: readonly string[]): Candidate[] {
  const entries = mainEntries(snapshot.doc);
  const paths: string[] = [];
  const add = (path: string) => {
    if (!paths.includes(path)) paths.push(path);
  };
  for (const e of entries) {
    if (e.key !== 'lxc.mount.entry') continue;
    const mount = parseMountEntry(e.value);
    if (!mount || !mount.source.startsWith('/dev/') || !mount.options.includes('bind')) continue;
    if (mount.source === QUICKSYNC.dir!.path) driNodes.forEach(add);
    else add(posix.normalize(mount.source));
  }
  devPaths(entries).forEach(add);

  const candidates: Candidate[] = [];
  const dri = paths.filter((p) => posix.dirname(p) === QUICKSYNC.dir!.path && QUICKSYNC.dir!.match.test(posix.basename(p)));
  if (dri.length > 0) candidates.push({ entry: { preset: 'intel-quicksync' }, fallback: dri.map((path) => ({ path })) });
  for (const path of paths) {
    if (dri.includes(path)) continue;
    if (TUN_PATHS.includes(path)) candidates.push({ entry: { preset: 'tun' }, fallback: [{ path }] });
    else candidates.push({ entry: { path }, fallback: [] });
  }
  return candidates;
}

/**
 * `dev` when the config grants devices only through `devN` entries that agree on gid/uid/mode (LxcDevice then
 * writes the same kind of line); `raw` otherwise (a `devN` still counts as granting under raw).
 */
export function styleOf(snapshot: ConfigSnapshot): Style {
  const entries = mainEntries(snapshot.doc).filter(isDeviceLine);
  const devs = entries.filter((e) => indexedKey(e.key)?.prefix === 'dev');
  if (snapshot.location.flavor !== 'proxmox' || devs.length === 0 || devs.length !== entries.length) return { style: 'raw' };
  const props = devs.map((e) => parsePropertyString(e.value, 'path') ?? {});
  const same = (key: string) => new Set(props.map((p) => p[key])).size === 1;
  if (!same('gid') || !same('uid') || !same('mode')) return { style: 'raw' };
  const [first] = props;
  const style: Style = { style: 'dev' };
  if (first?.gid !== undefined) style.gid = Number(first.gid);
  if (first?.uid !== undefined) style.uid = Number(first.uid);
  if (first?.mode !== undefined) style.mode = first.mode;
  return style;
}

/** An entry resolved on the host, or why it could not be (the kind's own Stalled message). */
export type Resolved = { entry: DeviceEntry; devices: ResolvedDevices } | { entry: DeviceEntry; problem: string };

/** The lines of `snapshot` that grant `devices` under `style`, or `null` when LxcDevice would still add some. */
export function grantingLines(snapshot: ConfigSnapshot, style: Style, cgroupKey: string, devices: ResolvedDevices): string[] | null {
  const plan = planConfigLines(style, { devices, cgroupKey }, snapshot.doc, []);
  return plan.add.length === 0 ? plan.adopted : null;
}

export interface LxcDeviceImportInput {
  host: string;
  snapshot: ConfigSnapshot;
  style: Style;
  cgroupKey: string;
  candidates: Candidate[];
  /** Every candidate's entry and fallback entries, resolved on the host. */
  resolved: Resolved[];
  /** Lines of this config another document carries (a UnifiedNamespace share): not listed as not carried. */
  carriedElsewhere?: ReadonlySet<string>;
}

/**
 * The document for one config (`null` when no entry is granted by its lines), and comment lines about the
 * `lxc.*` / `devN` lines it does not rest on. A candidate whose grants are not all there already is replaced by
 * its fallback entries, each checked the same way (grants are per device, so entries checked one by one hold
 * together).
 */
export function lxcDeviceDocument(input: LxcDeviceImportInput): { document: ImportedDocument | null; unexpressed: string[] } {
  const { snapshot, style, cgroupKey } = input;
  const devices: DeviceEntry[] = [];
  const used = new Set<string>();
  const problems: string[] = [];
  const tryEntry = (entry: DeviceEntry): boolean => {
    const r = input.resolved.find((x) => sameEntry(x.entry, entry));
    if (!r) return false;
    if ('problem' in r) {
      problems.push(`${label(entry)}: ${r.problem}`);
      return false;
    }
    const lines = grantingLines(snapshot, style, cgroupKey, r.devices);
    if (lines === null || lines.length === 0) {
      problems.push(`${label(entry)}: the config does not grant all of it (LxcDevice would add lines)`);
      return false;
    }
    devices.push(entry);
    lines.forEach((l) => used.add(l));
    return true;
  };
  for (const candidate of input.candidates) {
    if (!tryEntry(candidate.entry)) candidate.fallback.forEach(tryEntry);
  }

  const entries = mainEntries(snapshot.doc);
  const lineNo = (e: ConfigEntry) => e.index + 1;
  const carried = entries.filter((e) => used.has(e.text));
  const left = entries.filter((e) => isListedLine(e, snapshot.location.flavor) && !used.has(e.text) && !input.carriedElsewhere?.has(e.text));
  const unexpressed =
    left.length === 0
      ? []
      : [
          `Not carried by homeostat (left as they are: homeostat never edits a line it does not own), ${snapshot.location.path}:`,
          ...left.map((e) => `  line ${lineNo(e)}: ${e.text}`),
          ...problems.map((p) => `  (${p})`),
        ];
  if (devices.length === 0) return { document: null, unexpressed };

  const { container, flavor } = snapshot.location;
  const spec: Record<string, unknown> = { host: input.host, container, devices };
  if (style.style === 'dev') Object.assign(spec, style);
  const document: ImportedDocument = {
    kind: 'LxcDevice',
    name: manifestName(`${input.host}-${flavor === 'proxmox' ? `ct${container}` : container}-devices`),
    spec,
    comments: [
      `Imported from ${input.host}:${snapshot.location.path}, line${carried.length === 1 ? '' : 's'} ${carried.map(lineNo).join(', ')}:`,
      ...carried.map((e) => `  ${e.text}`),
      ...unexpressed,
    ],
  };
  return { document, unexpressed: [] };
}

/** Every entry a set of candidates may try (for resolving them on the host). */
export function entriesToResolve(candidates: readonly Candidate[]): DeviceEntry[] {
  const out: DeviceEntry[] = [];
  for (const e of candidates.flatMap((c) => [c.entry, ...c.fallback])) if (!out.some((x) => sameEntry(x, e))) out.push(e);
  return out;
}

function sameEntry(a: DeviceEntry, b: DeviceEntry): boolean {
  return a.preset === b.preset && a.path === b.path;
}

function label(entry: DeviceEntry): string {
  return entry.preset !== undefined ? `preset ${entry.preset}` : entry.path!;
}
