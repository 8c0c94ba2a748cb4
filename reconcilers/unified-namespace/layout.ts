/**
 * Which folders a UnifiedNamespace declares, from the spec alone: the root, the `layout` preset and
 * `directories`, plus every folder between them and the root (a folder cannot exist without its parents),
 * parents before children. The `trash` preset is the TRaSH Guides tree (File-and-Folder-Structure): one
 * `torrents/` and one `usenet/` download area and the `media/` library, side by side under one root, so that
 * imports are hardlinks or renames.
 */
import { posix } from 'node:path';
import type { UnifiedNamespaceSpec } from './spec.js';

const CATEGORIES = ['books', 'movies', 'music', 'tv'] as const;

/**
 * TRaSH Guides' `data` tree: torrents/{books,movies,music,tv}, usenet/incomplete (one flat folder: the download
 * client sorts only when a job completes), usenet/complete/{books,movies,music,tv}, media/{books,movies,music,tv}.
 */
export const TRASH_LAYOUT: readonly string[] = [
  ...CATEGORIES.map((c) => `torrents/${c}`),
  'usenet/incomplete',
  ...CATEGORIES.map((c) => `usenet/complete/${c}`),
  ...CATEGORIES.map((c) => `media/${c}`),
];

/** One folder of the tree. */
export interface DeclaredFolder {
  /** Relative to the root; `''` for the root itself. */
  rel: string;
  /** The host path. */
  path: string;
}

/** Every folder relative to the root, parents first (the root itself is not in the list). */
export function declaredRelativeFolders(spec: Pick<UnifiedNamespaceSpec, 'layout' | 'directories'>): string[] {
  const wanted = [...(spec.layout === 'trash' ? TRASH_LAYOUT : []), ...spec.directories];
  const all = new Set<string>();
  for (const folder of wanted) {
    const segments = folder.split('/').filter((s) => s !== '' && s !== '.');
    for (let i = 1; i <= segments.length; i++) all.add(segments.slice(0, i).join('/'));
  }
  // Parents first; siblings in a stable (sorted) order so that plans print the same way every time.
  return [...all].sort(compareParentsFirst);
}

/** The root and every declared folder, parents first. */
export function declaredFolders(spec: Pick<UnifiedNamespaceSpec, 'root' | 'layout' | 'directories'>): DeclaredFolder[] {
  return [{ rel: '', path: spec.root }, ...declaredRelativeFolders(spec).map((rel) => ({ rel, path: posix.join(spec.root, rel) }))];
}

/** Path depth (number of segments): deeper folders are removed first. */
export function depthOf(path: string): number {
  return path.split('/').filter(Boolean).length;
}

function compareParentsFirst(a: string, b: string): number {
  const da = depthOf(a);
  const db = depthOf(b);
  if (da !== db) return da - db;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `path` is `root` or below it (both normalized absolute paths). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root === '/' ? '/' : `${root}/`);
}

/**
 * The tree a checked change on `path` must stay inside: the root for a folder below it; the root's parent for the
 * root itself (and for a folder left from an earlier root, its own parent: there the recorded inode is the guard).
 */
export function treeOf(root: string, path: string): string {
  return path !== root && isInside(root, path) ? root : posix.dirname(path);
}

/** `host:path`, how changes name what they act on. */
export function hostTarget(host: string, path: string): string {
  return `${host}:${path}`;
}

/** A folder as people say it: `media/movies`, or `the root` for `''`. */
export function folderLabel(folder: DeclaredFolder): string {
  return folder.rel === '' ? `root ${folder.path}` : `${folder.rel} (${folder.path})`;
}
