/**
 * The machine's mount table, as `/proc/self/mountinfo` lists it, read in one exec together with the tree root's
 * canonical path (`readlink -f`), so that mount points can be compared with the tree's folders. Parsing is pure.
 * Mount points are real paths on the machine: with a sandbox `root`, host paths map under it.
 */
import { splitDeviceNumber, type Host } from '../host/index.js';

export interface MountInfoEntry {
  /** Real path of the mount point on the machine. */
  mountPoint: string;
  /** `major:minor` of the mounted filesystem. */
  device: string;
  fstype: string;
  source: string;
}

const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw` → its mount point, device, fstype, source. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (fields.length < 7 || separator === -1) continue;
    entries.push({
      mountPoint: unescape(fields[4]!),
      device: fields[2]!,
      fstype: fields[separator + 1] ?? '',
      source: unescape(fields[separator + 2] ?? ''),
    });
  }
  return entries;
}

/** `st_dev` as `major:minor`, the way mountinfo and `stat -c %t:%T` people read it. */
export function formatDevice(dev: number): string {
  const { major, minor } = splitDeviceNumber(dev);
  return `${major}:${minor}`;
}

/** The constant script: `$1` is a real path. Prints its canonical form (an empty line when it has none), then the mount table. */
const SCRIPT = 'printf "%s\\n" "$(readlink -f -- "$1")"; cat /proc/self/mountinfo';

export interface MountSnapshot {
  /** The canonical real path of the root (`readlink -f`); the mapped path when it could not be resolved. */
  canonicalRoot: string;
  /** `null` when the mount table could not be read (not Linux, no /proc). */
  mounts: MountInfoEntry[] | null;
}

/** One exec for the root's canonical path and the mount table. */
export async function readMounts(host: Host, root: string, signal?: AbortSignal): Promise<MountSnapshot> {
  const realRoot = host.resolvePath(root);
  const result = await host.exec(['sh', '-c', SCRIPT, 'homeostat-mounts', realRoot], { signal, timeoutMs: 15_000 });
  const newline = result.stdout.indexOf('\n');
  const canonical = newline === -1 ? '' : result.stdout.slice(0, newline);
  const table = newline === -1 ? '' : result.stdout.slice(newline + 1);
  const mounts = table.trim() === '' ? null : parseMountInfo(table);
  return { canonicalRoot: canonical.startsWith('/') ? canonical : realRoot, mounts };
}

/** The host path of a real path (inverse of `host.resolvePath`), or `null` when it lies outside the host's sandbox root. */
export function hostPathOfReal(host: Host, realPath: string): string | null {
  const sandbox = host.resolvePath('/');
  if (sandbox === '/') return realPath;
  if (realPath === sandbox) return '/';
  return realPath.startsWith(`${sandbox}/`) ? realPath.slice(sandbox.length) : null;
}
