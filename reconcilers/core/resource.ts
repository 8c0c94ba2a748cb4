/**
 * The resource model shared by the controller and every reconciler: a manifest document after parsing and
 * validation, with where it came from (for `FILE:LINE:COL` errors) and its generation (hash of the normalized spec).
 */

export const API_VERSION = 'homeostat.dev/v1alpha1';

/** Annotations the controller understands. */
export const ANNOTATIONS = {
  prune: 'homeostat.dev/prune', // "disabled": deleting the resource leaves what it created
  suspend: 'homeostat.dev/suspend', // "true": no reconciles until removed
  reconcileAt: 'homeostat.dev/reconcile-at', // any new value: reconcile now
} as const;

export interface SourceLocation {
  /** Path of the manifest file, relative to the manifests directory. */
  file: string;
  /** 1-based. */
  line: number;
  col: number;
}

export interface ObjectMeta {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Resource<Spec = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  /** Where the document starts. */
  source: SourceLocation;
  /** Short hash of the normalized spec (and annotations that affect behaviour); changes when the spec changes. */
  generation: string;
}

/** `kind/name`: a resource's identity and its work-queue key. */
export type ResourceKey = string;

export function keyOf(r: { kind: string; metadata: { name: string } }): ResourceKey {
  return `${r.kind}/${r.metadata.name}`;
}

export function parseKey(key: string): { kind: string; name: string } {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) throw new Error(`expected KIND/NAME, got "${key}"`);
  return { kind: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The git revision of the manifests directory a desired state was read at. */
export interface Revision {
  /** Commit id of HEAD, or null when the directory is not a git work tree. */
  commit: string | null;
  /** True when tracked or untracked manifest files differ from HEAD. */
  dirty: boolean;
  /** The commit's subject line, when known (a git source, `run --git`). */
  subject?: string;
}

/** `abc123def456`, `abc123def456-dirty`, `untracked` or `-`; `digits` of the sha (`get` shows 7, `describe` all). */
export function formatRevision(rev: Revision | null | undefined, digits = 12): string {
  if (!rev || !rev.commit) return rev?.dirty ? 'untracked' : '-';
  return rev.commit.slice(0, digits) + (rev.dirty ? '-dirty' : '');
}
