/**
 * `LocalHost`: the machine homeostat runs on, through node:fs and child_process (never a shell). With a `root`
 * (an absolute sandbox folder) every file operation resolves its path inside it as openat2 RESOLVE_IN_ROOT does
 * (local-resolve.ts: a symlink's absolute target starts again at the root, `..` stops there) and acts on the
 * entry through its opened parent (`/proc/self/fd/P/name`, O_NOFOLLOW), so nothing outside the root is read or
 * written whatever the links inside it say. Without a root, paths are the machine's own. The checked folder
 * changes (`*Checked`) always act through descriptors (local-checked.ts).
 */
import type Docker from 'dockerode';
import type { HostDockerSpec } from '../../crds/types.js';
import { DockerEndpoint } from './docker.js';
import type { HostPlatform } from './host.js';
import { constants, fstat, readFile as readFileCb } from 'node:fs';
import { chmod, lchown, link, mkdir, readdir, realpath, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { HostError, isHostError, type CheckedFolder, type Disposable, type ExecOptions, type ExecResult, type FileStat, type FolderCheck, type HardlinkOutcome, type Host, type WatchEvent, type WriteOptions } from './host.js';
import { toHostError, throwIfAborted } from './errors.js';
import { fileStatFromNode } from './file-stat.js';
import { checkEntryName, mapHostPath, normalizeHostPath, normalizeRoot } from './host-path.js';
import { OwnWrites } from './own-writes.js';
import { execLocal } from './local-exec.js';
import { chmodFolder, chownFolder, mkdirFolder, probeHardlinksIn, rmdirFolder, unlinkInFolder } from './local-checked.js';
import { isMountpointLocal } from './local-mount.js';
import { closeQuietly, fdPath, lstatIfExists, O_PATH, openFd, readlinkP, RootResolver, type Entry } from './local-resolve.js';
import { watchLocal } from './local-watch.js';
import { writeFileAtomicLocal } from './local-write.js';
import type { WatchHandle } from './watch-handle.js';

export interface LocalHostOptions {
  /** The Host resource's name; default `local`. */
  name?: string;
  /** Absolute sandbox folder every host path is mapped under. */
  root?: string;
  /** `spec.platform` of the Host resource. Default `proxmox`. */
  platform?: HostPlatform;
  /** `spec.docker` of the Host resource. */
  docker?: HostDockerSpec;
  log?: Logger;
}

function isErrno(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException | null)?.code ?? '');
}

const readFd = promisify(readFileCb) as (fd: number, opts: { signal?: AbortSignal }) => Promise<Buffer>;
const fstatFd = promisify(fstat);

/** How often an entry that turned into a symlink between the walk and the act is walked again. */
const RACE_RETRIES = 5;

/** `ELOOP`: the named entry is a symlink now (it was not at the walk); `onEntry` walks again. */
const raced = () => Object.assign(new Error('the entry turned into a symlink while resolving'), { code: 'ELOOP' });

/** Without a root: the real path itself, followed as the kernel follows it. */
function plainEntry(real: string): Entry {
  return { parentFd: undefined, name: '', path: real, noFollow: 0, close: () => Promise.resolve() };
}

async function statIfExists(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
}

/** Opens a resolved entry as a folder for reading; a symlink swapped in since the walk is `raced()`. */
async function openDirectory(entry: Entry): Promise<number> {
  try {
    return await openFd(entry.path, constants.O_RDONLY | constants.O_DIRECTORY | entry.noFollow);
  } catch (err) {
    if (entry.noFollow && isErrno(err, 'ENOTDIR') && (await lstatIfExists(entry.path))?.isSymbolicLink()) throw raced();
    throw err;
  }
}

export class LocalHost implements Host {
  readonly name: string;
  readonly transport = 'local' as const;
  readonly root: string | undefined;
  readonly platform: HostPlatform;
  readonly ownWrites = new OwnWrites();
  private readonly dockerEndpoint: DockerEndpoint;
  private readonly log: Logger | undefined;
  private readonly watches = new Set<Disposable>();
  /** Confines every file operation when there is a root. */
  private readonly confined: RootResolver | undefined;
  /** Where checked changes resolve: the root, else the machine's `/`. */
  private readonly checker: RootResolver;

