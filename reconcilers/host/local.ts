/**
 * `LocalHost`: the machine homeostat runs on, through node:fs/promises and child_process (never a shell).
 * With a `root` (an absolute sandbox folder) every host path is mapped under it and `..` cannot climb out
 * (`EESCAPE`). Symlinks inside the root are followed as the kernel follows them: the root confines the
 * paths homeostat names, it is not a chroot.
 */
import type Docker from 'dockerode';
import type { HostDockerSpec } from '../../crds/types.js';
import { DockerEndpoint } from './docker.js';
import type { HostPlatform } from './host.js';
import { chmod, lchown, link, lstat, mkdir, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { HostError, type Disposable, type ExecOptions, type ExecResult, type FileStat, type Host, type WatchEvent, type WriteOptions } from './host.js';
import { toHostError, throwIfAborted } from './errors.js';
import { fileStatFromNode } from './file-stat.js';
import { mapHostPath, normalizeHostPath, normalizeRoot } from './host-path.js';
import { execLocal } from './local-exec.js';
import { isMountpointLocal } from './local-mount.js';
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

export class LocalHost implements Host {
  readonly name: string;
  readonly transport = 'local' as const;
  readonly root: string | undefined;
  readonly platform: HostPlatform;
  private readonly dockerEndpoint: DockerEndpoint;
  private readonly log: Logger | undefined;
  private readonly watches = new Set<Disposable>();

  constructor(opts: LocalHostOptions = {}) {
    this.name = opts.name ?? 'local';
    this.root = normalizeRoot(opts.root);
    this.platform = opts.platform ?? 'proxmox';
    this.dockerEndpoint = new DockerEndpoint(this.name, opts.docker);
    this.log = opts.log;
  }

  docker(): Docker {
    return this.dockerEndpoint.client();
  }

  resolvePath(path: string): string {
    return mapHostPath(this.name, this.root, path);
  }

  /** Runs `fn` on the real path of `path`, mapping any failure to a HostError naming the host path. */
  private async onPath<T>(operation: string, path: string, fn: (real: string) => Promise<T>): Promise<T> {
    const real = this.resolvePath(path);
    try {
      return await fn(real);
    } catch (err) {
      throw toHostError(err, this.name, operation, path);
    }
  }

  async readFile(path: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer> {
    return this.onPath('read', path, (real) => {
      throwIfAborted(opts.signal, this.name, 'read', path);
      return readFile(real, { signal: opts.signal });
    });
  }

  async readFileIfExists(path: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer | null> {
    return this.onPath('read', path, async (real) => {
      throwIfAborted(opts.signal, this.name, 'read', path);
      try {
        return await readFile(real, { signal: opts.signal });
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return null;
        throw err;
      }
    });
  }

  async writeFileAtomic(path: string, data: Buffer | string, opts?: WriteOptions): Promise<void> {
    return writeFileAtomicLocal(this.name, path, this.resolvePath(path), data, opts);
  }

  async stat(path: string): Promise<FileStat | null> {
    return this.statWith('stat', path, stat);
  }

  async lstat(path: string): Promise<FileStat | null> {
    return this.statWith('lstat', path, lstat);
  }

  private statWith(operation: string, path: string, fn: typeof stat): Promise<FileStat | null> {
    return this.onPath(operation, path, async (real) => {
      try {
        return fileStatFromNode(await fn(real));
      } catch (err) {
        if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
        throw err;
      }
    });
  }

  async isMountpoint(path: string): Promise<boolean> {
    if (normalizeHostPath(path) === '/') return Promise.resolve(true);
    return this.onPath('isMountpoint', path, isMountpointLocal);
  }

  async mkdir(path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    return this.onPath('mkdir', path, async (real) => {
      await mkdir(real, { recursive: opts.recursive ?? false, mode: opts.mode ?? 0o755 });
    });
  }

  async readdir(path: string): Promise<string[]> {
    return this.onPath('readdir', path, async (real) => (await readdir(real)).sort());
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    return this.onPath('chown', path, (real) => lchown(real, uid, gid));
  }

  async chmod(path: string, mode: number): Promise<void> {
    return this.onPath('chmod', path, (real) => chmod(real, mode));
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    const realNew = this.resolvePath(newPath);
    await this.onPath('link', existingPath, (real) => link(real, realNew));
  }

  async rename(from: string, to: string): Promise<void> {
    const realTo = this.resolvePath(to);
    await this.onPath('rename', from, (real) => rename(real, realTo));
  }

  async unlink(path: string): Promise<void> {
    return this.onPath('unlink', path, async (real) => {
      try {
        await unlink(real);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
    });
  }

  async rmdir(path: string): Promise<void> {
    return this.onPath('rmdir', path, async (real) => {
      try {
        await rmdir(real);
      } catch (err) {
        if (isErrno(err, 'EEXIST')) throw Object.assign(new Error('directory not empty'), { code: 'ENOTEMPTY' });
        if (!isErrno(err, 'ENOENT')) throw err;
      }
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

  async close(): Promise<void> {
    for (const w of [...this.watches]) w.close();
  }
}
