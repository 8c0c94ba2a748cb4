/**
 * The file operations of an SSH host *without* a sandbox root: SFTP on the machine's own paths, with GNU `stat`
 * (batched per tick, ssh-stat.ts) for what SFTP attributes lack, `chown -h`/`mv -fT` where the server has no
 * extension for it, and the precise errno told from the paths where sftp-server only says "Failure". Paths are
 * looked up by the remote kernel as any program's are (a host with a root uses ssh-root-files.ts instead).
 */
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { HostError, isHostError, type ExecResult, type FileStat, type WriteOptions } from './host.js';
import { mapHostPath, normalizeHostPath } from './host-path.js';
import { parseMountPoints } from './local-mount.js';
import type { SshConnection } from './ssh-connection.js';
import type { GuardedOperation, SshFileOperations } from './ssh-operation.js';
import { sftpCall, SftpError } from './ssh-sftp.js';
import type { StatBatcher } from './ssh-stat.js';
import { sftpReadIfExists, writeFileAtomicSftp } from './ssh-write.js';

type SftpOp<T> = (sftp: SFTPWrapper) => Promise<T>;

export interface SftpFilesContext {
  hostName: string;
  connection: SshConnection;
  stats: StatBatcher;
  op: GuardedOperation;
  exec(argv: string[]): Promise<ExecResult>;
}

export class SftpFiles implements SshFileOperations {
  private readonly name: string;

  constructor(private readonly ctx: SftpFilesContext) {
    this.name = ctx.hostName;
  }

  /** The machine's own path (normalized; `..` above `/` stops there). Throws EESCAPE for a relative path. */
  private real(path: string): string {
    return mapHostPath(this.name, undefined, path);
  }

  private sftpOp<T>(operation: string, hostPath: string, fn: SftpOp<T>, signal?: AbortSignal): Promise<T> {
    return this.ctx.op(operation, hostPath, async () => fn(await this.ctx.connection.sftp()), signal);
  }

  private fail(code: HostError['code'], operation: string, hostPath: string, detail: string): HostError {
    return new HostError(code, `${operation} ${hostPath}: ${detail}`, this.name, hostPath);
  }

  private async sftpLstat(sftp: SFTPWrapper, real: string): Promise<Stats | null> {
    try {
      return await sftpCall<Stats>(sftp, (s, cb) => s.lstat(real, cb));
    } catch (err) {
      if (err instanceof SftpError && err.code === 'ENOENT') return null;
      throw err;
    }
  }

