/**
 * `diff --git …` and `apply --git …`: fetch the ref once into a throwaway repository, materialise `--path` at the
 * fetched commit and hand that folder (and the commit) to the one-shot run; `dispose()` removes it all. No
 * last-good rule here: a commit that does not validate is an error, as a broken directory is for `diff`/`apply`.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Revision } from '../../reconcilers/core/resource.js';
import { manifestLimits, type ManifestError } from '../manifests/index.js';
import { ensureLayout, type SourceLayout } from './checkouts.js';
import { loadCommit } from './commit-snapshot.js';
import { GitMirror } from './git-mirror.js';
import { DEFAULT_GIT_PATH, DEFAULT_GIT_REF, type GitSourceSpec } from './git-source.js';
import { parseGitUrl, registerRemoteSecrets } from './git-url.js';
import { normalizeRepoPath } from './materialise.js';

export interface GitCheckout {
  /** The materialised `--path` at the fetched commit. */
  manifestsDir: string;
  /** The fetched commit, with its subject. */
  revision: Revision;
  /** Removes the repository and the checkout (synchronous: it also runs from `process.on('exit')`). */
  dispose(): void;
}

/** The fetched commit does not validate (or has nothing at the path): its errors, as `validate` prints them. */
export class CommitInvalid extends Error {
  override readonly name = 'CommitInvalid';
  constructor(
    readonly revision: Revision,
    readonly errors: ManifestError[],
  ) {
    super(`commit ${revision.commit?.slice(0, 12)} has ${errors.length} manifest error(s)`);
  }
}

/** Fetches once and materialises; throws FetchError (git-mirror.ts) or CommitInvalid. */
export async function checkoutOnce(spec: GitSourceSpec, opts: { fetchTimeoutMs?: number } = {}): Promise<GitCheckout> {
  const remote = parseGitUrl(spec.url);
  registerRemoteSecrets(remote);
  const root = await mkdtemp(join(tmpdir(), 'homeostat-git-'));
  const dispose = () => rmSync(root, { recursive: true, force: true });
  try {
    const layout: SourceLayout = { root, repo: join(root, 'repo.git'), checkouts: join(root, 'checkouts'), current: join(root, 'current') };
    await ensureLayout(layout);
    const mirror = new GitMirror(layout.repo, remote, spec, opts.fetchTimeoutMs !== undefined ? { fetchTimeoutMs: opts.fetchTimeoutMs } : {});
    await mirror.ensure();
    const commit = await mirror.fetch(spec.ref ?? DEFAULT_GIT_REF);
    const load = await loadCommit(mirror, layout, commit, normalizeRepoPath(spec.path ?? DEFAULT_GIT_PATH), { limits: manifestLimits() });
    if (!load.ok) throw new CommitInvalid(load.revision, load.errors);
    return { manifestsDir: load.dir, revision: load.snapshot.revision, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}
