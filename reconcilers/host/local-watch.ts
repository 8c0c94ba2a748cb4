/**
 * Watching host paths on this machine with inotify (node `fs.watch`).
 *
 * For each path: its parent directory is watched (events filtered to the path's name), and the path itself
 * when it is a directory (events for entries inside it). A path that does not exist yet is watched through
 * its nearest existing ancestor and re-armed as it appears. When a watched directory is unmounted or removed,
 * inotify reports IN_UNMOUNT/IN_IGNORED, which node surfaces as a `rename` named after the watched directory
 * itself (or an `error`): that produces an event (`unmount` when the filesystem under the path changed) and
 * re-arms. Nothing is coalesced; callbacks never throw into the caller.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, posix } from 'node:path';
import type { Logger } from 'pino';
import type { Disposable, WatchEvent } from './host.js';

type Emit = (event: WatchEvent) => void;

interface Identity {
  dev: number;
  ino: number;
}

/** Synchronous on purpose: arming is a handful of stats, and a watch is armed once `watch()` returns. */
function identityOf(realPath: string): (Identity & { isDirectory: boolean }) | null {
  try {
    const st = statSync(realPath);
    return { dev: st.dev, ino: st.ino, isDirectory: st.isDirectory() };
  } catch {
    return null;
  }
}

function closeAll(watchers: FSWatcher[]): void {
  for (const w of watchers) {
    try {
      w.close();
    } catch {
      /* already closed */
    }
  }
}

const REARM_RETRY_MS = [50, 200, 1000, 5000];

/** The watchers for one host path; re-armed whenever the shape of the tree around it may have changed. */
class PathWatch {
  private watchers: FSWatcher[] = [];
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Identity of the directory watched for the path's own name (its parent, or a nearer existing ancestor). */
  private anchor: { realDir: string; identity: Identity } | undefined;
  /** Identity of the path itself when it is a watched directory. */
  private self: Identity | undefined;

  constructor(
    private readonly hostPath: string,
    private readonly realPath: string,
    private readonly emit: Emit,
    private readonly log: Logger | undefined,
  ) {}

  start(): void {
    this.rearm();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.closeWatchers();
  }

  private closeWatchers(): void {
    closeAll(this.watchers);
    this.watchers = [];
  }

