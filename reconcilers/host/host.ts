/**
 * The one interface every reconciler uses to touch a machine: this machine (`local`, optionally confined
 * under a sandbox `root`) or another one over SSH. Paths are always absolute paths *as the host sees them*;
 * an implementation with a `root` maps them under it and refuses anything that would escape.
 *
 * Errors are `HostError`s with a `code` taken from the errno names (`ENOENT`, `EEXIST`, `EXDEV`, ...),
 * plus `ECONFLICT` for a compare-and-swap write whose expectation no longer holds, and `ETIMEDOUT` /
 * `ECONNECTION` for transport failures (retryable).
 */

export type FileType = 'file' | 'directory' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket' | 'unknown';

export interface FileStat {
  type: FileType;
  /** Permission bits including setuid/setgid/sticky (`mode & 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  /** Device id of the filesystem holding the file (`st_dev`). */
  dev: number;
  ino: number;
  nlink: number;
  /** For char/block devices: the device number the node points at (`st_rdev`), split. */
  rdevMajor: number;
  rdevMinor: number;
}

export interface ExecOptions {
  signal?: AbortSignal;
  /** Milliseconds before the command is killed and the call rejects with ETIMEDOUT. Default 30 s. */
  timeoutMs?: number;
  /** Written to the command's stdin, then stdin is closed. */
  input?: string | Buffer;
}

export interface ExecResult {
  /** Exit code; 127 when the program is not found. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface WriteOptions {
  /**
   * Compare-and-swap: the write happens only if the file currently has exactly these bytes
   * (`null`: only if the file does not exist). Otherwise it rejects with code `ECONFLICT` and the file is untouched.
   * `undefined`: write unconditionally.
   */
  expected?: Buffer | null;
  /** Mode of the new file. Default: keep the existing file's mode, else 0o644. */
  mode?: number;
  /** Owner of the new file. Default: keep the existing file's owner, else the writing user. */
  uid?: number;
  gid?: number;
  /** fsync the data (and the directory after the rename) before resolving. Default true. */
  fsync?: boolean;
  /**
   * Do not chmod/chown the temp file (pmxcfs under /etc/pve refuses chmod other than 0640).
   * Default false.
   */
  keepDefaultMode?: boolean;
  signal?: AbortSignal;
}

export interface WatchEvent {
  /** Host path of the file that changed (may be the watched path itself, or an entry inside a watched directory). */
  path: string;
  /** What happened, as far as the transport can tell. */
  kind: 'change' | 'rename' | 'unmount' | 'poll';
}

export interface Disposable {
  close(): void;
}

/** Which container toolchain a host has: Proxmox's `pct` and `/etc/pve`, or plain LXC (`lxc-*`, `/var/lib/lxc`). */
export type HostPlatform = 'proxmox' | 'lxc';

export interface Host {
  /** The Host resource's name (`local` for the implicit one). */
  readonly name: string;
  /** `local` or `ssh`. */
  readonly transport: 'local' | 'ssh';
  /** The Host's `spec.platform` (default `proxmox`). */
  readonly platform: HostPlatform;
  /**
   * The Host's Docker endpoint (`spec.docker`) as a dockerode client, created on first use. Rejects with a
   * HostError (`ENOENT`) when the Host declares none.
   */
  docker(): import('dockerode');

  readFile(path: string, opts?: { signal?: AbortSignal }): Promise<Buffer>;
  /** Read, or `null` when the file does not exist. */
  readFileIfExists(path: string, opts?: { signal?: AbortSignal }): Promise<Buffer | null>;
  /**
   * Atomic write: a temp file `NAME.tmp.PID...` beside the target, written (and fsynced), then renamed over it.
   * Never leaves a half-written target. See `WriteOptions.expected` for compare-and-swap.
   */
  writeFileAtomic(path: string, data: Buffer | string, opts?: WriteOptions): Promise<void>;
  /** Follows symlinks; `null` when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Does not follow a final symlink; `null` when the path does not exist. */
  lstat(path: string): Promise<FileStat | null>;
  /** True when `path` is the root of a mounted filesystem. */
  isMountpoint(path: string): Promise<boolean>;
  mkdir(path: string, opts?: { recursive?: boolean; mode?: number }): Promise<void>;
  /** Entry names (not paths), sorted. */
  readdir(path: string): Promise<string[]>;
  /** lchown semantics: never follows a final symlink. */
  chown(path: string, uid: number, gid: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  link(existingPath: string, newPath: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or symlink; resolves when it is already gone. */
  unlink(path: string): Promise<void>;
  /** Removes an empty directory; rejects with ENOTEMPTY otherwise; resolves when already gone. */
  rmdir(path: string): Promise<void>;
  /**
   * Runs a program with arguments, never through a shell string built from them (over SSH every
   * argument is quoted). Host paths in argv are *not* remapped under `root`: callers that pass paths
   * to programs must use `resolvePath` first.
   */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** The real path on the machine for a host path (applies `root`). */
  resolvePath(path: string): string;
  /**
   * Calls `onEvent` when something at one of `paths` (a file, or a directory's entries) changes.
   * Paths that do not exist yet are watched through their parent directory. Prefers a spurious event to a
   * missed one; falls back to polling when the host cannot notify.
   */
  watch(paths: string[], onEvent: (event: WatchEvent) => void): Disposable;
  /**
   * A TCP connection to `hostname:port` *as the host sees it* (its loopback is its own): a plain socket on this
   * machine, a forwarded channel over SSH. How homeostat reaches HTTP APIs published on a host's 127.0.0.1.
   */
  connectTcp(hostname: string, port: number): Promise<import('node:stream').Duplex>;
  /** Closes connections and watches. */
  close(): Promise<void>;
}

export type HostErrorCode =
  | 'ENOENT'
  | 'EEXIST'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ENOTEMPTY'
  | 'EXDEV'
  | 'EACCES'
  | 'EPERM'
  | 'ECONFLICT'
  | 'EESCAPE'
  | 'ETIMEDOUT'
  | 'ECONNECTION'
  | 'EHOSTKEY'
  | 'EABORTED'
  | 'EIO';

export class HostError extends Error {
  override readonly name = 'HostError';
  constructor(
    readonly code: HostErrorCode,
    message: string,
    readonly host: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Transport trouble that a retry may fix. */
  get retryable(): boolean {
    return this.code === 'ETIMEDOUT' || this.code === 'ECONNECTION' || this.code === 'EIO';
  }

  /** The condition reason a failed reconcile shows for this error (see reconcilers/core/errors.ts). */
  get reason(): string {
    return HOST_ERROR_REASONS[this.code];
  }
}

const HOST_ERROR_REASONS: Record<HostErrorCode, string> = {
  ENOENT: 'HostPathNotFound',
  EEXIST: 'HostPathExists',
  ENOTDIR: 'HostPathNotADirectory',
  EISDIR: 'HostPathIsADirectory',
  ENOTEMPTY: 'HostDirectoryNotEmpty',
  EXDEV: 'CrossDevice',
  EACCES: 'HostPermissionDenied',
  EPERM: 'HostPermissionDenied',
  ECONFLICT: 'ConcurrentEdit',
  EESCAPE: 'PathEscapesRoot',
  ETIMEDOUT: 'HostTimeout',
  ECONNECTION: 'HostUnreachable',
  EHOSTKEY: 'HostKeyRejected',
  EABORTED: 'Aborted',
  EIO: 'HostIOError',
};

export function isHostError(err: unknown, code?: HostErrorCode): err is HostError {
  return err instanceof HostError && (code === undefined || err.code === code);
}
