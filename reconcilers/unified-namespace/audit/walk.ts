/**
 * Lists the regular files below a folder through `Host` (readdir + lstat, many at once so that stats share round
 * trips over SSH): metadata only, never content. Never follows a symlink, and never descends into another
 * filesystem (a folder whose device differs is reported as a mount instead, like `find -xdev`).
 */
import { posix } from 'node:path';
import type { Host } from '../../host/index.js';
import { mapLimited } from '../../core/map-limited.js';

export interface FileRecord {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface WalkResult {
  files: FileRecord[];
  /** Folders on another device than the start (not descended into). */
  otherDevices: string[];
  folders: number;
}

/** How many stats are in flight at once. */
const CONCURRENCY = 128;

export async function walkFiles(host: Host, start: string, signal?: AbortSignal): Promise<WalkResult> {
  const result: WalkResult = { files: [], otherDevices: [], folders: 0 };
  const top = await host.lstat(start);
  if (top === null || top.type !== 'directory') return result;
  const dev = top.dev;
  let level = [start];
  while (level.length > 0) {
    signal?.throwIfAborted();
    result.folders += level.length;
    const listed = await mapLimited(level, CONCURRENCY, async (dir) => {
      const names = await host.readdir(dir).catch(() => [] as string[]); // vanished meanwhile: nothing to list
      return names.map((name) => posix.join(dir, name));
    });
    const paths = listed.flat();
    const stats = await mapLimited(paths, CONCURRENCY, (p) => host.lstat(p).catch(() => null));
    const next: string[] = [];
    paths.forEach((path, i) => {
      const st = stats[i];
      if (!st) return;
      if (st.type === 'directory') {
        if (st.dev === dev) next.push(path);
        else result.otherDevices.push(path);
      } else if (st.type === 'file') {
        result.files.push({ path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
      }
    });
    level = next;
  }
  return result;
}