  constructor(opts: LocalHostOptions = {}) {
    this.name = opts.name ?? 'local';
    this.root = normalizeRoot(opts.root);
    this.platform = opts.platform ?? 'proxmox';
    this.dockerEndpoint = new DockerEndpoint(this.name, opts.docker);
    this.log = opts.log;
    this.confined = this.root === undefined ? undefined : new RootResolver(this.name, this.root);
    this.checker = this.confined ?? new RootResolver(this.name, '/');
  }

  docker(): Docker {
    return this.dockerEndpoint.client();
  }

  resolvePath(path: string): string {
    return mapHostPath(this.name, this.root, path);
  }

  /** The normalized host path (after `resolvePath`'s checks: absolute, no NUL, no `..` above `/`). */
  private hostPathOf(path: string): string {
    this.resolvePath(path);
    return normalizeHostPath(path)!;
  }

  /**
   * Runs `fn` on the entry for `path` (resolved inside the root, or the plain real path without one), mapping
   * any failure to a HostError naming the host path. An entry that turned into a symlink between the walk and
   * the act (`ELOOP` from an O_NOFOLLOW open) is walked again.
   */
  private async onEntry<T>(operation: string, path: string, follow: boolean, fn: (entry: Entry) => Promise<T>): Promise<T> {
    const real = this.resolvePath(path);
    try {
      if (!this.confined) return await fn(plainEntry(real));
      const hostPath = normalizeHostPath(path)!;
      for (let attempt = 1; ; attempt++) {
        const entry = await this.confined.resolve(hostPath, follow);
        try {
          return await fn(entry);
        } catch (err) {
          if (!isErrno(err, 'ELOOP') || attempt >= RACE_RETRIES) throw err;
        } finally {
          await entry.close();
        }
      }
    } catch (err) {
      throw toHostError(err, this.name, operation, path);
    }
  }

