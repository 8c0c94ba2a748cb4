/**
 * Atomic, optionally compare-and-swap, file replacement over SFTP: read the current content when a CAS is
 * asked for (`ECONFLICT` if it no longer matches), write `NAME.tmp.<pid>.<random>` beside the target with
 * the kept or given mode and owner, fsync it (fsync@openssh.com), rename it over the target
 * (posix-rename@openssh.com, else `mv -fT`), then `sync` the directory. The temp file is removed on failure.
 * The check and the rename are two steps: a writer racing between them is not detected (SFTP has no CAS).
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { HostError, type ExecResult, type WriteOptions } from './host.js';
import { sftpCall, SftpError } from './ssh-sftp.js';

export interface SftpWriteContext {
  hostName: string;
  sftp(): Promise<SFTPWrapper>;
  exec(argv: string[]): Promise<ExecResult>;
}

const CHUNK = 32 * 1024;

export async function sftpReadIfExists(sftp: SFTPWrapper, realPath: string): Promise<Buffer | null> {
  try {
    return await sftpCall<Buffer>(sftp, (s, cb) => s.readFile(realPath, cb));
  } catch (err) {
    if (err instanceof SftpError && err.code === 'ENOENT') return null;
    throw err;
  }
}

async function statIfExists(sftp: SFTPWrapper, realPath: string): Promise<Stats | null> {
  try {
    return await sftpCall<Stats>(sftp, (s, cb) => s.stat(realPath, cb));
  } catch (err) {
    if (err instanceof SftpError && err.code === 'ENOENT') return null;
    throw err;
  }
}

export async function writeFileAtomicSftp(
  ctx: SftpWriteContext,
  hostPath: string,
  realPath: string,
  data: Buffer | string,
  opts: WriteOptions = {},
): Promise<void> {
  const { hostName } = ctx;
  const aborted = (): void => {
    if (opts.signal?.aborted) throw new HostError('EABORTED', `write ${hostPath}: aborted`, hostName, hostPath);
  };
  const sftp = await ctx.sftp();
  aborted();
  if (opts.expected !== undefined) {
    const current = await sftpReadIfExists(sftp, realPath);
    const holds = opts.expected === null ? current === null : current !== null && current.equals(opts.expected);
    if (!holds) {
      const what = current === null ? 'does not exist' : opts.expected === null ? 'already exists' : 'has changed';
      throw new HostError('ECONFLICT', `write ${hostPath}: the file ${what} (compare-and-swap refused)`, hostName, hostPath);
    }
  }
  const existing = await statIfExists(sftp, realPath);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const tempPath = posix.join(posix.dirname(realPath), `${posix.basename(realPath)}.tmp.${process.pid}.${randomBytes(6).toString('hex')}`);
  let tempExists = false;
  try {
    // Private until its mode is set; with keepDefaultMode the server's default (umask) applies instead.
    const createMode = opts.keepDefaultMode ? 0o666 : 0o600;
    const handle = await sftpCall<Buffer>(sftp, (s, cb) => s.open(tempPath, 'wx', { mode: createMode }, cb));
    tempExists = true;
    try {
      for (let offset = 0; offset < bytes.length; offset += CHUNK) {
        const length = Math.min(CHUNK, bytes.length - offset);
        await sftpCall(sftp, (s, cb) => s.write(handle, bytes, offset, length, offset, cb));
      }
      if (!opts.keepDefaultMode) {
        const mode = opts.mode ?? (existing ? existing.mode & 0o7777 : 0o644);
        const uid = opts.uid ?? existing?.uid;
        const gid = opts.gid ?? existing?.gid;
        const temp = await sftpCall<Stats>(sftp, (s, cb) => s.fstat(handle, cb));
        if ((uid !== undefined && uid !== temp.uid) || (gid !== undefined && gid !== temp.gid)) {
          await sftpCall(sftp, (s, cb) => s.fchown(handle, uid ?? temp.uid, gid ?? temp.gid, cb));
        }
        await sftpCall(sftp, (s, cb) => s.fchmod(handle, mode, cb));
      }
      if (opts.fsync ?? true) {
        await sftpCall(sftp, (s, cb) => s.ext_openssh_fsync(handle, cb)).catch((err: unknown) => {
          if (!(err instanceof SftpError && err.code === 'EUNSUPPORTED')) throw err;
        });
      }
    } finally {
      await sftpCall(sftp, (s, cb) => s.close(handle, cb)).catch(() => undefined);
    }
    aborted();
    try {
      await sftpCall(sftp, (s, cb) => s.ext_openssh_rename(tempPath, realPath, cb));
    } catch (err) {
      if (!(err instanceof SftpError && err.code === 'EUNSUPPORTED')) throw err;
      const moved = await ctx.exec(['mv', '-fT', tempPath, realPath]);
      if (moved.code !== 0) throw new HostError('EIO', `write ${hostPath}: rename failed: ${moved.stderr.trim()}`, hostName, hostPath);
    }
    tempExists = false;
    if (opts.fsync ?? true) {
      // SFTP cannot fsync a directory; `sync DIR` can. pmxcfs and the like may refuse: the rename stands anyway.
      await ctx.exec(['sync', '--', posix.dirname(realPath)]).catch(() => undefined);
    }
  } finally {
    if (tempExists) await sftpCall(sftp, (s, cb) => s.unlink(tempPath, cb)).catch(() => undefined);
  }
}
