/**
 * The one interface every reconciler uses to touch a machine: this machine (`local`, optionally confined
 * under a sandbox `root`) or another one over SSH. Paths are always absolute paths *as the host sees them*;
 * an implementation with a `root` resolves every component inside it as openat2(2) RESOLVE_IN_ROOT does (a
 * symlink's absolute target starts again at the root, `..` never climbs above it) and refuses anything that
 * would escape (`EESCAPE`).
 *
 * Errors are `HostError`s with a `code` taken from the errno names (`ENOENT`, `EEXIST`, `EXDEV`, ...),
 * plus `ECONFLICT` for a compare-and-swap write whose expectation no longer holds (or a checked folder that is
 * no longer the one observed), and `ETIMEDOUT` /
 * `ECONNECTION` for transport failures (retryable).
 */
import type { OwnWrites } from './own-writes.js';

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
  /**
   * When the inode last changed (`st_ctime`, which nothing can set back), where the transport says: this machine's
   * stats and the remote helper's. What own-writes.ts tells an own write's echo by.
   */
  ctimeMs?: number;
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

/** A file's identity: the device and inode a plan saw. */
export interface InodeId {
  dev: number;
  ino: number;
}

/**
 * What a checked change requires of the folder it acts on (see `Host.chmodChecked`): it is opened, never looked
 * up again, and must be the folder observed and lie inside the tree.
 */
export interface FolderCheck {
  /** Host path of the tree the folder must lie in, checked on the opened folder's real path (`/proc/self/fd/N`). */
  within: string;
  /** The folder observed; anything else there now (another folder, a symlink, a file) is refused with ECONFLICT. */
  expect?: InodeId;
}

/** A folder a checked operation acts in: its host path, and what it must be (see `FolderCheck`). */
export interface CheckedFolder {
  path: string;
  check: FolderCheck;
}

/** What the hardlink probe found for one folder: the link was made, or link(2) failed with this errno. */
export type HardlinkOutcome = 'linked' | 'EXDEV' | 'EPERM';

/** Which container toolchain a host has: Proxmox's `pct` and `/etc/pve`, or plain LXC (`lxc-*`, `/var/lib/lxc`). */
export type HostPlatform = 'proxmox' | 'lxc';

export interface Host {
  /** The Host resource's name (`local` for the implicit one). */
  readonly name: string;
  /** `local` or `ssh`. */
  readonly transport: 'local' | 'ssh';
  /** The Host's `spec.platform` (default `proxmox`). */
  readonly platform: HostPlatform;
  /** What this Host wrote itself, recently (own-writes.ts): the watch events of those writes are not drift. */
  readonly ownWrites?: OwnWrites;
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
  /** `path` with every symlink resolved (inside `root`), as a host path; `null` when it does not exist. */
  realpath(path: string): Promise<string | null>;
  /*
   * Checked changes inside a tree: each opens the folder through its resolved parent with O_NOFOLLOW|O_DIRECTORY,
   * checks the opened inode (`check.expect`) and that `/proc/self/fd/N` lies inside `check.within`, and changes it
   * through that descriptor (fchmod/fchown), so a folder swapped for a symlink after it was observed is refused
   * (ECONFLICT) and nothing outside the tree is ever touched (EESCAPE). Over SSH a constant remote helper does
   * the same on the remote machine.
   */
  chmodChecked(path: string, mode: number, check: FolderCheck): Promise<void>;
  chownChecked(path: string, uid: number, gid: number, check: FolderCheck): Promise<void>;
  /**
   * Creates a folder (non-recursively, `mode` under the umask) through its parent, which must lie inside
   * `check.within` as opened; returns the stat of the new folder, opened O_NOFOLLOW.
   */
  mkdirChecked(path: string, mode: number, check: { within: string }): Promise<FileStat>;
  /**
   * Removes an empty folder through its checked parent, only if it is still `check.expect`; resolves when it is
   * already gone. (rmdir never follows a symlink; a folder swapped in after the check is an empty folder inside
   * the tree, or ENOTEMPTY.)
   */
  rmdirChecked(path: string, check: FolderCheck): Promise<void>;
  /**
   * Removes the file or symlink `name` (a single path component) from the folder at `folder`, opened and checked
   * as `chmodChecked` checks a folder (never through a path looked up again); resolves when it is already gone.
   */
  unlinkChecked(folder: string, name: string, check: FolderCheck): Promise<void>;
  /**
   * The hardlink probe in one operation (one round trip over SSH): `source` and every target folder are opened
   * and checked as `chmodChecked` does, then, all through those descriptors, a leftover `name` (a single path
   * component) is removed from each, an empty file `name` is created in `source` (O_CREAT|O_EXCL|O_NOFOLLOW,
   * 0600), linked into every target (link(2) from folder descriptor to folder descriptor), and every name made is
   * removed again, whatever happens. One outcome per target, in order: `linked`, or the link's errno when it is
   * EXDEV (another mount, or a filesystem that splits the tree) or EPERM (hardlinks refused). A target that is
   * the source folder, or a folder already probed, gets the same outcome without a second link. Anything else
   * (a folder not as checked: ECONFLICT, EESCAPE) rejects, after cleaning up.
   */
  probeHardlinks(source: CheckedFolder, targets: readonly CheckedFolder[], name: string): Promise<HardlinkOutcome[]>;
  /**
   * The real path on the machine for a host path (applies `root` lexically, for argv): programs given it follow
   * symlinks as the kernel does, so only the Host's own file operations are confined inside `root`.
   */
  resolvePath(path: string): string;
  /**
   * Where the transport can do it in one round trip (SSH, through the remote helper): the compare-and-swap
   * atomic write of `path` (`expected`: the bytes it must still have; fsync'd; the temp file made under umask 027,
   * so 0640, never chmod'ed, as pmxcfs wants) while holding flock(2) on `lockPath` (made if missing). The lock is
   * only tried: `false` when another process holds it (nothing written; the caller waits for it its own way).
   * ECONFLICT when the file no longer has `expected`. Absent on transports without it (the caller execs flock(1)).
   */
  tryWriteUnderLock?(path: string, data: Buffer, opts: { lockPath: string; expected: Buffer; signal?: AbortSignal }): Promise<boolean>;
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
  /**
   * Starts connecting now (over SSH: the connection and the remote helper) so that the first real call does not
   * wait for it; nothing to do on this machine. Never throws: a failure is what the first call reports.
   */
  warmUp(): void;
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
