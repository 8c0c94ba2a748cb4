/**
 * Which files are manifests: `*.yaml` and `*.yml` anywhere under the manifests directory, except in dot-folders
 * (`.git`) and `node_modules`, and except dot-files (editor swap and lock files such as `.#a.yaml`).
 * Symlinked files are followed; symlinked folders are not (no loops).
 */
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

export function isManifestFileName(name: string): boolean {
  return /\.ya?ml$/.test(name) && !name.startsWith('.');
}

/** A folder whose contents are never manifests. */
export function isSkippedDirName(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

/** Manifest files under `dir`, as sorted paths relative to it with `/` separators. */
export async function listManifestFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  await walk(dir, '', found);
  return found.sort();
}

async function walk(root: string, rel: string, found: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(join(root, rel), { withFileTypes: true });
  } catch (err) {
    // A folder that vanished mid-walk (a checkout in progress) simply has no manifests any more.
    if (rel && isGone(err)) return;
    throw err;
  }
  await Promise.all(
    entries.map(async (entry) => {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!isSkippedDirName(entry.name)) await walk(root, path, found);
      } else if (isManifestFileName(entry.name)) {
        if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(join(root, path))))) found.push(path);
      }
    }),
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A path relative to the manifests directory, with `/` separators whatever the platform. */
export function toManifestPath(relative: string): string {
  return sep === '/' ? relative : relative.split(sep).join('/');
}
