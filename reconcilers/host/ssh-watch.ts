/**
 * Watching paths on an SSH host. All `watch()` registrations of a host share one remote `inotifywait`
 * stream (see `ssh-watch-stream.ts`), re-armed when the set of paths changes or the shape of the tree does
 * (a missing path appears, a watched directory goes away); a new stream is established before the old one
 * is stopped, so no change falls between them. When the stream breaks (connection lost) every path gets an
 * event, since anything may have changed meanwhile. Without inotifywait (exit 127), or when forced, it
 * polls `stat` every `pollIntervalMs` and emits `poll` events on differences.
 */
import { posix } from 'node:path';
import type { Logger } from 'pino';
import type { ClientChannel } from 'ssh2';
import type { FileStat, WatchEvent } from './host.js';
import type { WatchHandle } from './watch-handle.js';
import { WatchStream, type ArmedPath, type RawWatchEvent } from './ssh-watch-stream.js';

export interface WatchTarget {
  hostPath: string;
  realPath: string;
}

export interface SshWatchDeps {
  log?: Logger;
  /** Opens a long-lived exec channel for the watch script with these paths; `attach` runs synchronously. */
  openStream(realPaths: string[], attach: (channel: ClientChannel, release: () => void) => void): Promise<void>;
  /** Kills a remote process by pid (best effort, never rejects). */
  killRemote(pid: number): Promise<void>;
  /** stat (following symlinks) of many real paths at once; `null` for missing ones. */
  statMany(targets: WatchTarget[]): Promise<(FileStat | null)[]>;
  forcePolling: boolean;
  pollIntervalMs: number;
}

interface Registration {
  targets: WatchTarget[];
  onEvent: (event: WatchEvent) => void;
  resolveReady: () => void;
  ready: boolean;
}

const BACKOFF_MS = [100, 250, 1000, 2500, 5000, 10_000];
/**
 * How long path changes are gathered before the stream is restarted for them, and the longest a change waits: a
 * UnifiedNamespace creates its tree a level at a time (tens of ms apart under load), and each restart is an exec
 * of inotifywait with every path of the host; the stream running meanwhile keeps watching what it has.
 */
const REARM_GATHER_MS = 250;
const REARM_GATHER_MAX_MS = 1000;
const SELF_GONE = new Set(['DELETE_SELF', 'MOVE_SELF', 'UNMOUNT', 'IGNORED']);

function kindOf(events: string[]): WatchEvent['kind'] {
  if (events.includes('UNMOUNT')) return 'unmount';
  if (events.every((e) => e === 'MODIFY' || e === 'ATTRIB' || e === 'ISDIR')) return 'change';
  return 'rename';
}

function signature(stat: FileStat | null): string {
  if (!stat) return 'missing';
  return [stat.type, stat.mode, stat.uid, stat.gid, stat.size, stat.mtimeMs, stat.dev, stat.ino, stat.nlink].join(':');
}

export class SshWatchHub {
  private readonly registrations = new Set<Registration>();
  private mode: 'inotify' | 'poll';
  private stream: WatchStream | undefined;
  private armed = new Map<string, ArmedPath>();
  private arming = false;
  private armAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollSnapshot = new Map<string, string>();
  private closed = false;
  /** The last stream died and no new one is established yet: changes may have gone unseen. */
  private blind = false;
  /** When the first path change still waiting to be armed came (see requestRearmForPaths). */
  private gatherSince: number | undefined;
  /** Bumped when registrations change; with `armed`, says whether `index` is current. */
  private registrationsVersion = 0;
  private index:
    | {
        armed: Map<string, ArmedPath>;
        version: number;
        byPath: Map<string, Array<{ r: Registration; t: WatchTarget }>>;
        byAnchor: Map<string, Array<{ r: Registration; t: WatchTarget }>>;
        byMissingAnchor: Map<string, Array<{ r: Registration; t: WatchTarget }>>;
      }
    | undefined;

  constructor(private readonly deps: SshWatchDeps) {
    this.mode = deps.forcePolling ? 'poll' : 'inotify';
  }

  get watchMode(): 'inotify' | 'poll' {
    return this.mode;
  }

  add(targets: WatchTarget[], onEvent: (event: WatchEvent) => void): WatchHandle {
    let resolveReady!: () => void;
    const ready = new Promise<void>((resolve) => (resolveReady = resolve));
    const registration: Registration = { targets, onEvent, resolveReady, ready: false };
    this.registrations.add(registration);
    this.registrationsVersion++;
    this.requestRearmForPaths();
    return {
      ready,
      close: () => {
        if (!this.registrations.delete(registration)) return;
        this.registrationsVersion++;
        registration.resolveReady();
        this.requestRearmForPaths();
      },
    };
  }

