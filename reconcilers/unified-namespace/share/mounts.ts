/**
 * The bind mounts a container config declares in its main section, read with the lxc-config library: Proxmox
 * `mpN: <host path>,mp=<container path>` (storage volumes are not host paths and are skipped) and
 * `lxc.mount.entry` bind entries (both platforms). Pure.
 */
import { posix } from 'node:path';
import {
  containerPathOf,
  formatEntry,
  formatMountEntry,
  formatPropertyString,
  indexedKey,
  isBindMount,
  mainEntries,
  parseMountEntry,
  parsePropertyString,
  sectionEntries,
  type ConfigDocument,
  type ConfigEntry,
} from '../../lxc-config/index.js';
import type { ConfigMount } from './model.js';

/** Proxmox allows mp0 … mp255. */
export const MAX_MOUNT_POINTS = 256;

const clean = (path: string) => {
  const normalized = posix.normalize(path);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
};

/** The bind mount an entry declares, or `null`. */
export function mountOfEntry(flavor: ConfigDocument['flavor'], entry: Pick<ConfigEntry, 'key' | 'value' | 'text'>): ConfigMount | null {
  if (entry.key === 'lxc.mount.entry') {
    const parsed = parseMountEntry(entry.value);
    if (!parsed || !isBindMount(parsed) || !parsed.source.startsWith('/')) return null;
    return { key: entry.key, text: entry.text, source: clean(parsed.source), target: containerPathOf(parsed.target) };
  }
  if (flavor === 'proxmox' && indexedKey(entry.key)?.prefix === 'mp') {
    const props = parsePropertyString(entry.value, 'volume');
    const volume = props?.volume;
    const mp = props?.mp;
    if (!volume?.startsWith('/') || !mp?.startsWith('/')) return null;
    return { key: entry.key, text: entry.text, source: clean(volume), target: clean(mp) };
  }
  return null;
}

/** Every bind mount of the main section, in file order. */
export function configMounts(doc: ConfigDocument): ConfigMount[] {
  return mainEntries(doc).flatMap((entry) => mountOfEntry(doc.flavor, entry) ?? []);
}

/** `mpN` indices in use in the main section or pending changes (a pending `mp1` will take index 1). */
export function usedMountIndices(doc: ConfigDocument): number[] {
  return [...mainEntries(doc), ...sectionEntries(doc, 'pve:pending')].flatMap((entry) => {
    const key = indexedKey(entry.key);
    return key?.prefix === 'mp' ? [key.index] : [];
  });
}

/** The line that bind-mounts `source` at `target`: `mpN: /data,mp=/data` on Proxmox, an `lxc.mount.entry` on plain LXC. */
export function bindMountLine(flavor: ConfigDocument['flavor'], source: string, target: string, index: number): string {
  if (flavor === 'proxmox') return formatEntry('proxmox', `mp${index}`, formatPropertyString({ volume: source, mp: target }, 'volume'));
  const entry = formatMountEntry({ source, target: target.replace(/^\/+/, ''), fstype: 'none', options: ['bind', 'create=dir'], rest: ['0', '0'] });
  return formatEntry('lxc', 'lxc.mount.entry', entry);
}
