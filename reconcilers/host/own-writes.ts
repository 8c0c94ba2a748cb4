/**
 * What a Host wrote itself, so that the watch event a write causes is not taken for drift. Every write homeostat
 * makes to a watched file used to come back as a drift event and a second run of its resource (a cold start of
 * 100 containers ran 200 times). A write is announced before it is sent (`begin`), since over SSH the watch's
 * event can arrive before the write's answer, and completed with the stat of the file it wrote, taken through the
 * written file's own handle after the rename. An event for that path is an echo when the path still has exactly
 * that stat, change time included (`st_ctime` moves on any change to the inode and cannot be set back). Anything
 * else, a rename over it, an edit, a chmod, a failed write, is drift as before. Entries live ECHO_WINDOW_MS after
 * the write and at most MAX_ENTRIES are kept.
 */
import type { FileStat } from './host.js';

/** How long after a write its echo is expected. */
export const ECHO_WINDOW_MS = 10_000;
const MAX_ENTRIES = 4096;

/** A stat's identity for echo matching; undefined when the transport gave no change time (then nothing is an echo). */
export function changeSignature(stat: FileStat): string | undefined {
  if (stat.ctimeMs === undefined) return undefined;
  return [stat.type, stat.dev, stat.ino, stat.size, stat.mtimeMs, stat.ctimeMs, stat.mode, stat.uid, stat.gid, stat.nlink].join(':');
}

interface Entry {
  /** Resolves with the signature written, or undefined when the write failed or gave no stat. */
  signature: Promise<string | undefined>;
  until: number;
}

export class OwnWrites {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A write to `path` is about to be sent; call the returned function with what it wrote (null: nothing known, or it failed). */
  begin(path: string): (written: FileStat | null) => void {
    let resolve!: (signature: string | undefined) => void;
    const entry: Entry = { signature: new Promise((r) => (resolve = r)), until: Infinity };
    this.entries.delete(path);
    this.entries.set(path, entry);
    if (this.entries.size > MAX_ENTRIES) this.evictOldest();
    return (written) => {
      const signature = written ? changeSignature(written) : undefined;
      entry.until = this.now() + ECHO_WINDOW_MS;
      if (signature === undefined && this.entries.get(path) === entry) this.entries.delete(path);
      resolve(signature);
    };
  }

  /** Runs `write` announced (begin … finish); `write` answers the stat of what it wrote, null when it cannot say. */
  async around<T extends FileStat | null>(path: string, write: () => Promise<T>): Promise<T> {
    const finish = this.begin(path);
    try {
      const written = await write();
      finish(written);
      return written;
    } catch (err) {
      finish(null);
      throw err;
    }
  }

  /** undefined when this Host wrote nothing at `path` lately (the event is drift); else the signature an echo has. */
  expected(path: string): Promise<string | undefined> | undefined {
    const entry = this.entries.get(path);
    if (!entry) return undefined;
    if (entry.until < this.now()) {
      this.entries.delete(path);
      return undefined;
    }
    return entry.signature;
  }

  private evictOldest(): void {
    // Oldest first (insertion order); an entry still in flight is kept (its write answers soon).
    for (const [path, entry] of this.entries) {
      if (entry.until !== Infinity) {
        this.entries.delete(path);
        return;
      }
    }
  }
}

/** True when `current` (a stat of the path taken after its event) is exactly what was written there. */
export function isEcho(expected: string | undefined, current: FileStat | null): boolean {
  return expected !== undefined && current !== null && changeSignature(current) === expected;
}