  /** Stops everything; resolves once the remote inotifywait has been killed (at most ~2 s). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.pollTimer);
    const stopped = this.stream?.stop();
    this.stream = undefined;
    for (const r of this.registrations) r.resolveReady();
    this.registrations.clear();
    if (stopped) await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2000))]);
  }

  private allRealPaths(): string[] {
    const paths = new Set<string>();
    for (const r of this.registrations) for (const t of r.targets) paths.add(t.realPath);
    return [...paths].sort();
  }

  private emit(registration: Registration, event: WatchEvent): void {
    try {
      registration.onEvent(event);
    } catch (err) {
      this.deps.log?.error({ err, path: event.path }, 'watch: event callback threw');
    }
  }

  /** Every path gets an event: used when the watch was blind for a while. */
  private emitAll(kind: WatchEvent['kind']): void {
    for (const r of [...this.registrations]) for (const t of r.targets) this.emit(r, { path: t.hostPath, kind });
  }

  /**
   * The set of paths changed. The first stream arms at once; after that, changes that come in a burst (a cold
   * start registers a watch per resource, over seconds) are gathered for REARM_GATHER_MS, at most
   * REARM_GATHER_MAX_MS after the first one, so that a host's inotifywait is restarted a few times, not once per
   * resource. The stream running meanwhile keeps watching the paths it has.
   */
  private requestRearmForPaths(): void {
    if (this.closed) return;
    if (!this.stream) return this.requestArm();
    const now = Date.now();
    this.gatherSince ??= now;
    this.requestArm(Math.max(0, Math.min(REARM_GATHER_MS, this.gatherSince + REARM_GATHER_MAX_MS - now)));
  }

