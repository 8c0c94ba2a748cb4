/**
 * A commit's manifests as a ManifestSnapshot: materialise `--path` at the commit (materialise.ts), load it with
 * the same loader as `validate` (loadManifestDir), and stamp it with the commit and its subject. A commit is
 * good only when it loads without a single error: the git source applies a commit whole or not at all.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { keyOf, type Revision } from '../../reconcilers/core/resource.js';
import { loadManifestDir, type ManifestError, type ManifestLimits, type ManifestSnapshot, type SchemaRegistry } from '../manifests/index.js';
import { checkoutDir, type SourceLayout } from './checkouts.js';
import type { GitMirror } from './git-mirror.js';
import { materialiseCommit } from './materialise.js';

export type CommitLoad =
  | { ok: true; snapshot: ManifestSnapshot; dir: string }
  | { ok: false; reason: 'PathNotFound' | 'InvalidManifests'; errors: ManifestError[]; revision: Revision };

export interface CommitLoadOptions {
  limits: ManifestLimits;
  schemas?: SchemaRegistry;
  signal?: AbortSignal;
  /** Reuse the checkout when it exists (it was renamed into place whole). Default true. */
  reuse?: boolean;
}

/** Loads `commit`'s manifests from `path`; a commit that is not good leaves no checkout behind. */
export async function loadCommit(mirror: GitMirror, layout: SourceLayout, commit: string, path: string, opts: CommitLoadOptions): Promise<CommitLoad> {
  const revision: Revision = { commit, dirty: false };
  const subject = await mirror.subject(commit, opts.signal);
  if (subject !== undefined) revision.subject = subject;
  const dir = checkoutDir(layout, commit);
  if (!(opts.reuse !== false && existsSync(dir))) {
    await rm(dir, { recursive: true, force: true });
    const written = await materialiseCommit(mirror, commit, path, dir, opts.limits, opts.signal);
    if ('reason' in written) return { ok: false, reason: written.reason, errors: written.errors, revision };
  }
  const loaded = await loadManifestDir(dir, opts.schemas, opts.limits);
  if (loaded.errors.length > 0) {
    await rm(dir, { recursive: true, force: true });
    return { ok: false, reason: 'InvalidManifests', errors: loaded.errors, revision };
  }
  const resources = new Map(loaded.resources.map((r) => [keyOf(r), r] as const));
  return { ok: true, snapshot: { resources, errors: [], revision, files: loaded.files }, dir };
}