  async readFile(path: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer> {
    const real = this.real(path);
    return this.sftpOp('read', path, async (sftp) => {
      try {
        return await sftpCall<Buffer>(sftp, (s, cb) => s.readFile(real, cb));
      } catch (err) {
        if (err instanceof SftpError && err.code === 'FAILURE' && (await this.sftpLstat(sftp, real))?.isDirectory()) {
          throw this.fail('EISDIR', 'read', path, 'is a directory');
        }
        throw err;
      }
    }, opts.signal);
  }

  async readFileIfExists(path: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer | null> {
    const real = this.real(path);
    return this.sftpOp('read', path, (sftp) => sftpReadIfExists(sftp, real), opts.signal);
  }

  async writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const real = this.real(path);
    const ctx = { hostName: this.name, sftp: () => this.ctx.connection.sftp(), exec: (argv: string[]) => this.ctx.exec(argv) };
    return this.ctx.op('write', path, () => writeFileAtomicSftp(ctx, path, real, data, opts), opts.signal);
  }

  async stat(path: string): Promise<FileStat | null> {
    const real = this.real(path);
    return this.ctx.op('stat', path, () => this.ctx.stats.stat(real, path, true));
  }

  async lstat(path: string): Promise<FileStat | null> {
    const real = this.real(path);
    return this.ctx.op('lstat', path, () => this.ctx.stats.stat(real, path, false));
  }

  async isMountpoint(path: string): Promise<boolean> {
    if (normalizeHostPath(path) === '/') return true;
    const real = this.real(path);
    return this.ctx.op('isMountpoint', path, async () => {
      const [self, parent] = await Promise.all([this.ctx.stats.stat(real, path, true), this.ctx.stats.stat(posix.dirname(real), path, true)]);
      if (!self || self.type !== 'directory') return false;
      if (!parent || self.dev !== parent.dev || self.ino === parent.ino) return true;
      // Same device as the parent: still a mount point if it is a bind mount of the same filesystem.
      const sftp = await this.ctx.connection.sftp();
      const [resolved, mountinfo] = await Promise.all([
        sftpCall<string>(sftp, (s, cb) => s.realpath(real, cb)),
        sftpReadIfExists(sftp, '/proc/self/mountinfo').catch(() => null),
      ]);
      return mountinfo !== null && parseMountPoints(mountinfo.toString('utf8')).has(resolved);
    });
  }

  async mkdir(path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    return this.sftpOp('mkdir', path, (sftp) => this.mkdirWith(sftp, path, opts.recursive ?? false, opts.mode ?? 0o755));
  }

  private async mkdirWith(sftp: SFTPWrapper, path: string, recursive: boolean, mode: number): Promise<void> {
    const real = this.real(path);
    try {
      await sftpCall(sftp, (s, cb) => s.mkdir(real, { mode }, cb));
    } catch (err) {
      if (!(err instanceof SftpError)) throw err;
      if (err.code === 'ENOENT' && recursive) {
        const parent = posix.dirname(normalizeHostPath(path) ?? path);
        if (parent === path) throw err;
        await this.mkdirWith(sftp, parent, true, mode);
        return this.mkdirWith(sftp, path, false, mode).catch((again: unknown) => {
          if (isHostError(again, 'EEXIST')) return; // created meanwhile by someone else
          throw again;
        });
      }
      if (err.code === 'FAILURE' || err.code === 'EACCES') {
        const existing = await this.sftpLstat(sftp, real);
        if (existing?.isDirectory() && recursive) return;
        if (existing) throw this.fail('EEXIST', 'mkdir', path, 'already exists');
      }
      throw err;
    }
  }

  async readdir(path: string): Promise<string[]> {
    const real = this.real(path);
    return this.sftpOp('readdir', path, async (sftp) => {
      try {
        const entries = await sftpCall<{ filename: string }[]>(sftp, (s, cb) => s.readdir(real, cb));
        return entries.map((e) => e.filename).filter((n) => n !== '.' && n !== '..').sort();
      } catch (err) {
        if (err instanceof SftpError && err.code === 'FAILURE') {
          const existing = await this.sftpLstat(sftp, real);
          if (existing && !existing.isDirectory()) throw this.fail('ENOTDIR', 'readdir', path, 'not a directory');
        }
        throw err;
      }
    });
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    const real = this.real(path);
    return this.sftpOp('chown', path, async (sftp) => {
      try {
        await sftpCall(sftp, (s, cb) => s.ext_openssh_lsetstat(real, { uid, gid }, cb));
        return;
      } catch (err) {
        if (!(err instanceof SftpError && err.code === 'EUNSUPPORTED')) throw err;
      }
      // Without lsetstat@openssh.com, SFTP chown follows symlinks: use `chown -h` for those.
      if ((await this.sftpLstat(sftp, real))?.isSymbolicLink()) {
        const result = await this.ctx.exec(['chown', '-h', `${uid}:${gid}`, '--', real]);
        if (result.code !== 0) throw this.fail('EIO', 'chown', path, result.stderr.trim());
        return;
      }
      await sftpCall(sftp, (s, cb) => s.chown(real, uid, gid, cb));
    });
  }

  async chmod(path: string, mode: number): Promise<void> {
    const real = this.real(path);
    return this.sftpOp('chmod', path, (sftp) => sftpCall(sftp, (s, cb) => s.chmod(real, mode, cb)));
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    const [realExisting, realNew] = [this.real(existingPath), this.real(newPath)];
    return this.sftpOp('link', existingPath, async (sftp) => {
      try {
        await sftpCall(sftp, (s, cb) => s.ext_openssh_hardlink(realExisting, realNew, cb));
      } catch (err) {
        if (err instanceof SftpError && err.code === 'FAILURE') throw await this.explainFailure(sftp, 'link', existingPath, newPath, realExisting, realNew, err);
        throw err;
      }
    });
  }

  async rename(from: string, to: string): Promise<void> {
    const [realFrom, realTo] = [this.real(from), this.real(to)];
    return this.sftpOp('rename', from, async (sftp) => {
      try {
        await sftpCall(sftp, (s, cb) => s.ext_openssh_rename(realFrom, realTo, cb));
      } catch (err) {
        if (err instanceof SftpError && err.code === 'EUNSUPPORTED') {
          const moved = await this.ctx.exec(['mv', '-fT', '--', realFrom, realTo]);
          if (moved.code !== 0) throw this.fail('EIO', 'rename', from, moved.stderr.trim());
          return;
        }
        if (err instanceof SftpError && err.code === 'FAILURE') throw await this.explainFailure(sftp, 'rename', from, to, realFrom, realTo, err);
        throw err;
      }
    });
  }

  /** sftp-server says only "Failure" for EEXIST/EXDEV/ENOTEMPTY...: look at the paths to say which. */
  private async explainFailure(
    sftp: SFTPWrapper,
    operation: 'link' | 'rename',
    from: string,
    to: string,
    realFrom: string,
    realTo: string,
    cause: SftpError,
  ): Promise<HostError> {
    const target = await this.sftpLstat(sftp, realTo);
    if (operation === 'link' && target) return this.fail('EEXIST', operation, to, 'already exists');
    const [source, targetDir] = await Promise.all([
      this.ctx.stats.stat(realFrom, from, false),
      this.ctx.stats.stat(posix.dirname(realTo), to, true),
    ]);
    if (source && targetDir && source.dev !== targetDir.dev) return this.fail('EXDEV', operation, from, `${to} is on another filesystem`);
    if (operation === 'rename' && target?.isDirectory()) {
      return this.fail(source?.type === 'directory' ? 'ENOTEMPTY' : 'EISDIR', operation, to, 'target is a directory');
    }
    return new HostError('EIO', `${operation} ${from} → ${to}: ${cause.message}`, this.name, from, { cause });
  }

  async unlink(path: string): Promise<void> {
    const real = this.real(path);
    return this.sftpOp('unlink', path, async (sftp) => {
      try {
        await sftpCall(sftp, (s, cb) => s.unlink(real, cb));
      } catch (err) {
        if (err instanceof SftpError && err.code === 'ENOENT') return;
        if (err instanceof SftpError && err.code === 'FAILURE' && (await this.sftpLstat(sftp, real))?.isDirectory()) {
          throw this.fail('EISDIR', 'unlink', path, 'is a directory');
        }
        throw err;
      }
    });
  }

  async rmdir(path: string): Promise<void> {
    const real = this.real(path);
    return this.sftpOp('rmdir', path, async (sftp) => {
      try {
        await sftpCall(sftp, (s, cb) => s.rmdir(real, cb));
      } catch (err) {
        if (!(err instanceof SftpError)) throw err;
        if (err.code === 'ENOENT') return;
        if (err.code !== 'FAILURE') throw err;
        const existing = await this.sftpLstat(sftp, real);
        if (!existing) return;
        if (!existing.isDirectory()) throw this.fail('ENOTDIR', 'rmdir', path, 'not a directory');
        throw this.fail('ENOTEMPTY', 'rmdir', path, 'directory not empty');
      }
    });
  }
}