  private queueRearm(delayMs = 0): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.rearm(), delayMs);
  }

  private rearm(): void {
    if (this.closed) return;
    const previous = this.watchers;
    this.watchers = [];
    try {
      // Nearest existing ancestor of the path (normally the parent directory).
      let dir = dirname(this.realPath);
      let name = basename(this.realPath);
      let dirIdentity = identityOf(dir);
      while (dirIdentity === null && dir !== '/') {
        name = basename(dir);
        dir = dirname(dir);
        dirIdentity = identityOf(dir);
      }
      const isAncestor = dir !== dirname(this.realPath);
      const entryBefore = identityOf(posix.join(dir, name));
      const selfIdentity = identityOf(this.realPath);
      this.anchor = undefined;
      this.self = undefined;
      // New watchers before the old ones close, so that no event falls between them.
      if (dirIdentity !== null && this.realPath !== '/') {
        this.anchor = { realDir: dir, identity: dirIdentity };
        this.watchers.push(this.watchAnchor(dir, name, isAncestor));
      }
      if (selfIdentity?.isDirectory) {
        this.self = selfIdentity;
        this.watchers.push(this.watchSelf());
      }
      this.failures = 0;
      // Something may have appeared or gone between the stats and the watches: look again.
      const entryAfter = identityOf(posix.join(dir, name));
      if ((entryBefore === null) !== (entryAfter === null) || entryBefore?.ino !== entryAfter?.ino) {
        this.safeEmit({ path: this.hostPath, kind: 'rename' });
        this.queueRearm();
      }
    } catch (err) {
      this.closeWatchers();
      const delay = REARM_RETRY_MS[Math.min(this.failures, REARM_RETRY_MS.length - 1)] ?? 5000;
      this.failures++;
      this.log?.warn({ err, path: this.hostPath, retryInMs: delay }, 'watch: cannot arm, retrying');
      this.safeEmit({ path: this.hostPath, kind: 'rename' });
      this.queueRearm(delay);
    } finally {
      closeAll(previous);
    }
  }

  /** Watches `dir` for entry `name` (the path itself, or the missing ancestor on the way to it). */
  private watchAnchor(dir: string, name: string, isAncestor: boolean): FSWatcher {
    const watcher = watch(dir, { persistent: false });
    watcher.on('change', (eventType, filename) => {
      const entry = filename === null ? null : String(filename);
      if (entry === name) {
        this.safeEmit({ path: this.hostPath, kind: !isAncestor && eventType === 'change' ? 'change' : 'rename' });
        if (isAncestor || eventType === 'rename') this.queueRearm();
      } else if (entry === null || entry === basename(dir)) {
        // Possibly the directory itself went away (IN_DELETE_SELF, IN_UNMOUNT, IN_IGNORED).
        this.checkAnchor();
      }
    });
    watcher.on('error', (err) => this.onWatcherError(err));
    return watcher;
  }

  /** Watches the path itself (a directory): its entries' events carry the entry's host path. */
  private watchSelf(): FSWatcher {
    const watcher = watch(this.realPath, { persistent: false });
    const ownName = basename(this.realPath);
    watcher.on('change', (eventType, filename) => {
      const entry = filename === null ? null : String(filename);
      if (entry !== null) {
        this.safeEmit({ path: posix.join(this.hostPath, entry), kind: eventType === 'change' ? 'change' : 'rename' });
      }
      if (entry === null || entry === ownName) this.checkSelf();
    });
    watcher.on('error', (err) => this.onWatcherError(err));
    return watcher;
  }

  private checkAnchor(): void {
    const anchor = this.anchor;
    if (!anchor) return;
    const now = identityOf(anchor.realDir);
    if (now === null || now.dev !== anchor.identity.dev || now.ino !== anchor.identity.ino) {
      const kind = now !== null && now.dev !== anchor.identity.dev ? 'unmount' : 'rename';
      this.safeEmit({ path: this.hostPath, kind });
      this.queueRearm();
    }
  }

  private checkSelf(): void {
    const self = this.self;
    if (!self) return;
    const now = identityOf(this.realPath);
    if (now === null || now.dev !== self.dev || now.ino !== self.ino) {
      const kind = now !== null && now.dev !== self.dev ? 'unmount' : 'rename';
      this.safeEmit({ path: this.hostPath, kind });
      this.queueRearm();
    }
  }

  private onWatcherError(err: Error): void {
    if (this.closed) return;
    this.log?.warn({ err, path: this.hostPath }, 'watch: watcher failed, re-arming');
    this.closeWatchers();
    const now = identityOf(this.realPath);
    const kind = now !== null && this.self !== undefined && now.dev !== this.self.dev ? 'unmount' : 'rename';
    this.safeEmit({ path: this.hostPath, kind });
    this.queueRearm(REARM_RETRY_MS[0]);
  }

  private safeEmit(event: WatchEvent): void {
    if (this.closed) return;
    try {
      this.emit(event);
    } catch (err) {
      this.log?.error({ err, path: event.path }, 'watch: event callback threw');
    }
  }
}

/**
 * Watches each host path (mapped to a real path by `toReal`); `onEvent` receives host paths.
 * Path mapping errors (e.g. a path escaping the root) throw synchronously.
 */
export function watchLocal(
  paths: string[],
  toReal: (hostPath: string) => string,
  onEvent: Emit,
  log?: Logger,
): Disposable {
  const watches = paths.map((p) => new PathWatch(p, toReal(p), onEvent, log));
  for (const w of watches) w.start();
  return {
    close() {
      for (const w of watches) w.close();
    },
  };
}
