import { describe, expect, it } from 'vitest';
import { findCopies, hashCandidates } from './copies.js';
import { parseSha256sum } from './hash.js';
import { identityKey } from './memo.js';
import type { FileRecord } from './walk.js';

const file = (path: string, ino: number, size: number, dev = 1): FileRecord => ({ path, dev, ino, size, mtimeMs: 1000 });
const contents = new Map<string, string>();
const hashOf = (f: FileRecord) => contents.get(f.path);

describe('the copy audit', () => {
  const torrent = file('/data/torrents/movies/a.mkv', 10, 700);
  const hardlinked = file('/data/media/movies/a.mkv', 10, 700);
  const copied = file('/data/media/movies/b.mkv', 11, 900);
  const copiedAgain = file('/data/media/movies/b2.mkv', 11, 900); // a hardlink of the copy: same inode, counted once
  const source = file('/data/usenet/complete/movies/b.mkv', 12, 900);
  const sameSizeOther = file('/data/media/tv/c.mkv', 13, 900);
  const empty = file('/data/media/e.nfo', 14, 0);
  const emptySource = file('/data/torrents/e.nfo', 15, 0);
  contents.set(copied.path, 'B').set(copiedAgain.path, 'B').set(source.path, 'B').set(sameSizeOther.path, 'C');

  const library = [hardlinked, copied, copiedAgain, sameSizeOther, empty];
  const downloads = [torrent, source, emptySource];

  it('hashes only files with a same-size counterpart that is not already the same inode', () => {
    expect(hashCandidates(library, downloads).map((f) => f.path).sort()).toEqual([copied.path, sameSizeOther.path, source.path].sort());
  });

  it('counts copies (same size and content, another inode) once per inode, and the bytes they waste', () => {
    expect(findCopies(library, downloads, hashOf)).toEqual({ copies: [copied], wastedBytes: 900, unresolved: 0 });
  });

  it('a file not hashed yet is unresolved, not a copy', () => {
    expect(findCopies(library, downloads, (f) => (f === source ? undefined : hashOf(f)))).toEqual({ copies: [], wastedBytes: 0, unresolved: 2 });
  });

  it('identity keys change with size, mtime or inode', () => {
    const key = identityKey(copied);
    expect(identityKey({ ...copied, size: 901 })).not.toBe(key);
    expect(identityKey({ ...copied, mtimeMs: 1001 })).not.toBe(key);
    expect(identityKey({ ...copied, ino: 99 })).not.toBe(key);
    const moved: FileRecord = { ...copied, path: '/elsewhere' };
    expect(identityKey(moved)).toBe(key);
  });
});

describe('parseSha256sum', () => {
  it('reads plain and escaped (backslash, newline) names', () => {
    const h = 'a'.repeat(64);
    expect(parseSha256sum(`${h}  /data/a b.mkv\n\\${h}  /data/x\\ny\\\\z\n${h} */bin\nsha256sum: /gone: No such file or directory\n`)).toEqual([
      ['/data/a b.mkv', h],
      ['/data/x\ny\\z', h],
      ['/bin', h],
    ]);
  });
});
