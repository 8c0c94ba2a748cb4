/**
 * `lxc.mount.entry` values: fstab lines (`source target fstype options [dump [pass]]`, spaces in paths escaped
 * as `\040`), with the target relative to the container's root. Plus the one question LxcDevice and
 * UnifiedNamespace both ask: does this entry make host path P appear at container path Q?
 */
import { posix } from 'node:path';

export interface MountEntry {
  source: string;
  /** Relative to the container's root filesystem, as written (`dev/dri`); see `containerPathOf`. */
  target: string;
  fstype: string;
  options: string[];
  /** `dump pass`, kept as written (may be empty). */
  rest: string[];
}

const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
const escape = (field: string) => field.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

export function parseMountEntry(value: string): MountEntry | null {
  const fields = value.trim().split(/\s+/);
  if (fields.length < 4 || fields.length > 6) return null;
  const [source, target, fstype, options, ...rest] = fields as [string, string, string, string, ...string[]];
  return { source: unescape(source), target: unescape(target), fstype, options: options.split(','), rest };
}

export function formatMountEntry(entry: MountEntry): string {
  return [escape(entry.source), escape(entry.target), entry.fstype, entry.options.join(','), ...entry.rest].join(' ');
}

/** The absolute path inside the container a target names (LXC accepts it with or without a leading `/`). */
export function containerPathOf(target: string): string {
  return posix.normalize(`/${target}`).replace(/(.)\/+$/, '$1');
}

/** A bind mount (`bind` or `rbind` among the options). */
export function isBindMount(entry: MountEntry): boolean {
  return entry.options.includes('bind') || entry.options.includes('rbind');
}

/**
 * True when this entry bind-mounts `hostPath` (or a folder above it) so that it appears at `containerPath`
 * inside the container: `/dev/dri dev/dri` exposes `/dev/dri/renderD128` at `/dev/dri/renderD128`.
 */
export function mountExposes(entry: MountEntry, hostPath: string, containerPath: string): boolean {
  if (!isBindMount(entry)) return false;
  const source = posix.normalize(entry.source).replace(/(.)\/+$/, '$1');
  const target = containerPathOf(entry.target);
  const host = posix.normalize(hostPath);
  const inside = posix.normalize(containerPath);
  let rest: string;
  if (host === source) rest = '';
  else if (host.startsWith(source === '/' ? '/' : `${source}/`)) rest = host.slice(source === '/' ? 0 : source.length);
  else return false;
  return posix.join(target, rest) === inside;
}
