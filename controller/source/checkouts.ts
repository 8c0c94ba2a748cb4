/**
 * Where a git source keeps its things, under `STATE/git/<id>/` (the id: a hash of the URL without credentials,
 * the ref and the path, so another ref or path never takes over a last good commit that is not its own):
 *
 *   repo.git/            homeostat's bare repository (git-mirror.ts)
 *   checkouts/<commit>/  what `--path` held at a commit, materialised (materialise.ts)
 *   current -> checkouts/<commit>   the last good commit: the controller's manifests directory
 *
 * `current` is switched by renaming a new symlink over it (atomic), so a reader sees the old tree or the new one,
 * never half of either; checkouts other than the current one are removed after a switch and at start.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface SourceLayout {
  root: string;
  repo: string;
  checkouts: string;
  /** The stable path the controller reads manifests from (a symlink). */
  current: string;
}

const COMMIT_DIR = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The folders of a git source: `location` is the URL without credentials. */
export function sourceLayout(stateDir: string, location: string, ref: string, path: string): SourceLayout {
  const id = createHash('sha256').update(JSON.stringify([location, ref, path])).digest('hex').slice(0, 16);
  const root = join(stateDir, 'git', id);
  return { root, repo: join(root, 'repo.git'), checkouts: join(root, 'checkouts'), current: join(root, 'current') };
}

/** Creates the folders (0700: the repository may hold what only root should read). */
export async function ensureLayout(layout: SourceLayout): Promise<void> {
  await mkdir(layout.checkouts, { recursive: true, mode: 0o700 });
}

/** The commit `current` points at, or null when there is none (never a good commit yet). */
export async function currentCommit(layout: SourceLayout): Promise<string | null> {
  try {
    const name = basename(await readlink(layout.current));
    return COMMIT_DIR.test(name) ? name : null;
  } catch {
    return null;
  }
}

/** The folder a commit is materialised in. */
export function checkoutDir(layout: SourceLayout, commit: string): string {
  return join(layout.checkouts, commit);
}

/** Points `current` at `commit`'s checkout, atomically, and makes the switch durable. */
export async function switchCurrent(layout: SourceLayout, commit: string): Promise<void> {
  const next = `${layout.current}.next-${process.pid}`;
  await rm(next, { force: true });
  await symlink(join('checkouts', commit), next);
  await rename(next, layout.current);
  const dir = await open(layout.root, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Removes every checkout (and unfinished temp folder) but `keep`. */
export async function removeCheckoutsExcept(layout: SourceLayout, keep: string | null): Promise<void> {
  let names: string[];
  try {
    names = await readdir(layout.checkouts);
  } catch {
    return;
  }
  await Promise.all(names.filter((name) => name !== keep).map((name) => rm(join(layout.checkouts, name), { recursive: true, force: true })));
}
