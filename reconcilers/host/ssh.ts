/**
 * `SshHost`: a machine reached over SSH (ssh2). One lazily opened connection shared by every call; exec (every
 * argument shell-quoted); watching (inotifywait, else polling). Files: without a sandbox `root`, SFTP on the
 * machine's own paths (ssh-sftp-files.ts); with one, every file operation is a request to a constant remote
 * helper (Perl, one long-lived process: ssh-helper.ts) that resolves the path inside the root through folder
 * descriptors and acts on what it resolved (ssh-root-files.ts). The checked folder changes always go through the
 * helper. Every operation has a timeout (`ETIMEDOUT`); a dropped connection is re-established on the next call,
 * with backoff.
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { HostDockerSpec } from '../../crds/types.js';
import { DockerEndpoint } from './docker.js';
import type { HostPlatform } from './host.js';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { HostError, isHostError, type CheckedFolder, type ExecOptions, type ExecResult, type FileStat, type FolderCheck, type HardlinkOutcome, type Host, type WatchEvent, type WriteOptions } from './host.js';
import { HostKeyPolicy } from './host-key-policy.js';
import { checkEntryName, mapHostPath, normalizeHostPath, normalizeRoot } from './host-path.js';
import { OwnWrites } from './own-writes.js';
import { parseStatFields } from './file-stat.js';
import { shellCommand } from './quote.js';
import { SshConnection } from './ssh-connection.js';
import { execSsh, killRemote } from './ssh-exec.js';
import { helperStat, RemoteHelper } from './ssh-helper.js';
import { guardedOperation, type GuardedOperation, type SshFileOperations } from './ssh-operation.js';
import { RootFiles } from './ssh-root-files.js';
import { SftpFiles } from './ssh-sftp-files.js';
import { STAT_SCRIPT, StatBatcher } from './ssh-stat.js';
import { SshWatchHub } from './ssh-watch.js';
import { WATCH_SCRIPT } from './ssh-watch-stream.js';
import type { WatchHandle } from './watch-handle.js';

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

export class SshHost implements Host {
  readonly name: string;
  readonly transport = 'ssh' as const;
  readonly root: string | undefined;
  readonly platform: HostPlatform;
  readonly ownWrites = new OwnWrites();
  private readonly dockerEndpoint: DockerEndpoint;
  private readonly connection: SshConnection;
  private readonly stats: StatBatcher;
  private readonly watches: SshWatchHub;
  private readonly operationTimeoutMs: number;
  private readonly log: Logger | undefined;
  private readonly helper: RemoteHelper;
  /** Deadline, abort and error mapping of every operation. */
  private readonly op: GuardedOperation;
  /** The file operations: SFTP without a root, the remote helper with one. */
  private readonly files: SshFileOperations;

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
    this.op = guardedOperation(this.name, this.operationTimeoutMs);
    this.files =
      this.root === undefined
        ? new SftpFiles({ hostName: this.name, connection: this.connection, stats: this.stats, op: this.op, exec: (argv) => this.exec(argv) })
        : new RootFiles({ hostName: this.name, root: this.root, helper: this.helper, op: this.op, ownWrites: this.ownWrites });
    this.watches = new SshWatchHub({
      log: opts.log,
      forcePolling: opts.forcePolling ?? false,
      pollIntervalMs: opts.pollIntervalMs ?? 2000,
      openStream: (realPaths, attach) => this.connection.openExec(shellCommand(['sh', '-c', WATCH_SCRIPT, 'sh', ...realPaths]), attach, true),
      // Through the running helper (one request), else in an exec of its own (never a helper started for it).
      killRemote: (pid) =>
        this.helper.running
          ? this.helper.call('kill', [String(pid)], 'kill', `pid ${pid}`).then(
              () => undefined,
              () => killRemote(this.connection, pid, false),
            )
          : killRemote(this.connection, pid, false),
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

  readFile(path: string, opts?: { signal?: AbortSignal }): Promise<Buffer> {
    return this.files.readFile(path, opts);
  }

  readFileIfExists(path: string, opts?: { signal?: AbortSignal }): Promise<Buffer | null> {
    return this.files.readFileIfExists(path, opts);
  }

  writeFileAtomic(path: string, data: Buffer | string, opts?: WriteOptions): Promise<void> {
    return this.files.writeFileAtomic(path, data, opts);
  }

  stat(path: string): Promise<FileStat | null> {
    return this.files.stat(path);
  }

  lstat(path: string): Promise<FileStat | null> {
    return this.files.lstat(path);
  }

  async realpath(path: string): Promise<string | null> {
    this.resolvePath(path);
    const hostPath = normalizeHostPath(path)!;
    return this.op('realpath', path, async () => {
      try {
        const out = await this.helper.call('resolve', [this.root ?? '/', hostPath, '1'], 'realpath', path);
        return out.startsWith('E ') ? out.slice(2) : null;
      } catch (err) {
        if (isHostError(err, 'ENOENT') || isHostError(err, 'ENOTDIR')) return null;
        throw err;
      }
    });
  }

  isMountpoint(path: string): Promise<boolean> {
    return this.files.isMountpoint(path);
  }

  mkdir(path: string, opts?: { recursive?: boolean; mode?: number }): Promise<void> {
    return this.files.mkdir(path, opts);
  }

  readdir(path: string): Promise<string[]> {
    return this.files.readdir(path);
  }

  chown(path: string, uid: number, gid: number): Promise<void> {
    return this.files.chown(path, uid, gid);
  }

  chmod(path: string, mode: number): Promise<void> {
    return this.files.chmod(path, mode);
  }

  link(existingPath: string, newPath: string): Promise<void> {
    return this.files.link(existingPath, newPath);
  }

  rename(from: string, to: string): Promise<void> {
    return this.files.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return this.files.unlink(path);
  }

  rmdir(path: string): Promise<void> {
    return this.files.rmdir(path);
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
    await this.checked('chmod-checked', 'chmod', path, check.within, [mode.toString(8), ...expectArgs(check)]);
  }

  async chownChecked(path: string, uid: number, gid: number, check: FolderCheck): Promise<void> {
    await this.checked('chown-checked', 'chown', path, check.within, [String(uid), String(gid), ...expectArgs(check)]);
  }

  async mkdirChecked(path: string, mode: number, check: { within: string }): Promise<FileStat> {
    return helperStat(await this.checked('mkdir-checked', 'mkdir', path, check.within, [mode.toString(8)]), this.name, 'mkdir', path);
  }

  async rmdirChecked(path: string, check: FolderCheck): Promise<void> {
    await this.checked('rmdir-checked', 'rmdir', path, check.within, expectArgs(check));
  }

  async unlinkChecked(folder: string, name: string, check: FolderCheck): Promise<void> {
    checkEntryName(this.name, folder, name);
    await this.checked('unlink-checked', 'unlink', folder, check.within, [...expectArgs(check), name]);
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

  /** One helper request: `write-locked ROOT LOCK PATH DATA SHA256` (see ssh-helper-files-script.ts). */
  async tryWriteUnderLock(path: string, data: Buffer, opts: { lockPath: string; expected: Buffer; signal?: AbortSignal }): Promise<boolean> {
    this.resolvePath(path);
    this.resolvePath(opts.lockPath);
    const expected = createHash('sha256').update(opts.expected).digest('hex');
    const words = [this.root ?? '/', normalizeHostPath(opts.lockPath)!, normalizeHostPath(path)!, data, expected];
    let written = false;
    await this.ownWrites.around(normalizeHostPath(path)!, async () => {
      const out = await this.op('write', path, () => this.helper.call('write-locked', words, 'write', path), opts.signal);
      if (out === 'busy') return null;
      if (out !== 'written' && !out.startsWith('written ')) {
        throw new HostError('EIO', `write ${path}: the remote helper answered ${JSON.stringify(out.slice(0, 200))}`, this.name, path);
      }
      written = true;
      return out === 'written' ? null : parseStatFields(out.slice('written '.length).split(' '));
    });
    return written;
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

  warmUp(): void {
    if (this.root !== undefined) this.helper.start();
    else this.connection.get().catch(() => {});
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