  async readFile(path: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer> {
    return this.onEntry('read', path, true, async (entry) => {
      throwIfAborted(opts.signal, this.name, 'read', path);
      const fd = await openFd(entry.path, constants.O_RDONLY | entry.noFollow);
      try {
        // node's readFile(fd) reads a folder as empty instead of failing.
        if ((await fstatFd(fd)).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        return await readFd(fd, { signal: opts.signal });
      } finally {
        await closeQuietly(fd);
      }
    });
  }

  async readFileIfExists(path: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer | null> {
    try {
      return await this.readFile(path, opts);
    } catch (err) {
      if (isHostError(err, 'ENOENT')) return null;
      throw err;
    }
  }

  async writeFileAtomic(path: string, data: Buffer | string, opts?: WriteOptions): Promise<void> {
    await this.ownWrites.around(normalizeHostPath(path) ?? path, () => this.writeFile(path, data, opts));
  }

  private async writeFile(path: string, data: Buffer | string, opts?: WriteOptions): Promise<FileStat> {
    if (!this.confined) return writeFileAtomicLocal(this.name, path, this.resolvePath(path), data, opts);
    return this.onEntry('write', path, false, async (entry) => {
      if (entry.parentFd === undefined) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      // The temp file and the rename live in the opened parent; the current content is read inside the root.
      return writeFileAtomicLocal(this.name, path, entry.path, data, opts, {
        readCurrent: () => this.readFileIfExists(path),
        statCurrent: () => this.stat(path),
      });
    });
  }

  async stat(path: string): Promise<FileStat | null> {
    return this.statWith('stat', path, true);
  }

  async lstat(path: string): Promise<FileStat | null> {
    return this.statWith('lstat', path, false);
  }

  private async statWith(operation: string, path: string, follow: boolean): Promise<FileStat | null> {
    try {
      return await this.onEntry(operation, path, follow, async (entry) => {
        const st = follow && !entry.noFollow ? await statIfExists(entry.path) : entry.lstat !== undefined ? entry.lstat : await lstatIfExists(entry.path);
        if (follow && entry.noFollow && st?.isSymbolicLink()) throw raced();
        return st && fileStatFromNode(st);
      });
    } catch (err) {
      if (isHostError(err, 'ENOENT') || isHostError(err, 'ENOTDIR')) return null;
      throw err;
    }
  }

  async realpath(path: string): Promise<string | null> {
    try {
      return await this.onEntry('realpath', path, true, async (entry) => {
        if (!this.confined) return await realpath(entry.path);
        if (entry.parentFd === undefined) return '/';
        if ((await lstatIfExists(entry.path)) === null) return null;
        const [where, canonical] = await Promise.all([readlinkP(fdPath(entry.parentFd)), this.confined.canonicalRoot()]);
        const real = where === '/' ? `/${entry.name}` : `${where}/${entry.name}`;
        return canonical === '/' ? real : real.slice(canonical.length) || '/';
      });
    } catch (err) {
      if (isHostError(err, 'ENOENT') || isHostError(err, 'ENOTDIR')) return null;
      throw err;
    }
  }

  async isMountpoint(path: string): Promise<boolean> {
    if (normalizeHostPath(path) === '/') return Promise.resolve(true);
    try {
      return await this.onEntry('isMountpoint', path, true, (entry) => isMountpointLocal(entry.path));
    } catch (err) {
      if (isHostError(err, 'ENOENT') || isHostError(err, 'ENOTDIR')) return false;
      throw err;
    }
  }

  async mkdir(path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const mode = opts.mode ?? 0o755;
    if (!this.confined || !opts.recursive) {
      return this.onEntry('mkdir', path, false, async (entry) => {
        if (this.confined && entry.parentFd === undefined) throw Object.assign(new Error('the host root exists'), { code: 'EEXIST' });
        await mkdir(entry.path, { recursive: opts.recursive ?? false, mode });
      });
    }
    // Recursive inside a root: each missing folder made through its resolved parent, top down.
    const segments = this.hostPathOf(path).split('/').filter(Boolean);
    for (let i = 1; i <= segments.length; i++) {
      const prefix = `/${segments.slice(0, i).join('/')}`;
      const st = await this.stat(prefix);
      if (st?.type === 'directory') continue;
      if (st) throw new HostError(i === segments.length ? 'EEXIST' : 'ENOTDIR', `mkdir ${path}: ${prefix} is not a folder`, this.name, path);
      await this.mkdir(prefix, { mode }).catch(async (err: unknown) => {
        if (!isHostError(err, 'EEXIST') || (await this.stat(prefix))?.type !== 'directory') throw err;
      });
    }
  }

  async readdir(path: string): Promise<string[]> {
    return this.onEntry('readdir', path, true, async (entry) => {
      if (!entry.noFollow) return (await readdir(entry.path)).sort();
      const fd = await openDirectory(entry);
      try {
        return (await readdir(fdPath(fd))).sort();
      } finally {
        await closeQuietly(fd);
      }
    });
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    return this.onEntry('chown', path, false, (entry) => lchown(entry.path, uid, gid));
  }

  async chmod(path: string, mode: number): Promise<void> {
    return this.onEntry('chmod', path, true, async (entry) => {
      if (!entry.noFollow) return chmod(entry.path, mode);
      // chmod follows links: pin the inode (O_PATH|O_NOFOLLOW), refuse a link swapped in, chmod it by descriptor.
      const fd = await openFd(entry.path, O_PATH | constants.O_NOFOLLOW);
      try {
        if ((await fstatFd(fd)).isSymbolicLink()) throw raced();
        await chmod(fdPath(fd), mode);
      } finally {
        await closeQuietly(fd);
      }
    });
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    return this.onEntry('link', existingPath, false, (from) => this.onEntry('link', newPath, false, (to) => link(from.path, to.path)));
  }

  async rename(from: string, to: string): Promise<void> {
    return this.onEntry('rename', from, false, (source) => this.onEntry('rename', to, false, (target) => rename(source.path, target.path)));
  }

  async unlink(path: string): Promise<void> {
    try {
      await this.onEntry('unlink', path, false, (entry) => unlink(entry.path));
    } catch (err) {
      if (!isHostError(err, 'ENOENT')) throw err;
    }
  }

  async rmdir(path: string): Promise<void> {
    try {
      await this.onEntry('rmdir', path, false, async (entry) => {
        try {
          await rmdir(entry.path);
        } catch (err) {
          if (isErrno(err, 'EEXIST')) throw Object.assign(new Error('directory not empty'), { code: 'ENOTEMPTY' });
          throw err;
        }
      });
    } catch (err) {
      if (!isHostError(err, 'ENOENT')) throw err;
    }
  }

  /** A checked change: paths validated like every other, failures as HostErrors naming the host path. */
  private async checked<T>(operation: string, path: string, check: { within: string }, fn: (hostPath: string, within: string) => Promise<T>): Promise<T> {
    const hostPath = this.hostPathOf(path);
    const within = this.hostPathOf(check.within);
    try {
      return await fn(hostPath, within);
    } catch (err) {
      throw toHostError(err, this.name, operation, path);
    }
  }

  chmodChecked(path: string, mode: number, check: FolderCheck): Promise<void> {
    return this.checked('chmod', path, check, (p, within) => chmodFolder(this.checker, p, mode, { ...check, within }));
  }

  chownChecked(path: string, uid: number, gid: number, check: FolderCheck): Promise<void> {
    return this.checked('chown', path, check, (p, within) => chownFolder(this.checker, p, uid, gid, { ...check, within }));
  }

  async mkdirChecked(path: string, mode: number, check: { within: string }): Promise<FileStat> {
    return fileStatFromNode(await this.checked('mkdir', path, check, (p, within) => mkdirFolder(this.checker, p, mode, within)));
  }

  rmdirChecked(path: string, check: FolderCheck): Promise<void> {
    return this.checked('rmdir', path, check, (p, within) => rmdirFolder(this.checker, p, { ...check, within }));
  }

  unlinkChecked(folder: string, name: string, check: FolderCheck): Promise<void> {
    return this.checked('unlink', folder, check, (p, within) => {
      checkEntryName(this.name, folder, name);
      return unlinkInFolder(this.checker, p, name, { ...check, within });
    });
  }

  probeHardlinks(source: CheckedFolder, targets: readonly CheckedFolder[], name: string): Promise<HardlinkOutcome[]> {
    return this.checked('hardlink probe in', source.path, source.check, (path, within) => {
      checkEntryName(this.name, source.path, name);
      const normalized = targets.map((t) => ({ path: this.hostPathOf(t.path), check: { ...t.check, within: this.hostPathOf(t.check.within) } }));
      return probeHardlinksIn(this.checker, { path, check: { ...source.check, within } }, normalized, name);
    });
  }

  async exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    return execLocal(this.name, argv, opts);
  }

  /** Armed synchronously: `ready` is already resolved when this returns. */
  watch(paths: string[], onEvent: (event: WatchEvent) => void): WatchHandle {
    const inner = watchLocal(paths, (p) => this.resolvePath(p), onEvent, this.log);
    const handle: WatchHandle = {
      ready: Promise.resolve(),
      close: () => {
        this.watches.delete(handle);
        inner.close();
      },
    };
    this.watches.add(handle);
    return handle;
  }

  connectTcp(hostname: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) =>
        reject(new HostError('ECONNECTION', `${hostname}:${port}: ${err.code ?? err.message}`, this.name, undefined, { cause: err })),
      );
    });
  }

  warmUp(): void {}

  async close(): Promise<void> {
    for (const w of [...this.watches]) w.close();
    await this.checker.close();
  }
}
