/**
 * `SshHost`: a machine reached over SSH (ssh2). One lazily opened connection shared by every call, SFTP for
 * file work, exec (every argument shell-quoted) for what SFTP cannot do: stat with st_dev/st_ino/st_rdev
 * (batched per tick), lchown of symlinks, watching (inotifywait, else polling). A constant remote helper
 * (Perl, one long-lived process: ssh-helper.ts) does what needs descriptors: the checked folder changes, and,
 * with a sandbox `root`, resolving every path inside it (RESOLVE_IN_ROOT) before SFTP acts on the result.
 * Every operation has a timeout (`ETIMEDOUT`); a dropped connection is re-established on the next call, with
 * backoff.
 */
import type Docker from 'dockerode';
import type { HostDockerSpec } from '../../crds/types.js';
import { DockerEndpoint } from './docker.js';
import type { HostPlatform } from './host.js';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { SFTPWrapper, Stats } from 'ssh2';
import { HostError, isHostError, type CheckedFolder, type ExecOptions, type ExecResult, type FileStat, type FolderCheck, type HardlinkOutcome, type Host, type WatchEvent, type WriteOptions } from './host.js';
import { HostKeyPolicy } from './host-key-policy.js';
import { checkEntryName, mapHostPath, normalizeHostPath, normalizeRoot } from './host-path.js';
import { parseMountPoints } from './local-mount.js';
import { shellCommand } from './quote.js';
import { SshConnection } from './ssh-connection.js';
import { execSsh, killRemote } from './ssh-exec.js';
import { RemoteHelper } from './ssh-helper.js';
import { fileTypeOfMode } from './file-stat.js';
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
  private readonly helper: RemoteHelper;

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
    this.helper = new RemoteHelper(this.connection, this.name, this.operationTimeoutMs);
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

  /**
   * The real path an SFTP call acts on. Without a root, the path itself. With one, the host path resolved inside
   * the root by the remote helper (every symlink, RESOLVE_IN_ROOT), then mapped under it; a missing folder on the
   * way is ENOENT. (SFTP looks the result up again: these plain calls are confined, while the checked folder
   * changes also act on descriptors.)
   */
  private async real(path: string, follow: boolean): Promise<string> {
    const mapped = this.resolvePath(path);
    if (this.root === undefined) return mapped;
    const out = await this.helper.call('resolve', [this.root, normalizeHostPath(path)!, follow ? '1' : '0'], 'resolve', path);
    return mapHostPath(this.name, this.root, out.slice(2));
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
    this.resolvePath(path);
    return this.sftpOp('read', path, async (sftp) => {
      const real = await this.real(path, true);
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
    this.resolvePath(path);
    return this.sftpOp('read', path, async (sftp) => {
      const real = await this.missingAsNull(this.real(path, true));
      return real === null ? null : sftpReadIfExists(sftp, real);
    }, opts.signal);
  }

  /** A path that cannot be resolved because a folder on the way is missing (or not a folder) is `null`. */
  private async missingAsNull<T>(promise: Promise<T>): Promise<T | null> {
    try {
      return await promise;
    } catch (err) {
      if (isHostError(err, 'ENOENT') || isHostError(err, 'ENOTDIR')) return null;
      throw err;
    }
  }

  async writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    this.resolvePath(path);
    const ctx = { hostName: this.name, sftp: () => this.connection.sftp(), exec: (argv: string[]) => this.exec(argv) };
    return this.op('write', path, async () => writeFileAtomicSftp(ctx, path, await this.real(path, false), data, opts), opts.signal);
  }

  async stat(path: string): Promise<FileStat | null> {
    this.resolvePath(path);
    return this.op('stat', path, async () => {
      const real = await this.missingAsNull(this.real(path, true));
      return real === null ? null : this.stats.stat(real, path, true);
    });
  }

  async lstat(path: string): Promise<FileStat | null> {
    this.resolvePath(path);
    return this.op('lstat', path, async () => {
      const real = await this.missingAsNull(this.real(path, false));
      return real === null ? null : this.stats.stat(real, path, false);
    });
  }

  async realpath(path: string): Promise<string | null> {
    this.resolvePath(path);
    const hostPath = normalizeHostPath(path)!;
    return this.op('realpath', path, async () => {
      const out = await this.missingAsNull(this.helper.call('resolve', [this.root ?? '/', hostPath, '1'], 'realpath', path));
      return out?.startsWith('E ') ? out.slice(2) : null;
    });
  }

  async isMountpoint(path: string): Promise<boolean> {
    const normalized = normalizeHostPath(path);
    if (normalized === '/') return Promise.resolve(true);
    this.resolvePath(path);
    return this.op('isMountpoint', path, async () => {
      const real = await this.missingAsNull(this.real(path, true));
      if (real === null) return false;
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
    let real = this.resolvePath(path);
    try {
      real = await this.real(path, false);
      await sftpCall(sftp, (s, cb) => s.mkdir(real, { mode }, cb));
    } catch (err) {
      const missing = (err instanceof SftpError || isHostError(err)) && err.code === 'ENOENT';
      if (missing && recursive) {
        const parent = posix.dirname(normalizeHostPath(path) ?? path);
        if (parent === path) throw err;
        await this.mkdirWith(sftp, parent, true, mode);
        return this.mkdirWith(sftp, path, false, mode).catch((again: unknown) => {
          if (again instanceof HostError && again.code === 'EEXIST') return; // created meanwhile by someone else
          throw again;
        });
      }
      if (!(err instanceof SftpError)) throw err;
      if (err.code === 'FAILURE' || err.code === 'EACCES') {
        const existing = await this.sftpLstat(sftp, real);
        if (existing?.isDirectory() && recursive) return;
        if (existing) throw this.fail('EEXIST', 'mkdir', path, 'already exists');
      }
      throw err;
    }
  }

  async readdir(path: string): Promise<string[]> {
    this.resolvePath(path);
    return this.sftpOp('readdir', path, async (sftp) => {
      const real = await this.real(path, true);
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
    this.resolvePath(path);
    return this.sftpOp('chown', path, async (sftp) => {
      const real = await this.real(path, false);
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
    this.resolvePath(path);
    return this.sftpOp('chmod', path, async (sftp) => {
      const real = await this.real(path, true);
      await sftpCall(sftp, (s, cb) => s.chmod(real, mode, cb));
    });
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    this.resolvePath(existingPath);
    this.resolvePath(newPath);
    return this.sftpOp('link', existingPath, async (sftp) => {
      const [realExisting, realNew] = await Promise.all([this.real(existingPath, false), this.real(newPath, false)]);
      try {
        await sftpCall(sftp, (s, cb) => s.ext_openssh_hardlink(realExisting, realNew, cb));
      } catch (err) {
        if (err instanceof SftpError && err.code === 'FAILURE') throw await this.explainFailure(sftp, 'link', existingPath, newPath, realExisting, realNew, err);
        throw err;
      }
    });
  }

  async rename(from: string, to: string): Promise<void> {
    this.resolvePath(from);
    this.resolvePath(to);
    return this.sftpOp('rename', from, async (sftp) => {
      const [realFrom, realTo] = await Promise.all([this.real(from, false), this.real(to, false)]);
      try {
        await sftpCall(sftp, (s, cb) => s.ext_openssh_rename(realFrom, realTo, cb));
      } catch (err) {
        if (err instanceof SftpError && err.code === 'EUNSUPPORTED') {
          const moved = await this.exec(['mv', '-fT', '--', realFrom, realTo]);
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
      this.stats.stat(realFrom, from, false),
      this.stats.stat(posix.dirname(realTo), to, true),
    ]);
    if (source && targetDir && source.dev !== targetDir.dev) return this.fail('EXDEV', operation, from, `${to} is on another filesystem`);
    if (operation === 'rename' && target?.isDirectory()) {
      return this.fail(source?.type === 'directory' ? 'ENOTEMPTY' : 'EISDIR', operation, to, 'target is a directory');
    }
    return new HostError('EIO', `${operation} ${from} → ${to}: ${cause.message}`, this.name, from, { cause });
  }

  async unlink(path: string): Promise<void> {
    this.resolvePath(path);
    return this.sftpOp('unlink', path, async (sftp) => {
      const real = await this.missingAsNull(this.real(path, false));
      if (real === null) return;
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
    this.resolvePath(path);
    return this.sftpOp('rmdir', path, async (sftp) => {
      const real = await this.missingAsNull(this.real(path, false));
      if (real === null) return;
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

  /** Runs a checked change through the remote helper (paths validated like every other; the helper resolves). */
  private checked(op: string, operation: string, path: string, within: string, args: string[]): Promise<string> {
    this.resolvePath(path);
    this.resolvePath(within);
    const hostPath = normalizeHostPath(path)!;
    return this.op(operation, path, () =>
      this.helper.call(op, [this.root ?? '/', normalizeHostPath(within)!, hostPath, ...args], operation, path),
    );
  }

  async chmodChecked(path: string, mode: number, check: FolderCheck): Promise<void> {
    await this.checked('chmod', 'chmod', path, check.within, [mode.toString(8), ...expectArgs(check)]);
  }

  async chownChecked(path: string, uid: number, gid: number, check: FolderCheck): Promise<void> {
    await this.checked('chown', 'chown', path, check.within, [String(uid), String(gid), ...expectArgs(check)]);
  }

  async mkdirChecked(path: string, mode: number, check: { within: string }): Promise<FileStat> {
    return parseHelperStat(await this.checked('mkdir', 'mkdir', path, check.within, [mode.toString(8)]));
  }

  async rmdirChecked(path: string, check: FolderCheck): Promise<void> {
    await this.checked('rmdir', 'rmdir', path, check.within, expectArgs(check));
  }

  async unlinkChecked(folder: string, name: string, check: FolderCheck): Promise<void> {
    checkEntryName(this.name, folder, name);
    await this.checked('unlink', 'unlink', folder, check.within, [...expectArgs(check), name]);
  }

  /** One helper request for the whole probe: `probe ROOT NAME (WITHIN PATH DEV INO)...`. */
  async probeHardlinks(source: CheckedFolder, targets: readonly CheckedFolder[], name: string): Promise<HardlinkOutcome[]> {
    const operation = 'hardlink probe in';
    const folders = [source, ...targets];
    for (const f of folders) (this.resolvePath(f.path), this.resolvePath(f.check.within));
    checkEntryName(this.name, source.path, name);
    const words = folders.flatMap((f) => [normalizeHostPath(f.check.within)!, normalizeHostPath(f.path)!, ...expectArgs(f.check)]);
    const out = await this.op(operation, source.path, () => this.helper.call('probe', [this.root ?? '/', name, ...words], operation, source.path));
    const outcomes = out === '' ? [] : out.split(' ');
    if (outcomes.length !== targets.length || !outcomes.every((o): o is HardlinkOutcome => HARDLINK_OUTCOMES.has(o))) {
      throw new HostError('EIO', `${operation} ${source.path}: the remote helper answered ${JSON.stringify(out.slice(0, 200))}`, this.name, source.path);
    }
    return outcomes;
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
    this.helper.close();
    await this.watches.close();
    await this.connection.close();
    this.log?.debug({ host: this.name }, 'ssh host closed');
  }
}

const HARDLINK_OUTCOMES: ReadonlySet<string> = new Set<HardlinkOutcome>(['linked', 'EXDEV', 'EPERM']);

/** The helper's `DEV INO` arguments: `- -` for any folder. */
function expectArgs(check: FolderCheck): string[] {
  return check.expect ? [String(check.expect.dev), String(check.expect.ino)] : ['-', '-'];
}

/** `RAWMODE_HEX UID GID SIZE MTIME DEV INO NLINK`, as the helper prints a stat. */
function parseHelperStat(line: string): FileStat {
  const [modeHex, uid, gid, size, mtime, dev, ino, nlink] = line.trim().split(' ');
  const raw = parseInt(modeHex ?? '0', 16);
  return {
    type: fileTypeOfMode(raw),
    mode: raw & 0o7777,
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
    mtimeMs: Number(mtime) * 1000,
    dev: Number(dev),
    ino: Number(ino),
    nlink: Number(nlink),
    rdevMajor: 0,
    rdevMinor: 0,
  };
}