  private requestArm(delayMs = 0): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.arm(), delayMs);
  }

  private async arm(): Promise<void> {
    if (this.closed) return;
    this.gatherSince = undefined;
    if (this.arming) {
      this.armAgain = true;
      return;
    }
    this.arming = true;
    try {
      do {
        this.armAgain = false;
        if (this.mode === 'poll') await this.armPolling();
        else await this.armInotify();
      } while (this.armAgain && !this.closed);
    } finally {
      this.arming = false;
    }
  }

  private async armInotify(): Promise<void> {
    const paths = this.allRealPaths();
    if (paths.length === 0) {
      void this.stream?.stop();
      this.stream = undefined;
      return;
    }
    const waiting = [...this.registrations].filter((r) => !r.ready);
    const outcome = await this.startStream(paths);
    if (this.closed) return;
    if (outcome === 'unavailable') {
      this.deps.log?.warn({ pollIntervalMs: this.deps.pollIntervalMs }, 'watch: inotifywait is not installed; polling instead');
      this.mode = 'poll';
      void this.stream?.stop();
      this.stream = undefined;
      await this.armPolling();
      return;
    }
    if (outcome === 'failed') {
      const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)] ?? 10_000;
      this.failures++;
      this.requestArm(delay);
      return;
    }
    this.failures = 0;
    for (const r of waiting) {
      r.ready = true;
      r.resolveReady();
    }
  }

  /** Starts a stream for `paths`; once it is established it replaces the current one. */
  private startStream(paths: string[]): Promise<'established' | 'unavailable' | 'failed'> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (value: 'established' | 'unavailable' | 'failed'): void => {
        if (!settled) {
          settled = true;
          resolve(value);
        }
      };
      const callbacks = (stream: () => WatchStream) => ({
        onEstablished: (armed: Map<string, ArmedPath>) => {
          if (this.closed) {
            void stream().stop();
            return settle('failed');
          }
          const previous = this.stream;
          this.stream = stream();
          this.armed = armed;
          void previous?.stop();
          if (this.blind) {
            // The previous stream died: whatever changed while nothing was watching gets an event now.
            this.blind = false;
            this.emitAll('rename');
          }
          settle('established');
        },
        onEvent: (event: RawWatchEvent) => {
          if (this.stream === stream()) this.dispatch(event);
        },
        onEnd: (code: number | undefined, stderr: string) => {
          if (code === 127 && !settled) return settle('unavailable');
          if (!settled) {
            this.deps.log?.warn({ code, stderr: stderr.trim() }, 'watch: inotifywait could not start');
            return settle('failed');
          }
          if (this.stream === stream() && !this.closed) {
            this.stream = undefined;
            this.blind = true;
            this.deps.log?.warn({ code }, 'watch: inotifywait stream ended; re-arming');
            this.emitAll('rename');
            this.requestArm(BACKOFF_MS[0]);
          }
        },
      });
      this.deps
        .openStream(paths, (channel, release) => {
          const stream: WatchStream = new WatchStream(paths, channel, release, callbacks(() => stream), (pid) => this.deps.killRemote(pid));
          if (this.closed) {
            stream.abandon();
            settle('failed');
          }
        })
        .catch((err: unknown) => {
          this.deps.log?.warn({ err: (err as Error).message }, 'watch: cannot open the watch stream');
          settle('failed');
        });
    });
  }

  private dispatch(event: RawWatchEvent): void {
    const kind = kindOf(event.events);
    const selfGone = event.events.some((e) => SELF_GONE.has(e));
    let rearm = false;
    for (const { r, t } of this.candidatesFor(event.path, selfGone)) {
      if (!this.registrations.has(r)) continue;
      const armed = this.armed.get(t.realPath);
      if (!armed) continue;
      if (event.path === t.realPath) {
        this.emit(r, { path: t.hostPath, kind });
        // A directory went away or one appeared where there was none: the watch set must change.
        if (armed.kind === 'd' ? kind !== 'change' : event.events.includes('ISDIR')) rearm = true;
      } else if (armed.kind === 'd' && posix.dirname(event.path) === t.realPath && !selfGone) {
        this.emit(r, { path: posix.join(t.hostPath, posix.basename(event.path)), kind });
      } else if (armed.kind === '-' && posix.dirname(event.path) === armed.anchor && t.realPath.startsWith(`${event.path}/`)) {
        this.emit(r, { path: t.hostPath, kind: 'rename' });
        rearm = true;
      } else if (event.path === armed.anchor && selfGone) {
        this.emit(r, { path: t.hostPath, kind });
        rearm = true;
      }
    }
    if (selfGone || rearm) this.requestRearmForPaths();
  }

  /**
   * The registered targets an event at `path` can concern (the path itself, a watched folder it is in, a missing
   * path anchored at its folder, and when a watched folder itself went away, whatever is anchored at it), from an
   * index by real path and by anchor, so that an event costs the targets it touches, not every target of the host:
   * an existing file is anchored at its folder too, and a hundred configs in /etc/pve/lxc made every event there
   * look at all hundred (a thousand resources, several events per write).
   */
  private candidatesFor(path: string, selfGone: boolean): Array<{ r: Registration; t: WatchTarget }> {
    if (!this.index || this.index.armed !== this.armed || this.index.version !== this.registrationsVersion) {
      const byPath = new Map<string, Array<{ r: Registration; t: WatchTarget }>>();
      const byAnchor = new Map<string, Array<{ r: Registration; t: WatchTarget }>>();
      const byMissingAnchor = new Map<string, Array<{ r: Registration; t: WatchTarget }>>();
      const add = (map: typeof byPath, key: string, entry: { r: Registration; t: WatchTarget }) => {
        const list = map.get(key);
        if (list) list.push(entry);
        else map.set(key, [entry]);
      };
      for (const r of this.registrations) {
        for (const t of r.targets) {
          add(byPath, t.realPath, { r, t });
          const armed = this.armed.get(t.realPath);
          if (armed === undefined) continue;
          add(byAnchor, armed.anchor, { r, t });
          if (armed.kind === '-') add(byMissingAnchor, armed.anchor, { r, t });
        }
      }
      this.index = { armed: this.armed, version: this.registrationsVersion, byPath, byAnchor, byMissingAnchor };
    }
    const parent = posix.dirname(path);
    const seen = new Set<WatchTarget>();
    const out: Array<{ r: Registration; t: WatchTarget }> = [];
    const lists = [this.index.byPath.get(path), this.index.byPath.get(parent), this.index.byMissingAnchor.get(parent), selfGone ? this.index.byAnchor.get(path) : undefined];
    for (const list of lists) {
      for (const entry of list ?? []) {
        if (seen.has(entry.t)) continue;
        seen.add(entry.t);
        out.push(entry);
      }
    }
    return out;
  }

  private async armPolling(): Promise<void> {
    clearTimeout(this.pollTimer);
    if (this.registrations.size === 0 || this.closed) return;
    await this.pollOnce(true);
  }

  private async pollOnce(baseline: boolean): Promise<void> {
    const registrations = [...this.registrations];
    const targets = new Map<string, WatchTarget>();
    for (const r of registrations) for (const t of r.targets) targets.set(t.realPath, t);
    try {
      const list = [...targets.values()];
      const stats = await this.deps.statMany(list);
      const next = new Map(list.map((t, i) => [t.realPath, signature(stats[i] ?? null)]));
      for (const r of registrations) {
        if (!this.registrations.has(r)) continue;
        for (const t of r.targets) {
          const before = this.pollSnapshot.get(t.realPath);
          if (before !== undefined && before !== next.get(t.realPath) && r.ready) this.emit(r, { path: t.hostPath, kind: 'poll' });
        }
        if (!r.ready) {
          r.ready = true;
          r.resolveReady();
        }
      }
      this.pollSnapshot = next;
    } catch (err) {
      if (!baseline) this.deps.log?.debug({ err: (err as Error).message }, 'watch: poll failed; trying again next round');
    }
    if (this.closed || this.registrations.size === 0) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.pollOnce(false), this.deps.pollIntervalMs);
  }
}
