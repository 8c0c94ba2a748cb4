/**
 * Checked folder changes on this machine (the `Host.*Checked` operations): the folder is opened through its
 * resolved parent with O_NOFOLLOW|O_DIRECTORY, its inode compared with the one observed, its real path
 * (`/proc/self/fd/N`) required to lie inside the tree, and it is changed through that descriptor (fchmod,
 * fchown). New folders are made through a parent checked the same way, then opened and stat'ed. Names inside
 * a checked folder (unlink, the hardlink probe) are reached as `/proc/self/fd/N/<name>`: the kernel follows the
 * descriptor's magic link to the very folder opened (unlinkat/linkat semantics), never a path looked up again.
 */
import { fchmod, fchown, fstat, link, mkdir, rmdir, unlink, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { toHostError } from './errors.js';
import { HostError, type CheckedFolder, type FolderCheck, type HardlinkOutcome } from './host.js';
import { closeQuietly, fdPath, isInsideReal, lstatIfExists, openFd, readlinkP, type Entry, type RootResolver } from './local-resolve.js';
import { constants } from 'node:fs';

const fstatP = promisify(fstat);
const fchmodP = promisify(fchmod);
const fchownP = promisify(fchown);
const mkdirP = promisify(mkdir);
const rmdirP = promisify(rmdir);
const unlinkP = promisify(unlink);
const linkP = promisify(link);

const conflict = (hostName: string, hostPath: string, now: string) =>
  new HostError('ECONFLICT', `${hostPath} changed since it was observed (${now}); nothing was changed`, hostName, hostPath);

/** The tree's real path, from its opened folder. */
async function treeReal(resolver: RootResolver, within: string): Promise<string> {
  const entry = await resolver.resolve(within, true);
  try {
    const fd = await openFd(entry.path, constants.O_RDONLY | constants.O_DIRECTORY | entry.noFollow);
    try {
      return await readlinkP(fdPath(fd));
    } finally {
      await closeQuietly(fd);
    }
  } finally {
    await entry.close();
  }
}

/** Opens the entry as a folder without following a symlink there; a symlink, file or nothing is ECONFLICT. */
async function openFolder(hostName: string, hostPath: string, entry: Entry): Promise<number> {
  try {
    return await openFd(entry.path, constants.O_RDONLY | constants.O_DIRECTORY | entry.noFollow);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTDIR' && code !== 'ENOENT' && code !== 'ELOOP') throw err;
    const st = await lstatIfExists(entry.path);
    throw conflict(hostName, hostPath, st === null ? 'gone' : st.isSymbolicLink() ? 'now a symlink' : 'now not a folder');
  }
}

/** A folder opened and checked (the inode expected, inside the tree), with its parent entry held open. */
export interface OpenedFolder {
  fd: number;
  st: Stats;
  entry: Entry;
  close(): Promise<void>;
}

/**
 * Opens the folder at `hostPath` through its resolved parent (O_NOFOLLOW|O_DIRECTORY) and checks it: the inode
 * expected, its real path (`/proc/self/fd/N`) inside the tree. `tree`: the tree's real path, when already known.
 */
export async function openCheckedFolder(resolver: RootResolver, hostPath: string, check: FolderCheck, tree?: string): Promise<OpenedFolder> {
  const { hostName } = resolver;
  const treeAt = tree ?? (await treeReal(resolver, check.within));
  const entry = await resolver.resolve(hostPath, false);
  let fd: number | undefined;
  try {
    fd = await openFolder(hostName, hostPath, entry);
    const st = await fstatP(fd);
    if (check.expect && (st.ino !== check.expect.ino || st.dev !== check.expect.dev)) throw conflict(hostName, hostPath, 'another folder');
    const where = await readlinkP(fdPath(fd));
    if (!isInsideReal(treeAt, where)) {
      throw new HostError('EESCAPE', `${hostPath} is not inside ${check.within} (it is at ${where}); nothing was changed`, hostName, hostPath);
    }
    const opened = fd;
    return { fd: opened, st, entry, close: async () => (await closeQuietly(opened), await entry.close()) };
  } catch (err) {
    await closeQuietly(fd);
    await entry.close();
    throw err;
  }
}

/**
 * Runs `act` on the folder at `hostPath` opened and checked: the inode expected, inside the tree. The entry
 * (its parent held open) is passed too, for rmdir.
 */
export async function withCheckedFolder<T>(
  resolver: RootResolver,
  hostPath: string,
  check: FolderCheck,
  act: (fd: number, st: Stats, entry: Entry) => Promise<T>,
): Promise<T> {
  const folder = await openCheckedFolder(resolver, hostPath, check);
  try {
    return await act(folder.fd, folder.st, folder.entry);
  } finally {
    await folder.close();
  }
}

export function chmodFolder(resolver: RootResolver, hostPath: string, mode: number, check: FolderCheck): Promise<void> {
  return withCheckedFolder(resolver, hostPath, check, (fd) => fchmodP(fd, mode));
}

export function chownFolder(resolver: RootResolver, hostPath: string, uid: number, gid: number, check: FolderCheck): Promise<void> {
  return withCheckedFolder(resolver, hostPath, check, (fd) => fchownP(fd, uid, gid));
}

/** mkdir through the parent (checked inside the tree), then the new folder opened O_NOFOLLOW and stat'ed. */
export async function mkdirFolder(resolver: RootResolver, hostPath: string, mode: number, within: string): Promise<Stats> {
  const { hostName } = resolver;
  const tree = await treeReal(resolver, within);
  const entry = await resolver.resolve(hostPath, false);
  try {
    if (entry.parentFd === undefined) throw Object.assign(new Error('the host root exists'), { code: 'EEXIST' });
    const parentAt = await readlinkP(fdPath(entry.parentFd));
    if (!isInsideReal(tree, parentAt)) {
      throw new HostError('EESCAPE', `the parent of ${hostPath} is not inside ${within} (it is at ${parentAt}); nothing was created`, hostName, hostPath);
    }
    await mkdirP(entry.path, mode);
    const fd = await openFolder(hostName, hostPath, entry);
    try {
      return await fstatP(fd);
    } finally {
      await closeQuietly(fd);
    }
  } finally {
    await entry.close();
  }
}

/** rmdir through the checked parent, only while the folder is the one expected; already gone is fine. */
export async function rmdirFolder(resolver: RootResolver, hostPath: string, check: FolderCheck): Promise<void> {
  try {
    await withCheckedFolder(resolver, hostPath, check, async (_fd, _st, entry) => {
      if (entry.parentFd === undefined) throw Object.assign(new Error('cannot remove the host root'), { code: 'EBUSY' });
      await rmdirP(entry.path);
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') return;
    if (err instanceof HostError && err.code === 'ECONFLICT' && /\(gone\)/.test(err.message)) return;
    if (code === 'EEXIST') throw Object.assign(new Error('directory not empty'), { code: 'ENOTEMPTY' });
    throw err;
  }
}

/** unlink(2) of `name` in an opened folder; already gone is fine. */
async function unlinkIn(fd: number, name: string): Promise<void> {
  try {
    await unlinkP(fdPath(fd, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Removes `name` from the folder at `hostPath`, opened and checked. */
export function unlinkInFolder(resolver: RootResolver, hostPath: string, name: string, check: FolderCheck): Promise<void> {
  return withCheckedFolder(resolver, hostPath, check, (fd) => unlinkIn(fd, name));
}

/** link(2) from one opened folder into another: `linked`, or EXDEV/EPERM as an outcome; anything else throws. */
async function linkInto(fromFd: number, toFd: number, name: string): Promise<HardlinkOutcome> {
  try {
    await linkP(fdPath(fromFd, name), fdPath(toFd, name));
    return 'linked';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EXDEV' || code === 'EPERM') return code;
    throw err;
  }
}

const inodeKey = (st: Stats): string => `${st.dev}:${st.ino}`;

const PROBE_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * The hardlink probe through descriptors (`Host.probeHardlinks`): every folder opened and checked first (one at
 * a time, each closed at the end whatever fails), a leftover `name` removed from each, the file created in the
 * source, linked into each target folder not seen yet (by inode), and every name made removed again.
 */
export async function probeHardlinksIn(resolver: RootResolver, source: CheckedFolder, targets: readonly CheckedFolder[], name: string): Promise<HardlinkOutcome[]> {
  const opened: OpenedFolder[] = [];
  const trees = new Map<string, string>();
  const open = async (folder: CheckedFolder): Promise<OpenedFolder> => {
    try {
      let tree = trees.get(folder.check.within);
      if (tree === undefined) trees.set(folder.check.within, (tree = await treeReal(resolver, folder.check.within)));
      const checked = await openCheckedFolder(resolver, folder.path, folder.check, tree);
      opened.push(checked);
      return checked;
    } catch (err) {
      throw toHostError(err, resolver.hostName, 'hardlink probe in', folder.path);
    }
  };
  try {
    const from = await open(source);
    const into: OpenedFolder[] = [];
    for (const target of targets) into.push(await open(target));
    for (const folder of opened) await unlinkIn(folder.fd, name);
    await closeQuietly(await openFd(fdPath(from.fd, name), PROBE_FILE_FLAGS, 0o600));
    const made: number[] = [from.fd];
    const seen = new Map<string, HardlinkOutcome>([[inodeKey(from.st), 'linked']]);
    const outcomes: HardlinkOutcome[] = [];
    let failure: unknown;
    try {
      for (const folder of into) {
        let outcome = seen.get(inodeKey(folder.st));
        if (outcome === undefined) {
          outcome = await linkInto(from.fd, folder.fd, name);
          if (outcome === 'linked') made.push(folder.fd);
          seen.set(inodeKey(folder.st), outcome);
        }
        outcomes.push(outcome);
      }
    } catch (err) {
      failure = err ?? new Error('hardlink probe failed');
    }
    // Every name made is removed whatever happened; the first failure (the probe's own first) is reported.
    for (const fd of made) {
      await unlinkIn(fd, name).catch((err: unknown) => (failure ??= err));
    }
    if (failure !== undefined) throw failure;
    return outcomes;
  } finally {
    for (const folder of opened) await folder.close();
  }
}
