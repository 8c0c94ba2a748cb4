/**
 * Building `FileStat`s: file type from `st_mode`, the glibc `major()`/`minor()` split of a device number, and the
 * one text form remote stats come in (GNU `stat --printf` over SSH, and the remote helper's stat lines).
 */
import type { Stats } from 'node:fs';
import type { FileStat, FileType } from './host.js';

const S_IFMT = 0o170000;
const TYPES: ReadonlyMap<number, FileType> = new Map([
  [0o100000, 'file'],
  [0o040000, 'directory'],
  [0o120000, 'symlink'],
  [0o020000, 'char'],
  [0o060000, 'block'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
]);

export function fileTypeOfMode(mode: number): FileType {
  return TYPES.get(mode & S_IFMT) ?? 'unknown';
}

/** glibc: major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff); minor = (dev & 0xff) | ((dev >> 12) & ~0xff). */
export function splitDeviceNumber(dev: number | bigint): { major: number; minor: number } {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & 0xfffff000n);
  const minor = (d & 0xffn) | ((d >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

export function fileStatFromNode(st: Stats): FileStat {
  const isDevice = st.isCharacterDevice() || st.isBlockDevice();
  const { major, minor } = isDevice ? splitDeviceNumber(st.rdev) : { major: 0, minor: 0 };
  return {
    type: fileTypeOfMode(st.mode),
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    mtimeMs: st.mtimeMs,
    dev: st.dev,
    ino: st.ino,
    nlink: st.nlink,
    rdevMajor: major,
    rdevMinor: minor,
    ctimeMs: st.ctimeMs,
  };
}

/**
 * A stat as text, space-separated: `RAWMODE_HEX UID GID SIZE MTIME DEV INO NLINK RDEVMAJOR_HEX RDEVMINOR_HEX [CTIME]`
 * (times in seconds, with a fraction). GNU `stat --printf '%f %u %g %s %.9Y %d %i %h %t %T %.9Z'` prints it, and so
 * does the SSH remote helper. `null` when a field is missing or not a number.
 */
export function parseStatFields(fields: readonly string[]): FileStat | null {
  if (fields.length < 10) return null;
  const [modeHex, uid, gid, size, mtime, dev, ino, nlink, major, minor] = fields as [string, string, string, string, string, string, string, string, string, string];
  const rawMode = parseInt(modeHex, 16);
  const stat: FileStat = {
    type: fileTypeOfMode(rawMode),
    mode: rawMode & 0o7777,
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
    mtimeMs: Number(mtime) * 1000,
    dev: Number(dev),
    ino: Number(ino),
    nlink: Number(nlink),
    rdevMajor: parseInt(major, 16),
    rdevMinor: parseInt(minor, 16),
    ...(fields.length > 10 ? { ctimeMs: Number(fields[10]) * 1000 } : {}),
  };
  return Object.values(stat).every((v) => typeof v === 'string' || Number.isFinite(v)) ? stat : null;
}
