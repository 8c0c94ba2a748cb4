/**
 * Is a directory the root of a mounted filesystem? `st_dev` differs from its parent's, or it is `/`, or
 * it is listed as a mount point in /proc/self/mountinfo (bind mounts of the same filesystem).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Mount points (field 5) of a mountinfo text, with the kernel's octal escapes (`\040`) decoded. */
export function parseMountPoints(mountinfo: string): Set<string> {
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  }
  return points;
}

/** `realPath` is a path on this machine (already mapped under any root). Missing paths are not mount points. */
export async function isMountpointLocal(realPath: string): Promise<boolean> {
  let resolved: string;
  try {
    resolved = await realpath(realPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw err;
  }
  if (resolved === '/') return true;
  const [self, parent] = await Promise.all([stat(resolved), stat(dirname(resolved))]);
  if (self.dev !== parent.dev) return true;
  if (self.ino === parent.ino) return true;
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return parseMountPoints(mountinfo).has(resolved);
}
