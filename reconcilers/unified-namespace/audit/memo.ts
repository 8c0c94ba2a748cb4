/**
 * What UnifiedNamespace keeps between runs. In `ReconcileContext.memo` (small JSON, written after every run):
 * when the hardlink probe last ran and on which folder identities, and when the copy audit last ran. In
 * `ReconcileContext.cache` (a table in the state store, any size): the audit's content-hash index, keyed by file
 * identity (dev, ino, size, mtime), holding only files that have a same-size counterpart on the other side (the
 * only ones ever hashed).
 */

export interface ProbeMemo {
  /** The folders' identities (dev, inode, mount) the probe ran on: a change re-runs it at once. */
  signature: string;
  at: number;
}

export interface AuditMemo {
  at: number;
  /** Candidate files not hashed yet (over the run's byte budget): the next run continues soon. */
  pending: number;
}

export interface UnifiedNamespaceMemo {
  probe?: ProbeMemo;
  audit?: AuditMemo;
}

/** The identity a hash stays valid for: same device, inode, size and mtime means same content (as rsync assumes). */
export function identityKey(file: { dev: number; ino: number; size: number; mtimeMs: number }): string {
  return [file.dev, file.ino, file.size, Math.round(file.mtimeMs)].map((n) => n.toString(36)).join('.');
}
