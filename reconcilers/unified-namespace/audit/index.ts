/**
 * The copy audit for `homeostat describe`: how many files under `media/` are copies of a file under `torrents/`
 * or `usenet/` (same size and content, different inode) instead of hardlinks, and the bytes that wastes.
 * Incremental: a metadata walk (no content) at most every AUDIT_INTERVAL_MS; only files with a same-size
 * counterpart on the other side are ever hashed, each once per identity (dev, ino, size, mtime) thanks to the
 * hash index kept in the resource's cache (a state-store table, so a large library stays incremental), within a
 * byte budget per run.
 */
import { posix } from 'node:path';
import type { Host } from '../../host/index.js';
import { findCopies, hashCandidates } from './copies.js';
import { hashFiles } from './hash.js';
import type { ResourceCache } from '../../core/contract.js';
import { identityKey, type UnifiedNamespaceMemo } from './memo.js';
import { walkFiles, type FileRecord } from './walk.js';

export const AUDIT_INTERVAL_MS = 10 * 60_000;
/** Content hashed per run at most (about 15 s of a USB hard disk); the rest continues in the next runs. */
export const HASH_BUDGET_BYTES = 2 * 1024 ** 3;
export const LIBRARY_FOLDER = 'media';
export const DOWNLOAD_FOLDERS = ['torrents', 'usenet'] as const;

export interface AuditStatus {
  at: string;
  libraryFiles: number;
  downloadFiles: number;
  /** Library files (inodes) that are copies of a download instead of hardlinks. */
  copies: number;
  wastedBytes: number;
  /** Up to 5 of them, relative to the root. */
  examples: string[];
  /** Library files that may be copies but are not hashed yet (the audit continues in the next runs). */
  unresolved: number;
  hashedFiles: number;
  hashedBytes: number;
  /** Folders met on another filesystem (not walked). */
  otherDevices: string[];
  durationMs: number;
}

export function auditDue(memo: UnifiedNamespaceMemo, now: number): boolean {
  return !memo.audit || memo.audit.pending > 0 || now - memo.audit.at >= AUDIT_INTERVAL_MS || now < memo.audit.at;
}

export async function runAudit(
  host: Host,
  root: string,
  memo: UnifiedNamespaceMemo,
  hashIndex: ResourceCache,
  now: number,
  opts: { signal?: AbortSignal; budgetBytes?: number } = {},
): Promise<AuditStatus> {
  const started = performance.now();
  const [library, ...downloadWalks] = await Promise.all(
    [LIBRARY_FOLDER, ...DOWNLOAD_FOLDERS].map((folder) => walkFiles(host, posix.join(root, folder), opts.signal)),
  );
  const downloads = downloadWalks.flatMap((w) => w.files);
  const candidates = hashCandidates(library!.files, downloads).sort(
    (a, b) => a.size - b.size || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );

  const known = hashIndex.load();
  const missing = candidates.filter((f) => !known.has(identityKey(f)));
  const run = await hashFiles(host, missing, opts.budgetBytes ?? HASH_BUDGET_BYTES, opts.signal);
  const fresh = new Map([...run.hashes].map(([file, hash]) => [identityKey(file), hash]));

  // The new index holds exactly the current candidates' hashes: files that changed or went drop out.
  const index = new Map<string, string>();
  for (const file of candidates) {
    const key = identityKey(file);
    const hash = known.get(key) ?? fresh.get(key);
    if (hash !== undefined) index.set(key, hash);
  }
  const hashOf = (f: FileRecord) => index.get(identityKey(f));
  const findings = findCopies(library!.files, downloads, hashOf);
  hashIndex.save(index);
  memo.audit = { at: now, pending: run.left };

  const rel = (p: string) => posix.relative(root, p);
  return {
    at: new Date(now).toISOString(),
    libraryFiles: library!.files.length,
    downloadFiles: downloads.length,
    copies: findings.copies.length,
    wastedBytes: findings.wastedBytes,
    examples: findings.copies.slice(0, 5).map((f) => rel(f.path)),
    unresolved: findings.unresolved,
    hashedFiles: run.hashes.size,
    hashedBytes: run.bytes,
    otherDevices: [library!, ...downloadWalks].flatMap((w) => w.otherDevices),
    durationMs: Math.round(performance.now() - started),
  };
}
