/**
 * `SshHost`: a machine reached over SSH (ssh2). One lazily opened connection shared by every call, SFTP for
 * file work, exec (every argument shell-quoted) for what SFTP cannot do: stat with st_dev/st_ino/st_rdev
 * (batched per tick), lchown of symlinks, watching (inotifywait, else polling). Every operation has a
 * timeout (`ETIMEDOUT`); a dropped connection is re-established on the next call, with backoff.
 */
import type Docker from 'dockerode';
import type { HostDockerSpec } from '../../crds/types.js';
import { DockerEndpoint } from './docker.js';
import type { HostPlatform } from './host.js';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { SFTPWrapper, Stats } from 'ssh2';
import { HostError, type ExecOptions, type ExecResult, type FileStat, type Host, type WatchEvent, type WriteOptions } from './host.js';
import { HostKeyPolicy } from './host-key-policy.js';
import { mapHostPath, normalizeHostPath, normalizeRoot } from './host-path.js';
import { parseMountPoints } from './local-mount.js';
import { shellCommand } from './quote.js';
import { SshConnection } from './ssh-connection.js';
import { execSsh, killRemote } from './ssh-exec.js';
import { sftpCall, SftpError } from './ssh-sftp.js';
import { STAT_SCRIPT, StatBatcher } from './ssh-stat.js';
import { SshWatchHub } from './ssh-watch.js';
import { WATCH_SCRIPT } from './ssh-watch-stream.js';
import { sftpReadIfExists, writeFileAtomicSftp } from './ssh-write.js';
import type { WatchHandle } from './watch-handle.js';
import { errorMessage } from '../core/problem.js';

export interface SshHostOptions {
  name: string;
  /** Absolute sandbox folder on the remote machine every host path is mapped under. */
  root?: string;
  address: string;
  port?: number;
  /** Default `root`. */
  user?: string;
  /** Private key file (OpenSSH or PEM format, unencrypted). */
  identityFile?: string;
  /** Authenticate with the agent at `$SSH_AUTH_SOCK`. */
  agent?: boolean;
  /** Default `~/.ssh/known_hosts`. */
  knownHostsFile?: string;
  /** Pin the host key instead of using known_hosts: `SHA256:base64`, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint?: string;
  /** Accept and record an unknown host key the first time (a changed key is still refused). */
  trustOnFirstUse?: boolean;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Timeout of every operation, including waiting for the connection. Default 30 s. */
  operationTimeoutMs?: number;
  /** Default 5 s (three missed keepalives drop the connection). */
  keepaliveIntervalMs?: number;
  /** Watch by polling even when inotifywait is available. Default false. */
  forcePolling?: boolean;
  /** Polling period when watching without inotifywait. Default 2000 ms. */
  pollIntervalMs?: number;
  /** Concurrent exec channels (keep well below sshd's MaxSessions, default 10). Default 5. */
  maxExecChannels?: number;
  /** `spec.platform` of the Host resource. Default `proxmox`. */
  platform?: HostPlatform;
  /** `spec.docker` of the Host resource. */
  docker?: HostDockerSpec;
  log?: Logger;
}

type SftpOp<T> = (sftp: SFTPWrapper) => Promise<T>;

export class SshHost implements Host {
  readonly name: string;
  readonly transport = 'ssh' as const;
  readonly root: string | undefined;
  readonly platform: HostPlatform;
  private readonly dockerEndpoint: DockerEndpoint;
  private readonly connection: SshConnection;
  private readonly stats: StatBatcher;
  private readonly watches: SshWatchHub;
  private readonly operationTimeoutMs: number;
  private readonly log: Logger | undefined;

  constructor(opts: SshHostOptions) {
    this.name = opts.name;
    this.root = normalizeRoot(opts.root);
    this.platform = opts.platform ?? 'proxmox';
    this.dockerEndpoint = new DockerEndpoint(this.name, opts.docker, (socketPath) => this.connection.openStreamLocal(socketPath));
    this.operationTimeoutMs = opts.operationTimeoutMs ?? 30_000;
    this.log = opts.log;
    const port = opts.port ?? 22;
    this.connection = new SshConnection({
      hostName: opts.name,
      address: opts.address,
      port,
      user: opts.user ?? 'root',
      identityFile: opts.identityFile,
      agent: opts.agent,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 5_000,
      maxExecChannels: opts.maxExecChannels,
      hostKeys: new HostKeyPolicy({
        hostName: opts.name,
        address: opts.address,
        port,
        knownHostsFile: opts.knownHostsFile,
        hostKeyFingerprint: opts.hostKeyFingerprint,
        trustOnFirstUse: opts.trustOnFirstUse,
      }),
      log: opts.log,
    });
    this.stats = new StatBatcher(this.name, (args) => this.exec(['sh', '-c', STAT_SCRIPT, 'sh', ...args]));
    this.watches = new SshWatchHub({
      log: opts.log,
      forcePolling: opts.forcePolling ?? false,
      pollIntervalMs: opts.pollIntervalMs ?? 2000,
      openStream: (realPaths, attach) => this.connection.openExec(shellCommand(['sh', '-c', WATCH_SCRIPT, 'sh', ...realPaths]), attach, true),
      killRemote: (pid) => killRemote(this.connection, pid, false),
      statMany: (targets) => Promise.all(targets.map((t) => this.stats.stat(t.realPath, t.hostPath, true))),
    });
  }

