/**
 * The copy audit's arithmetic, pure: which files must be hashed (only those with a same-size counterpart on the
 * other side that is not already the same inode), and which library files are copies of a download (same size
 * and content, different inode) rather than hardlinks, with the bytes that wastes (each inode counted once).
 */
import { identityKey } from './memo.js';
import type { FileRecord } from './walk.js';

const inode = (f: FileRecord) => `${f.dev}:${f.ino}`;

/** Files whose content must be known: in a size group present on both sides, except library files that are a download's inode. */
export function hashCandidates(library: readonly FileRecord[], downloads: readonly FileRecord[]): FileRecord[] {
  const downloadsBySize = groupBySize(downloads);
  const out = new Map<string, FileRecord>();
  for (const file of library) {
    if (file.size === 0) continue;
    const group = downloadsBySize.get(file.size);
    if (!group || group.some((d) => inode(d) === inode(file))) continue;
    const add = (f: FileRecord) => out.has(identityKey(f)) || out.set(identityKey(f), f);
    add(file);
    group.forEach(add);
  }
  return [...out.values()];
}

export interface CopyFindings {
  /** Library files (one path per inode) that are copies of a download. */
  copies: FileRecord[];
  wastedBytes: number;
  /** Library files (inodes) that could be copies but whose content (or a counterpart's) is not hashed yet. */
  unresolved: number;
}

export function findCopies(
  library: readonly FileRecord[],
  downloads: readonly FileRecord[],
  hashOf: (file: FileRecord) => string | undefined,
): CopyFindings {
  const downloadsBySize = groupBySize(downloads);
  const counted = new Set<string>();
  const unresolved = new Set<string>();
  const findings: CopyFindings = { copies: [], wastedBytes: 0, unresolved: 0 };
  for (const file of library) {
    if (file.size === 0 || counted.has(inode(file))) continue;
    const group = downloadsBySize.get(file.size);
    if (!group || group.some((d) => inode(d) === inode(file))) continue;
    const hash = hashOf(file);
    const hashes = group.map(hashOf);
    if (hash !== undefined && hashes.includes(hash)) {
      counted.add(inode(file));
      findings.copies.push(file);
      findings.wastedBytes += file.size;
    } else if (hash === undefined || hashes.includes(undefined)) {
      unresolved.add(inode(file));
    }
  }
  findings.unresolved = unresolved.size;
  return findings;
}

function groupBySize(files: readonly FileRecord[]): Map<number, FileRecord[]> {
  const groups = new Map<number, FileRecord[]>();
  for (const f of files) {
    const group = groups.get(f.size);
    if (group) group.push(f);
    else groups.set(f.size, [f]);
  }
  return groups;
}
