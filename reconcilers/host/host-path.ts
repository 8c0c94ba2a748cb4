/**
 * Host paths → real paths. A host path is absolute as the machine sees it; with a sandbox `root` it is mapped
 * under that folder, and any `..` that would climb above the root is refused with `EESCAPE` (never clamped,
 * so a typo cannot silently land somewhere else).
 */
import { posix } from 'node:path';
import { HostError } from './host.js';

/** Normalizes an absolute host path segment by segment; `null` when `..` climbs above `/`. */
export function normalizeHostPath(hostPath: string): string | null {
  const out: string[] = [];
  for (const segment of hostPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else {
      out.push(segment);
    }
  }
  return '/' + out.join('/');
}

/**
 * The real path for `hostPath` under `root` (or the normalized path itself without a root).
 * Throws `EESCAPE` for a relative path, a NUL byte, or a `..` escaping the root.
 */
export function mapHostPath(hostName: string, root: string | undefined, hostPath: string): string {
  if (!hostPath.startsWith('/') || hostPath.includes('\0')) {
    throw new HostError('EESCAPE', `not an absolute host path: ${JSON.stringify(hostPath)}`, hostName, hostPath);
  }
  const normalized = normalizeHostPath(hostPath);
  if (normalized === null) {
    if (root === undefined) return '/' + (posix.normalize(hostPath).replace(/^\/+/, ''));
    throw new HostError('EESCAPE', `path escapes the host root: ${hostPath}`, hostName, hostPath);
  }
  if (root === undefined) return normalized;
  return normalized === '/' ? root : root + normalized;
}

/** Validates a sandbox root: absolute, normalized, no trailing slash (`/` means no root). */
export function normalizeRoot(root: string | undefined): string | undefined {
  if (root === undefined) return undefined;
  if (!root.startsWith('/')) throw new Error(`host root must be an absolute path: ${root}`);
  const normalized = posix.normalize(root).replace(/\/+$/, '');
  return normalized === '' ? undefined : normalized;
}

/**
 * A name a checked operation creates or removes inside an opened folder: one path component (not empty, `.` or
 * `..`, no `/` or NUL), so that it can never reach past the folder checked. Throws `EESCAPE` otherwise.
 */
export function checkEntryName(hostName: string, folder: string, name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new HostError('EESCAPE', `not a single file name in ${folder}: ${JSON.stringify(name)}`, hostName, folder);
  }
}
