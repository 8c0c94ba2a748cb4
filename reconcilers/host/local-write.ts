/**
 * Atomic, optionally compare-and-swap, file replacement on this machine: a temp file beside the target
 * (`NAME.tmp.<pid>.<random>`), written, fsynced, given the right mode and owner, renamed over the target,
 * then the directory is fsynced; answers the stat of the file written. The temp file is removed on any failure; the target is never half-written.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileStatFromNode } from './file-stat.js';
import { HostError, type FileStat, type WriteOptions } from './host.js';
import { throwIfAborted, toHostError } from './errors.js';

/** `NAME.tmp.<pid>.<random>` — recognizable leftovers, unique per writer. */
export function tempNameFor(target: string): string {
  return join(dirname(target), `${basename(target)}.tmp.${process.pid}.${randomBytes(6).toString('hex')}`);
}

async function readIfExists(realPath: string): Promise<Buffer | null> {
  try {
    return await readFile(realPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function statIfExists(realPath: string) {
  try {
    return await stat(realPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems (pmxcfs, FUSE) cannot fsync a directory; the rename itself is still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * How the current file is read for the compare-and-swap and for the mode and owner to keep. Default: through
 * `realPath`. Inside a sandbox root, `realPath` is `/proc/self/fd/P/NAME` (reaching the entry itself) and the
 * host reads the current file with its own confined resolution instead.
 */
export interface CurrentFile {
  readCurrent(): Promise<Buffer | null>;
  statCurrent(): Promise<{ mode: number; uid: number; gid: number } | null>;
}

export async function writeFileAtomicLocal(
  hostName: string,
  hostPath: string,
  realPath: string,
  data: Buffer | string,
  opts: WriteOptions = {},
  current: CurrentFile = { readCurrent: () => readIfExists(realPath), statCurrent: () => statIfExists(realPath) },
): Promise<FileStat> {
  const { signal } = opts;
  const fsync = opts.fsync ?? true;
  let tempPath: string | undefined;
  let handle: FileHandle | undefined;
  try {
    throwIfAborted(signal, hostName, 'write', hostPath);
    if (opts.expected !== undefined) {
      const existing = await current.readCurrent();
      const holds = opts.expected === null ? existing === null : existing !== null && existing.equals(opts.expected);
      if (!holds) {
        const what = existing === null ? 'does not exist' : opts.expected === null ? 'already exists' : 'has changed';
        throw new HostError('ECONFLICT', `write ${hostPath}: the file ${what} (compare-and-swap refused)`, hostName, hostPath);
      }
    }
    const existing = await current.statCurrent();
    tempPath = tempNameFor(realPath);
    // Private until its mode is set; with keepDefaultMode the filesystem's default (umask) applies instead.
    handle = await open(tempPath, 'wx', opts.keepDefaultMode ? 0o666 : 0o600);
    {
      await handle.writeFile(data);
      if (!opts.keepDefaultMode) {
        const mode = opts.mode ?? (existing ? existing.mode & 0o7777 : 0o644);
        const uid = opts.uid ?? existing?.uid;
        const gid = opts.gid ?? existing?.gid;
        const temp = await handle.stat();
        if ((uid !== undefined && uid !== temp.uid) || (gid !== undefined && gid !== temp.gid)) {
          await handle.chown(uid ?? -1, gid ?? -1);
        }
        // chmod after chown: chown clears setuid/setgid bits.
        await handle.chmod(mode);
      }
      if (fsync) await handle.sync();
    }
    throwIfAborted(signal, hostName, 'write', hostPath);
    await rename(tempPath, realPath);
    tempPath = undefined;
    // The file written, as it is after the rename, through its own handle (own-writes.ts: its watch event is an echo).
    const written = fileStatFromNode(await handle.stat());
    if (fsync) await fsyncDirectory(dirname(realPath));
    return written;
  } catch (err) {
    throw toHostError(err, hostName, 'write', hostPath);
  } finally {
    await handle?.close().catch(() => undefined);
    if (tempPath !== undefined) await unlink(tempPath).catch(() => undefined);
  }
}