  docker(): Docker {
    return this.dockerEndpoint.client();
  }

  resolvePath(path: string): string {
    return mapHostPath(this.name, this.root, path);
  }

  /** Whether watches currently use inotifywait or polling (after the first watch has armed). */
  get watchMode(): 'inotify' | 'poll' {
    return this.watches.watchMode;
  }

  /** Runs `fn` with the operation timeout; maps SFTP errors to HostErrors naming the host path. */
  private async op<T>(operation: string, hostPath: string | undefined, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const where = hostPath === undefined ? '' : ` ${hostPath}`;
    if (signal?.aborted) throw new HostError('EABORTED', `${operation}${where}: aborted`, this.name, hostPath);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HostError('ETIMEDOUT', `${operation}${where}: timed out after ${this.operationTimeoutMs} ms`, this.name, hostPath)),
        this.operationTimeoutMs,
      );
      onAbort = () => reject(new HostError('EABORTED', `${operation}${where}: aborted`, this.name, hostPath));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(), guard]);
    } catch (err) {
      throw this.toHostError(err, operation, hostPath);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private toHostError(err: unknown, operation: string, hostPath?: string): HostError {
    if (err instanceof HostError) return err;
    const where = hostPath === undefined ? '' : ` ${hostPath}`;
    if (err instanceof SftpError) {
      const code = err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ECONNECTION' ? err.code : 'EIO';
      return new HostError(code, `${operation}${where}: ${code === 'EIO' ? err.message : code}`, this.name, hostPath, { cause: err });
    }
    return new HostError('EIO', `${operation}${where}: ${errorMessage(err)}`, this.name, hostPath, { cause: err });
  }

  private sftpOp<T>(operation: string, hostPath: string, fn: SftpOp<T>, signal?: AbortSignal): Promise<T> {
    return this.op(operation, hostPath, async () => fn(await this.connection.sftp()), signal);
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
    const real = this.resolvePath(path);
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
    const real = this.resolvePath(path);
    return this.sftpOp('read', path, (sftp) => sftpReadIfExists(sftp, real), opts.signal);
  }

  async writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const real = this.resolvePath(path);
    const ctx = { hostName: this.name, sftp: () => this.connection.sftp(), exec: (argv: string[]) => this.exec(argv) };
    return this.op('write', path, () => writeFileAtomicSftp(ctx, path, real, data, opts), opts.signal);
  }

  async stat(path: string): Promise<FileStat | null> {
    const real = this.resolvePath(path);
    return this.op('stat', path, () => this.stats.stat(real, path, true));
  }

  async lstat(path: string): Promise<FileStat | null> {
    const real = this.resolvePath(path);
    return this.op('lstat', path, () => this.stats.stat(real, path, false));
  }

  async isMountpoint(path: string): Promise<boolean> {
    const normalized = normalizeHostPath(path);
    if (normalized === '/') return Promise.resolve(true);
    const real = this.resolvePath(path);
    return this.op('isMountpoint', path, async () => {
      const [self, parent] = await Promise.all([this.stats.stat(real, path, true), this.stats.stat(posix.dirname(real), path, true)]);
      if (!self || self.type !== 'directory') return false;
      if (!parent || self.dev !== parent.dev || self.ino === parent.ino) return true;
      // Same device as the parent: still a mount point if it is a bind mount of the same filesystem.
      const sftp = await this.connection.sftp();
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
    const real = this.resolvePath(path);
    try {
      await sftpCall(sftp, (s, cb) => s.mkdir(real, { mode }, cb));
    } catch (err) {
      if (!(err instanceof SftpError)) throw err;
      if (err.code === 'ENOENT' && recursive) {
        const parent = posix.dirname(normalizeHostPath(path) ?? path);
        if (parent === path) throw err;
        await this.mkdirWith(sftp, parent, true, mode);
        return this.mkdirWith(sftp, path, false, mode).catch((again: unknown) => {
          if (again instanceof HostError && again.code === 'EEXIST') return; // created meanwhile by someone else
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
    const real = this.resolvePath(path);
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
    const real = this.resolvePath(path);
    return this.sftpOp('chown', path, async (sftp) => {
      try {
        await sftpCall(sftp, (s, cb) => s.ext_openssh_lsetstat(real, { uid, gid }, cb));
        return;
      } catch (err) {
        if (!(err instanceof SftpError && err.code === 'EUNSUPPORTED')) throw err;
      }
      // Without lsetstat@openssh.com, SFTP chown follows symlinks: use `chown -h` for those.
      if ((await this.sftpLstat(sftp, real))?.isSymbolicLink()) {
        const result = await this.exec(['chown', '-h', `${uid}:${gid}`, '--', real]);
        if (result.code !== 0) throw this.fail('EIO', 'chown', path, result.stderr.trim());
        return;
      }
      await sftpCall(sftp, (s, cb) => s.chown(real, uid, gid, cb));
    });
  }

  async chmod(path: string, mode: number): Promise<void> {
    const real = this.resolvePath(path);
    return this.sftpOp('chmod', path, (sftp) => sftpCall(sftp, (s, cb) => s.chmod(real, mode, cb)));
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    const realExisting = this.resolvePath(existingPath);
    const realNew = this.resolvePath(newPath);
    return this.sftpOp('link', existingPath, async (sftp) => {
      try {
        await sftpCall(sftp, (s, cb) => s.ext_openssh_hardlink(realExisting, realNew, cb));
      } catch (err) {
        if (err instanceof SftpError && err.code === 'FAILURE') throw await this.explainFailure(sftp, 'link', existingPath, newPath, err);
        throw err;
      }
    });
  }

  async rename(from: string, to: string): Promise<void> {
    const realFrom = this.resolvePath(from);
    const realTo = this.resolvePath(to);
    return this.sftpOp('rename', from, async (sftp) => {
      try {
        await sftpCall(sftp, (s, cb) => s.ext_openssh_rename(realFrom, realTo, cb));
      } catch (err) {
        if (err instanceof SftpError && err.code === 'EUNSUPPORTED') {
          const moved = await this.exec(['mv', '-fT', '--', realFrom, realTo]);
          if (moved.code !== 0) throw this.fail('EIO', 'rename', from, moved.stderr.trim());
          return;
        }
        if (err instanceof SftpError && err.code === 'FAILURE') throw await this.explainFailure(sftp, 'rename', from, to, err);
        throw err;
      }
    });
  }

  /** sftp-server says only "Failure" for EEXIST/EXDEV/ENOTEMPTY...: look at the paths to say which. */
  private async explainFailure(sftp: SFTPWrapper, operation: 'link' | 'rename', from: string, to: string, cause: SftpError): Promise<HostError> {
    const realTo = this.resolvePath(to);
    const target = await this.sftpLstat(sftp, realTo);
    if (operation === 'link' && target) return this.fail('EEXIST', operation, to, 'already exists');
    const [source, targetDir] = await Promise.all([
      this.stats.stat(this.resolvePath(from), from, false),
      this.stats.stat(posix.dirname(realTo), to, true),
    ]);
    if (source && targetDir && source.dev !== targetDir.dev) return this.fail('EXDEV', operation, from, `${to} is on another filesystem`);
    if (operation === 'rename' && target?.isDirectory()) {
      return this.fail(source?.type === 'directory' ? 'ENOTEMPTY' : 'EISDIR', operation, to, 'target is a directory');
    }
    return new HostError('EIO', `${operation} ${from} → ${to}: ${cause.message}`, this.name, from, { cause });
  }

  async unlink(path: string): Promise<void> {
    const real = this.resolvePath(path);
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
    const real = this.resolvePath(path);
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

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return execSsh(this.connection, this.name, argv, { ...opts, timeoutMs: opts.timeoutMs ?? this.operationTimeoutMs });
  }

  watch(paths: string[], onEvent: (event: WatchEvent) => void): WatchHandle {
    const targets = paths.map((hostPath) => ({ hostPath, realPath: this.resolvePath(hostPath) }));
    return this.watches.add(targets, onEvent);
  }

  connectTcp(hostname: string, port: number): Promise<Duplex> {
    return this.connection.forwardTcp(hostname, port);
  }

  async close(): Promise<void> {
    await this.watches.close();
    await this.connection.close();
    this.log?.debug({ host: this.name }, 'ssh host closed');
  }
}
