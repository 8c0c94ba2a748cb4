/**
 * Resolving a host path inside a sandbox root the way openat2(2) with RESOLVE_IN_ROOT does, with descriptors:
 * Node has no openat, so each folder on the way is opened (O_DIRECTORY|O_NOFOLLOW) through the one before it as
 * `/proc/self/fd/N/<name>`. A symlink met on the way is read and its target walked instead: an absolute target
 * starts again at the root, `..` never climbs above it. What comes back is the entry's parent folder, held open,
 * and the entry's name: the caller acts on `/proc/self/fd/P/<name>` (opening it O_NOFOLLOW), so a path component
 * swapped for a symlink after the walk can never lead the action elsewhere. Every folder opened on the way must
 * lie inside the root by its real path (`/proc/self/fd/N`): a folder moved out during a walk is refused.
 */
import { close, constants, lstat, open, readlink, realpath, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { HostError } from './host.js';

const openFd = promisify(open) as (path: string, flags: number, mode?: number) => Promise<number>;
const closeFd = promisify(close);
const readlinkP = promisify(readlink) as (path: string) => Promise<string>;
const lstatP = promisify(lstat);
const realpathP = promisify(realpath) as (path: string) => Promise<string>;

/** Linux's O_PATH (not in fs.constants): a descriptor that names an inode without opening it for I/O. */
export const O_PATH = 0o10000000;
/** Opens a folder, refusing a symlink in its place (that fails with ENOTDIR, as a file does). */
export const DIR_NOFOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** As many symlinks as the kernel follows in one lookup. */
const MAX_LINKS = 40;

export const fdPath = (fd: number, name?: string): string => (name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`);

export const closeQuietly = (fd: number | undefined): Promise<void> => (fd === undefined ? Promise.resolve() : closeFd(fd).catch(() => undefined));

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** A resolved entry: its parent folder held open and its name, or the root folder itself. */
export interface Entry {
  /** Descriptor of the parent folder; `undefined` for the root itself. */
  readonly parentFd: number | undefined;
  /** The entry's name in its parent; `''` for the root itself. */
  readonly name: string;
  /** Reaches the entry through its checked parent (`/proc/self/fd/P/<name>`), or the root's real path. */
  readonly path: string;
  /** O_NOFOLLOW when acting on a named entry (a symlink there was not there at the walk), else 0. */
  readonly noFollow: number;
  /** The entry's lstat taken by a following walk (`null`: missing); `undefined` when not taken. */
  readonly lstat?: Stats | null;
  close(): Promise<void>;
}

/** The root as an entry (nothing held open: the configured root is trusted). */
function rootEntry(realRoot: string): Entry {
  return { parentFd: undefined, name: '', path: realRoot, noFollow: 0, close: () => Promise.resolve() };
}

function namedEntry(parent: Step, name: string, st: Stats | null | undefined): Entry {
  return {
    parentFd: parent.fd,
    name,
    path: fdPath(parent.fd, name),
    noFollow: constants.O_NOFOLLOW,
    lstat: st,
    close: async () => parent.release(),
  };
}

/** A folder reached so far: its descriptor, its name in the folder before it (`''` for the root), its walk key. */
interface Step {
  fd: number;
  name: string;
  /** The names walked from the root to it (after links): walks that share it share the descriptor. */
  key: string;
  release(): void;
}

/** A folder descriptor shared by the walks of one tick, closed when the last of them is done with it. */
interface SharedFolder {
  fd: Promise<number>;
  users: number;
  /** Still offered to new walks (until the end of the tick). */
  offered: boolean;
}

const segments = (path: string): string[] => path.split('/').filter((s) => s !== '' && s !== '.');

/**
 * A confined namespace: one sandbox root on this machine (`/` for none) and its canonical real path. Walks
 * started in the same tick share the folders they open (one open and one inside-the-root check per folder, not
 * per walk), as if they had resolved at the same instant; a folder is never offered past the tick it was opened
 * in, and its descriptor is closed when the last walk using it is done.
 */
export class RootResolver {
  private canonical: Promise<string> | undefined;
  /** The root folder, opened once (the configured root is trusted, like a chroot's). */
  private rootFd: Promise<number> | undefined;
  private shared = new Map<string, SharedFolder>();
  private flushScheduled = false;

  constructor(
    readonly hostName: string,
    /** Real path of the root folder on this machine (`/` when the host has none). */
    readonly realRoot: string,
  ) {}

  /** The root's real path with every symlink resolved (asked once). */
  canonicalRoot(): Promise<string> {
    this.canonical ??= realpathP(this.realRoot).catch((err: unknown) => {
      this.canonical = undefined;
      throw err;
    });
    return this.canonical;
  }

  private openRoot(): Promise<number> {
    this.rootFd ??= openFd(this.realRoot, constants.O_RDONLY | constants.O_DIRECTORY).catch((err: unknown) => {
      this.rootFd = undefined;
      throw err;
    });
    return this.rootFd;
  }

  /** Closes the root folder's descriptor (it is opened again on next use). */
  async close(): Promise<void> {
    const fd = this.rootFd;
    this.rootFd = undefined;
    if (fd) await closeQuietly(await fd.catch(() => undefined));
  }

  /** The folder `name` inside `parent`, opened O_NOFOLLOW|O_DIRECTORY and checked inside the root (shared in a tick). */
  private async openFolder(parent: Step, name: string): Promise<Step> {
    const key = `${parent.key}/${name}`;
    let folder = this.shared.get(key);
    if (!folder) {
      const opening = openFd(fdPath(parent.fd, name), DIR_NOFOLLOW).then(async (fd) => {
        try {
          if (this.realRoot !== '/') await this.assertInside(fd);
          return fd;
        } catch (err) {
          await closeQuietly(fd);
          throw err;
        }
      });
      folder = { fd: opening, users: 0, offered: true };
      const created = folder;
      this.shared.set(key, created);
      opening.catch(() => {
        if (this.shared.get(key) === created) this.shared.delete(key);
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    }
    const used = folder;
    used.users++;
    let fd: number;
    try {
      fd = await used.fd;
    } catch (err) {
      used.users--;
      throw err;
    }
    let released = false;
    return {
      fd,
      name,
      key,
      release: () => {
        if (released) return;
        released = true;
        if (--used.users === 0 && !used.offered) void closeQuietly(fd);
      },
    };
  }

  /** End of the tick: nothing opened so far is offered to later walks; unused descriptors are closed. */
  private flush(): void {
    this.flushScheduled = false;
    for (const folder of this.shared.values()) {
      folder.offered = false;
      if (folder.users === 0) void folder.fd.then(closeQuietly, () => undefined);
    }
    this.shared.clear();
  }

  /**
   * Resolves `hostPath` (absolute, already normalized) inside the root. `follow`: a symlink as the last
   * component is followed too (stat, read); otherwise the entry is the link itself (lstat, unlink, rename).
   * Rejects with ENOENT/ENOTDIR for a missing or non-folder component on the way, ELOOP after too many links,
   * and `EESCAPE` when a folder on the way is no longer inside the root.
   */
  async resolve(hostPath: string, follow: boolean): Promise<Entry> {
    const todo = segments(hostPath);
    if (todo.length === 0) return rootEntry(this.realRoot);
    const root: Step = { fd: await this.openRoot(), name: '', key: '', release: () => undefined };
    const stack: Step[] = [root];
    let links = 0;
    try {
      while (todo.length > 0) {
        const name = todo.shift()!;
        if (name === '..') {
          if (stack.length > 1) stack.pop()!.release();
          continue;
        }
        const parent = stack[stack.length - 1]!;
        const path = fdPath(parent.fd, name);
        if (todo.length === 0) {
          const st = follow ? await lstatIfExists(path) : undefined;
          const target = st?.isSymbolicLink() ? await this.linkTarget(path) : null;
          if (target === null) return this.entry(stack, name, st);
          links = this.splice(todo, stack, target, ++links);
          continue;
        }
        try {
          stack.push(await this.openFolder(parent, name));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
          const target = await this.linkTarget(path);
          if (target === null) throw err; // a file (or a link replaced since) where a folder should be
          links = this.splice(todo, stack, target, ++links);
        }
      }
      // The path ended on `..` (or a link to a folder above): the entry is the folder on top, named in its parent.
      if (stack.length === 1) return rootEntry(this.realRoot);
      const top = stack.pop()!;
      top.release();
      return this.entry(stack, top.name, undefined);
    } catch (err) {
      for (const step of stack) step.release();
      throw err;
    }
  }

  /** The symlink's target, or `null` when the entry is not a symlink (or missing). */
  private async linkTarget(path: string): Promise<string | null> {
    try {
      return await readlinkP(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Walks a link's target next: an absolute one from the root, a relative one from where the link is. */
  private splice(todo: string[], stack: Step[], target: string, links: number): number {
    if (links > MAX_LINKS) throw errno('ELOOP', 'too many levels of symbolic links');
    if (target.startsWith('/')) {
      for (const step of stack.splice(1)) step.release();
    }
    todo.unshift(...segments(target));
    return links;
  }

  /**
   * Keeps the parent (top of the stack, checked inside the root when it was opened) and lets go of the rest.
   * `st`: the entry's lstat when the walk took it (following), handed on so that stat needs no second call.
   */
  private entry(stack: Step[], name: string, st: Stats | null | undefined): Entry {
    const parent = stack.pop()!;
    for (const step of stack) step.release();
    return namedEntry(parent, name, st);
  }

  /** The opened folder still lies inside the root (it was not moved out while the walk went on). */
  private async assertInside(fd: number): Promise<void> {
    const [where, root] = await Promise.all([readlinkP(fdPath(fd)), this.canonicalRoot()]);
    if (!isInsideReal(root, where)) {
      throw new HostError('EESCAPE', `a folder on the way left the host root while resolving (now at ${where})`, this.hostName);
    }
  }
}

/** True when the real path `path` is `root` or below it. */
export function isInsideReal(root: string, path: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/** lstat through a descriptor path, `null` when missing. */
export async function lstatIfExists(path: string): Promise<Stats | null> {
  try {
    return await lstatP(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

export { openFd, closeFd, readlinkP };
