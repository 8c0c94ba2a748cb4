/**
 * What `--path` holds at a commit, written out as a folder the manifest loader reads: listed with sizes first
 * (`git ls-tree`), checked against limits before a byte is written, its blobs read raw (`git cat-file`: no
 * smudge filter or attribute changes anything), written into a temp folder and renamed into place, so the
 * checkout of a commit exists whole or not at all. Only regular files are written: a symlink or a submodule in
 * the repository is left out, so no commit can make homeostat read a file elsewhere on the machine.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { isManifestFileName, isSkippedDirName } from '../manifests/files.js';
import { directoryOverLimits, formatBytes, type ManifestLimits } from '../manifests/limits.js';
import type { ManifestError } from '../manifests/manifest-error.js';
import type { GitMirror, TreeEntry } from './git-mirror.js';

/** At most this many files are written for one commit (manifests and the files they name, e.g. known_hosts). */
export const MAX_CHECKOUT_FILES = 10_000;
/** At most this many bytes. */
export const MAX_CHECKOUT_BYTES = 64 * 1024 * 1024;
/** Blobs read per `git cat-file` call, by bytes. */
const BLOB_BATCH_BYTES = 4 * 1024 * 1024;

export class RepoPathError extends Error {
  override readonly name = 'RepoPathError';
}

/** `--path` as a path inside the repository: '' for its root; no `..`, never absolute. */
export function normalizeRepoPath(path: string): string {
  if (path.startsWith('/')) throw new RepoPathError(`--path: "${path}" must be relative to the repository's root`);
  const normal = posix.normalize(path === '' ? '.' : path).replace(/\/+$/, '');
  if (normal === '.' || normal === '') return '';
  if (normal === '..' || normal.startsWith('../')) throw new RepoPathError(`--path: "${path}" leaves the repository`);
  return normal;
}

export type Materialised = { dir: string } | { reason: 'PathNotFound' | 'InvalidManifests'; errors: ManifestError[] };

/** Writes `path` at `commit` into `dir` (which must not exist yet). */
export async function materialiseCommit(mirror: GitMirror, commit: string, path: string, dir: string, limits: ManifestLimits, signal?: AbortSignal): Promise<Materialised> {
  const listed = await mirror.tree(commit, path, MAX_CHECKOUT_FILES * 2, signal);
  const prefix = path ? `${path}/` : '';
  const inside = listed.filter((e) => (path ? e.path.startsWith(prefix) : true));
  if (inside.length === 0) {
    const message = path ? `"${path}" is not a folder in this commit (nothing was applied from it)` : 'the commit holds no files';
    return { reason: 'PathNotFound', errors: [{ code: 'Unreadable', file: path || '.', line: 1, col: 1, message }] };
  }
  const files = inside.filter(isWritable).map((e) => ({ ...e, rel: e.path.slice(prefix.length) })).filter((e) => !e.rel.split('/').some(isSkippedPart));
  const tooMuch = overCheckoutLimits(files) ?? directoryOverLimits(files.filter((f) => isManifestFileName(posix.basename(f.rel))).map((f) => ({ file: f.rel, bytes: f.size })), limits);
  if (tooMuch) return { reason: 'InvalidManifests', errors: [tooMuch] };

  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true, mode: 0o755 });
  try {
    for (const batch of batches(files)) {
      const blobs = await mirror.blobs(batch.map((f) => f.oid), batch.reduce((sum, f) => sum + f.size, 0), signal);
      for (const file of batch) {
        const target = join(temp, file.rel);
        await mkdir(dirname(target), { recursive: true, mode: 0o755 });
        await writeFile(target, blobs.get(file.oid) ?? Buffer.alloc(0), { flag: 'wx', mode: 0o644 });
      }
    }
    await rename(temp, dir);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  return { dir };
}

/** A regular file (not a symlink, not a submodule). */
function isWritable(entry: TreeEntry): boolean {
  return entry.type === 'blob' && (entry.mode === '100644' || entry.mode === '100755');
}

/** Folders whose files are never manifests (dot-folders, node_modules) are not written; nor is anything odd. */
function isSkippedPart(part: string): boolean {
  return part === '' || part === '.' || part === '..' || isSkippedDirName(part);
}

function overCheckoutLimits(files: ReadonlyArray<{ rel: string; size: number }>): ManifestError | undefined {
  if (files.length > MAX_CHECKOUT_FILES) {
    const file = files[MAX_CHECKOUT_FILES]!.rel;
    return { code: 'TooMany', file, line: 1, col: 1, message: `${files.length} files under the path, over the limit of ${MAX_CHECKOUT_FILES} for a git source; nothing of this commit was applied` };
  }
  let total = 0;
  for (const f of files) {
    total += f.size;
    if (total > MAX_CHECKOUT_BYTES) {
      return { code: 'TooLarge', file: f.rel, line: 1, col: 1, message: `the files under the path add up to more than ${formatBytes(MAX_CHECKOUT_BYTES)} (reached at this file); nothing of this commit was applied` };
    }
  }
  return undefined;
}

/** Files in groups of at most BLOB_BATCH_BYTES (a larger file alone). */
function batches<T extends { size: number }>(files: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const f of files) {
    if (current.length > 0 && bytes + f.size > BLOB_BATCH_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
