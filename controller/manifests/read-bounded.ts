/**
 * Reads one manifest file without ever holding more than the limits allow: the opened file is checked with fstat
 * (a regular file, at most `maxFileBytes`) before any byte is read, and reading stops one byte past the limit,
 * so a file that grows between the check and the read is refused too, never read whole. A `ReadBudget` shared by
 * the reads of one reload caps the bytes of all of them together the same way. Opened non-blocking, so that a
 * FIFO swapped in after the listing cannot hang the reload.
 */
import { mapLimited } from '../../reconcilers/core/map-limited.js';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestError } from './manifest-error.js';
import { directoryTooLarge, fileTooLarge, notAFile, type ManifestLimits } from './limits.js';

const CHUNK = 64 * 1024;

/** Bytes that the reads of one reload may still take. */
export class ReadBudget {
  constructor(private left: number) {}

  /** Up to `wanted` bytes (fewer when the budget is nearly spent). */
  take(wanted: number): number {
    const granted = Math.max(0, Math.min(wanted, this.left));
    this.left -= granted;
    return granted;
  }

  /** Gives back what was taken and not used. */
  give(bytes: number): void {
    this.left += bytes;
  }
}

export type BoundedRead =
  | { text: string; bytes: number; signature: string }
  /** `overBudget`: the error is about the directory's total, and the whole reload must be refused. */
  | { error: ManifestError; overBudget?: true };

/** `file` is the manifest path relative to the directory (for errors), `path` where it is. */
export async function readManifestText(path: string, file: string, limits: ManifestLimits, budget: ReadBudget): Promise<BoundedRead> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile()) return { error: notAFile(file) };
    if (stats.size > BigInt(limits.maxFileBytes)) return { error: fileTooLarge(file, Number(stats.size), limits) };
    const signature = `${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
    const chunks: Buffer[] = [];
    let bytes = 0;
    // Budget is taken for the bytes fstat announced; a one-byte probe then finds the end of the file without
    // taking any. A file longer than announced (it grows) takes budget for the rest like any other.
    let expected = Number(stats.size);
    for (;;) {
      // Reading one byte past the limit tells "exactly at the limit" from "grew past it".
      const room = limits.maxFileBytes + 1 - bytes;
      if (room <= 0) return { error: fileTooLarge(file, undefined, limits) };
      const wanted = Math.min(CHUNK, room, Math.max(expected - bytes, 0));
      const granted = wanted > 0 ? budget.take(wanted) : 0;
      const chunk = Buffer.allocUnsafe(granted > 0 ? granted : 1);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (granted > 0) budget.give(granted - bytesRead);
      if (bytesRead === 0) break;
      if (granted === 0) {
        if (wanted > 0 || budget.take(1) === 0) return { error: directoryTooLarge(file, undefined, limits), overBudget: true };
        expected = limits.maxFileBytes + 1;
      }
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    return { text: Buffer.concat(chunks, bytes).toString('utf8'), bytes, signature };
  } finally {
    await handle.close();
  }
}

/** Sizes of the listed files (0 for one gone since the listing), for the directory's limits before reading. */
export async function statSizes(dir: string, files: readonly string[]): Promise<Array<{ file: string; bytes: number }>> {
  return mapLimited(files, MANIFEST_READ_CONCURRENCY, async (file) => ({
    file,
    bytes: await stat(join(dir, file)).then(
      (s) => s.size,
      () => 0,
    ),
  }));
}

/** Manifest files read or stat'ed at once (a directory of a thousand files must not open a thousand at once). */
export const MANIFEST_READ_CONCURRENCY = 16;
