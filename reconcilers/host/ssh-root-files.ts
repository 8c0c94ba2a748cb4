/**
 * The file operations of an SSH host *with* a sandbox root: each is one request to the remote helper
 * (ssh-helper-files-script.ts), which resolves the path inside the root (openat2 RESOLVE_IN_ROOT semantics,
 * folder descriptor by folder descriptor) and acts on what it resolved, through the parent folder it holds open,
 * never on a path looked up again: a folder inside the root swapped for a symlink at any moment cannot lead a read,
 * write, chmod, mkdir or unlink outside it. File content crosses the helper's framing (at most
 * MAX_HELPER_FILE_BYTES); a compare-and-swap sends the sha256 of the expected bytes, never the bytes.
 */
import { createHash } from 'node:crypto';
import { HostError, isHostError, type FileStat, type WriteOptions } from './host.js';
import { mapHostPath, normalizeHostPath } from './host-path.js';
import { helperStat, type HelperWord, type RemoteHelper } from './ssh-helper.js';
import { MAX_HELPER_FILE_BYTES } from './ssh-helper-script.js';
import type { GuardedOperation, SshFileOperations } from './ssh-operation.js';
import type { OwnWrites } from './own-writes.js';
import { parseStatFields } from './file-stat.js';

export interface RootFilesContext {
  hostName: string;
  /** The real sandbox root on the remote machine (normalized, absolute). */
  root: string;
  helper: RemoteHelper;
  op: GuardedOperation;
  /** Where writes note what they wrote (own-writes.ts). */
  ownWrites: OwnWrites;
}

/** A path that cannot be resolved because a folder on the way is missing (or not a folder). */
const isMissing = (err: unknown): boolean => isHostError(err, 'ENOENT') || isHostError(err, 'ENOTDIR');

const octal = (mode: number): string => mode.toString(8);

export class RootFiles implements SshFileOperations {
  constructor(private readonly ctx: RootFilesContext) {}

  /** The normalized host path; throws EESCAPE for a relative path, a NUL or a `..` above the root. */
  private hostPath(path: string): string {
    mapHostPath(this.ctx.hostName, this.ctx.root, path);
    return normalizeHostPath(path)!;
  }

  /** One helper op on `paths` (host paths) and further words, guarded, its answer as bytes. */
  private request(op: string, operation: string, paths: string[], words: HelperWord[] = [], signal?: AbortSignal): Promise<Buffer> {
    const hostPaths = paths.map((p) => this.hostPath(p));
    const named = paths[0]!;
    return this.ctx.op(operation, named, () => this.ctx.helper.callBytes(op, [this.ctx.root, ...hostPaths, ...words], operation, named), signal);
  }

  private async text(op: string, operation: string, paths: string[], words: HelperWord[] = []): Promise<string> {
    return (await this.request(op, operation, paths, words)).toString('utf8');
  }

  async readFile(path: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer> {
    return this.request('read', 'read', [path], [], opts.signal);
  }

  async readFileIfExists(path: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer | null> {
    try {
      return await this.readFile(path, opts);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (bytes.length > MAX_HELPER_FILE_BYTES) {
      throw new HostError('EIO', `write ${path}: ${bytes.length} bytes, more than the ${MAX_HELPER_FILE_BYTES} a host with a root writes`, this.ctx.hostName, path);
    }
    const expect = opts.expected === undefined ? '' : opts.expected === null ? '-' : createHash('sha256').update(opts.expected).digest('hex');
    const words: HelperWord[] = [
      bytes,
      expect,
      opts.mode === undefined ? '' : octal(opts.mode),
      opts.uid === undefined ? '' : String(opts.uid),
      opts.gid === undefined ? '' : String(opts.gid),
      opts.fsync ?? true ? '1' : '0',
      opts.keepDefaultMode ? '1' : '0',
    ];
    await this.ctx.ownWrites.around(this.hostPath(path), async () => {
      const written = (await this.request('write', 'write', [path], words, opts.signal)).toString('utf8');
      return written === '' ? null : parseStatFields(written.split(' '));
    });
  }

  async stat(path: string): Promise<FileStat | null> {
    return this.statWith('stat', path, true);
  }

  async lstat(path: string): Promise<FileStat | null> {
    return this.statWith('lstat', path, false);
  }

  private async statWith(operation: string, path: string, follow: boolean): Promise<FileStat | null> {
    let line: string;
    try {
      line = await this.text('stat', operation, [path], [follow ? '1' : '0']);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    return line === 'M' ? null : helperStat(line, this.ctx.hostName, operation, path);
  }

  async isMountpoint(path: string): Promise<boolean> {
    if (this.hostPath(path) === '/') return true;
    try {
      return (await this.text('mountpoint', 'isMountpoint', [path])) === '1';
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async mkdir(path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    await this.request('mkdir', 'mkdir', [path], [octal(opts.mode ?? 0o755), opts.recursive ? '1' : '0']);
  }

  async readdir(path: string): Promise<string[]> {
    const names = await this.text('readdir', 'readdir', [path]);
    return names === '' ? [] : names.split('\0').sort();
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    await this.request('chown', 'chown', [path], [String(uid), String(gid)]);
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.request('chmod', 'chmod', [path], [octal(mode)]);
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    await this.request('link', 'link', [existingPath, newPath]);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.request('rename', 'rename', [from, to]);
  }

  async unlink(path: string): Promise<void> {
    try {
      await this.request('unlink', 'unlink', [path]);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }

  async rmdir(path: string): Promise<void> {
    try {
      await this.request('rmdir', 'rmdir', [path]);
    } catch (err) {
      if (!isHostError(err, 'ENOENT')) throw err;
    }
  }
}
