/**
 * ManifestSource: watches the manifests directory with chokidar and publishes consistent snapshots of it.
 *
 * Events are only triggers. A burst of them (debounced 25 ms, flushed after 100 ms at most) re-lists the directory
 * and re-reads the files that changed, so an editor's save-by-rename, a rename or a `git checkout` of many files
 * ends in one snapshot. Shortly after each burst the files it touched are read once more, because chokidar drops a
 * second change of a file within 50 ms of the first.
 *
 * Per file the source keeps its last good documents: a file that fails to parse or validate keeps them in force
 * (its errors are in the snapshot), a deleted file drops them. An identity claimed by two files stays with the
 * file it was in force from; the newcomer is an error naming both files; if neither was in force, neither applies.
 * A snapshot is published only when something in it changed. Pruning and the mass-deletion guard are the
 * controller's business, on top of snapshots.
 *
 * Limits (limits.ts): a file over the byte, node or document limit is not loaded and keeps its last good documents,
 * like any broken file. A reload that would go over the directory's limits (files, bytes, documents) is refused
 * whole: the published snapshot keeps every resource in force and carries one error naming the file at which the
 * limit was crossed. Reading is bounded (read-bounded.ts), so a file growing meanwhile is never read whole.
 */
import { mapLimited } from '../../reconcilers/core/map-limited.js';
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Resource, ResourceKey, Revision } from '../../reconcilers/core/resource.js';
import { isManifestFileName, isSkippedDirName, listManifestFiles, toManifestPath } from './files.js';
import { canonicalJson } from './generation.js';
import { resolveIdentities } from './identities.js';
import { compareManifestErrors, formatManifestError, unreadableFile, type ManifestError } from './manifest-error.js';
import { directoryOverLimits, manifestLimits, tooManyDocumentsOverall, type ManifestLimits } from './limits.js';
import { parseManifestFile } from './parse.js';
import { parseContext, type ParseCache } from './parse-cache.js';
import { MANIFEST_READ_CONCURRENCY, readManifestText, ReadBudget, type BoundedRead } from './read-bounded.js';
import { gitDirOf, readRevision } from './revision.js';
import { defaultSchemas, type SchemaRegistry } from './schema.js';

export interface ManifestSnapshot {
  /** The desired state: every resource in force, by `kind/name`, in file order. */
  resources: Map<ResourceKey, Resource>;
  /** Every current problem (broken files, duplicates), sorted by file and position. */
  errors: ManifestError[];
  /** The git revision of the directory when it was read. */
  revision: Revision;
  /** Every manifest file present (broken ones too), relative to the directory, sorted. */
  files: string[];
}

export interface ManifestSourceOptions {
  /** Quiet time that ends a burst of events. Default 25 ms. */
  debounceMs?: number;
  /** A burst is flushed at the latest this long after its first event. Default 100 ms. */
  maxWaitMs?: number;
  /**
   * Also rescan this often without any event, in case the watch misses some (inotify limits): cheap, it only
   * stats the files and publishes nothing when nothing changed. Default 30 s; 0 turns it off.
   */
  rescanMs?: number;
  schemas?: SchemaRegistry;
  /** Limits on files, bytes, documents and YAML values (limits.ts); defaults from DEFAULT_MANIFEST_LIMITS. */
  limits?: Partial<ManifestLimits>;
  /**
   * What this build parsed before (parse-cache.ts, the cache `apply` and `diff` keep): the first snapshot takes a
   * file's documents from it when its bytes are the same, and saves what it read; later reloads parse. A restart
   * of the daemon then parses only the files that changed. Ignored with other schemas (the cache keys the limits,
   * not the schemas).
   */
  parseCache?: ParseCache;
}

type Listener<T> = (value: T) => void;

/** What the source remembers of one file. */
interface FileState {
  /** `ino:size:mtime:ctime` when last read. */
  signature: string;
  textHash: string;
  /** Bytes read, for the directory's total. */
  bytes: number;
  /** YAML documents in it, for the directory's limit. */
  documents: number;
  /** The documents of the last read that had no error at all. */
  lastGood: Resource[];
  /** The errors of the last read (none when it was good). */
  errors: ManifestError[];
}

interface FlushRequest {
  /** Files to read even if their signature did not change. */
  paths: ReadonlySet<string>;
  /** Recompute the revision and publish if anything differs, even if no file changed. */
  force: boolean;
  /** A second look (after a burst, or the periodic rescan): git runs only if a change is found. */
  recheck?: boolean;
}

/** chokidar drops a second change event for a path within 50 ms of the first: re-read after that. */
const RECHECK_MS = 60;

export class ManifestSource {
  readonly dir: string;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly rescanMs: number;
  private readonly schemas: SchemaRegistry;
  private readonly limits: ManifestLimits;
  /** The last reload was refused (over the directory's limits). */
  private refused = false;
  private readonly files = new Map<string, FileState>();
  private readonly snapshotListeners = new Set<Listener<ManifestSnapshot>>();
  private readonly errorListeners = new Set<Listener<Error>>();
  private watcher: FSWatcher | undefined;
  private gitWatcher: FSWatcher | undefined;
  private snapshot: ManifestSnapshot | undefined;
  private fingerprint: string | undefined;
  private pending = new Set<string>();
  private revisionStale = false;
  private burstTimer: NodeJS.Timeout | undefined;
  private burstStartedAt: number | undefined;
  private recheck = new Set<string>();
  private recheckTimer: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  /** The parse cache, while the first snapshot is read (see ManifestSourceOptions.parseCache). */
  private parseCache: ParseCache | undefined;

  constructor(dir: string, options: ManifestSourceOptions = {}) {
    this.dir = resolve(dir);
    this.debounceMs = options.debounceMs ?? 25;
    this.maxWaitMs = options.maxWaitMs ?? 100;
    this.rescanMs = options.rescanMs ?? 30_000;
    this.schemas = options.schemas ?? defaultSchemas();
    this.limits = manifestLimits(options.limits);
    this.parseCache = options.schemas === undefined ? options.parseCache : undefined;
  }

  /** Starts watching, reads the whole directory and returns the first snapshot (listeners hear the ones after it). */
  async start(): Promise<ManifestSnapshot> {
    if (this.watcher) throw new Error('ManifestSource already started');
    if (!(await stat(this.dir)).isDirectory()) throw new Error(`${this.dir} is not a directory`);
    const watcher = watch(this.dir, { ignoreInitial: true, atomic: false, ignored: (p, s) => this.isIgnored(p, s) });
    this.watcher = watcher;
    watcher.on('all', (event, path) => {
      const file = toManifestPath(relative(this.dir, path));
      this.touched(event === 'addDir' || event === 'unlinkDir' || !isManifestFileName(basename(file)) ? undefined : file);
    });
    watcher.on('error', (err) => this.report(err as Error));
    try {
      await new Promise<void>((ready) => watcher.once('ready', ready));
      const initial = this.flush({ paths: new Set(), force: true });
      this.flushing = initial.catch(() => undefined); // start() rejects with it
      await initial;
      this.parseCache?.save();
      this.parseCache = undefined;
      await this.watchGitHead();
      if (this.rescanMs > 0) {
        this.rescanTimer = setInterval(() => this.enqueue({ paths: new Set(), force: false, recheck: true }), this.rescanMs);
        this.rescanTimer.unref();
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    return this.current();
  }

  /** Calls `listener` with every later snapshot (not the first: `start()` returns it); returns an unsubscribe. */
  onSnapshot(listener: Listener<ManifestSnapshot>): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  /** Watch failures and listener exceptions (the source keeps running). */
  onError(listener: Listener<Error>): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** The last published snapshot. Throws before `start()` resolved. */
  current(): ManifestSnapshot {
    if (!this.snapshot) throw new Error('ManifestSource not started');
    return this.snapshot;
  }

  /** Stops watching; no snapshot is published after it resolves. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.burstTimer);
    clearTimeout(this.recheckTimer);
    clearInterval(this.rescanTimer);
    await Promise.all([this.watcher?.close(), this.gitWatcher?.close()]);
    await this.flushing;
  }

  private isIgnored(path: string, stats?: Stats): boolean {
    if (path === this.dir) return false;
    const name = basename(path);
    if (isSkippedDirName(name) && !stats?.isFile()) return true; // dot-folders, node_modules
    return !!stats?.isFile() && !isManifestFileName(name);
  }

  /** A file (or, without one, just the listing) may have changed: (re)start the burst timer. */
  private touched(file?: string): void {
    if (this.closed) return;
    if (file) this.pending.add(file);
    const now = Date.now();
    this.burstStartedAt ??= now;
    clearTimeout(this.burstTimer);
    const delay = Math.min(this.debounceMs, this.burstStartedAt + this.maxWaitMs - now);
    this.burstTimer = setTimeout(() => this.endBurst(), Math.max(0, delay));
  }

  private endBurst(): void {
    const paths = this.pending;
    const force = this.revisionStale;
    this.pending = new Set();
    this.revisionStale = false;
    this.burstStartedAt = undefined;
    this.enqueue({ paths, force });
    if (paths.size === 0) return;
    for (const path of paths) this.recheck.add(path);
    clearTimeout(this.recheckTimer);
    this.recheckTimer = setTimeout(() => {
      const again = this.recheck;
      this.recheck = new Set();
      this.enqueue({ paths: again, force: false, recheck: true });
    }, RECHECK_MS);
  }

  /** Flushes run one at a time, in order. */
  /** Looks at the directory now (what the periodic rescan does); resolves once that look is done and published. */
  rescan(): Promise<void> {
    this.enqueue({ paths: new Set(), force: false, recheck: true });
    return this.flushing;
  }

  private enqueue(request: FlushRequest): void {
    this.flushing = this.flushing
      .then(() => (this.closed ? undefined : this.flush(request)))
      .catch((err: unknown) => this.report(err));
  }

  private async flush({ paths, force, recheck }: FlushRequest): Promise<void> {
    // git runs alongside the reads (a change made meanwhile triggers another flush anyway).
    let revision = recheck ? undefined : readRevision(this.dir); // never rejects
    const listed = await listManifestFiles(this.dir);
    const stats = await mapLimited(listed, MANIFEST_READ_CONCURRENCY, (file) => statSignature(join(this.dir, file)));
    const reload = await this.reload(listed, stats, paths);
    if ('refused' in reload) {
      // Nothing of this reload is kept: the resources in force stay, and the error says why.
      const previous = this.snapshot?.resources ?? new Map<ResourceKey, Resource>();
      const snapshot = { resources: previous, errors: [reload.refused], revision: await (revision ?? readRevision(this.dir)), files: listed };
      if (!this.closed) this.publish(snapshot);
      this.refused = true;
      return;
    }
    let changed = false;
    const present = new Set(listed);
    for (const file of this.files.keys()) {
      if (!present.has(file)) changed = this.files.delete(file) || changed;
    }
    for (const [file, state] of reload.states) {
      const known = this.files.get(file);
      if (known && state.textHash !== '' && known.textHash === state.textHash) {
        known.signature = state.signature;
        continue;
      }
      this.files.set(file, state);
      changed = true;
    }
    // After a refused reload, the next good one is published even if no file changed since (its error must go).
    if (!changed && !force && !this.refused) return;
    this.refused = false;
    revision ??= readRevision(this.dir);
    const snapshot = this.compose(await revision);
    if (this.closed) return;
    this.publish(snapshot);
  }

  /**
   * Reads the files that changed (or are in `mustRead`) within the limits, without changing anything yet: either
   * the new state of each file read, or the error that refuses the whole reload (too many files, too many bytes
   * together, too many documents together).
   */
  private async reload(
    listed: readonly string[],
    stats: ReadonlyArray<FileSignature | undefined>,
    mustRead: ReadonlySet<string>,
  ): Promise<{ states: Map<string, FileState> } | { refused: ManifestError }> {
    const limits = this.limits;
    const tooMuch = directoryOverLimits(listed.map((file, i) => ({ file, bytes: stats[i]?.bytes ?? 0 })), limits);
    if (tooMuch) return { refused: tooMuch };
    const toRead = listed.filter((file, i) => {
      const known = this.files.get(file);
      return stats[i] !== undefined && (mustRead.has(file) || !known || known.signature !== stats[i]!.signature);
    });
    const reading = new Set(toRead);
    const kept = listed.filter((file) => !reading.has(file) && this.files.has(file)).map((file) => this.files.get(file)!);
    const budget = new ReadBudget(limits.maxTotalBytes - kept.reduce((sum, state) => sum + state.bytes, 0));
    const signatures = new Map(listed.map((file, i) => [file, stats[i]?.signature ?? '']));
    const read = await mapLimited(toRead, MANIFEST_READ_CONCURRENCY, (file) => this.read(file, signatures.get(file)!, budget));
    const states = new Map<string, FileState>();
    for (const [i, result] of read.entries()) {
      if ('refused' in result) return result;
      if (result.state) states.set(toRead[i]!, result.state);
    }
    let documents = 0;
    for (const file of listed) {
      documents += (states.get(file) ?? this.files.get(file))?.documents ?? 0;
      if (documents > limits.maxDocuments) return { refused: tooManyDocumentsOverall(file, documents, limits) };
    }
    return { states };
  }

  /** Reads and parses one file (bounded); no state when it is gone since the listing. */
  private async read(file: string, listedSignature: string, budget: ReadBudget): Promise<{ state?: FileState } | { refused: ManifestError }> {
    const known = this.files.get(file);
    /** A file over a limit is not tried again until it changes; one that could not be read is, at every flush. */
    const failed = (error: ManifestError, signature = ''): { state: FileState } => ({
      state: { signature, textHash: '', bytes: 0, documents: 0, lastGood: known?.lastGood ?? [], errors: [error] },
    });
    let read: BoundedRead;
    try {
      read = await readManifestText(join(this.dir, file), file, this.limits, budget);
    } catch (err) {
      // Gone since the listing: the next listing drops it (an event is on its way).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      return failed(unreadableFile(file, err));
    }
    if ('error' in read) return read.overBudget ? { refused: read.error } : failed(read.error, listedSignature);
    const textHash = createHash('sha256').update(read.text).digest('hex');
    if (known && known.textHash === textHash) return { state: { ...known, signature: read.signature } };
    const parse = () => parseManifestFile(file, read.text, this.schemas, this.limits);
    const { resources, errors, documents } = this.parseCache ? this.parseCache.parsed(file, read.text, parseContext(this.limits), parse) : parse();
    const lastGood = errors.length === 0 ? resources : (known?.lastGood ?? []);
    return { state: { signature: read.signature, textHash, bytes: read.bytes, documents, lastGood, errors } };
  }

  private compose(revision: Revision): ManifestSnapshot {
    const files = [...this.files.keys()].sort();
    const claims = files.flatMap((file) => this.files.get(file)!.lastGood);
    const inForceFrom = new Map([...(this.snapshot?.resources ?? [])].map(([key, r]) => [key, r.source.file]));
    const { resources, errors } = resolveIdentities(claims, inForceFrom);
    const fileErrors = files.flatMap((file) => this.files.get(file)!.errors);
    return { resources, errors: [...fileErrors, ...errors].sort(compareManifestErrors), revision, files };
  }

  /** Keeps the snapshot and tells the listeners, unless nothing in it changed. The first one is only kept. */
  private publish(snapshot: ManifestSnapshot): void {
    const fingerprint = canonicalJson({
      resources: [...snapshot.resources].map(([key, r]) => [key, r.generation, r.metadata, r.source]),
      errors: snapshot.errors.map(formatManifestError),
      revision: snapshot.revision,
      files: snapshot.files,
    });
    if (fingerprint === this.fingerprint) return;
    const first = !this.snapshot;
    this.fingerprint = fingerprint;
    this.snapshot = snapshot;
    if (first) return;
    for (const listener of this.snapshotListeners) {
      try {
        listener(snapshot);
      } catch (err) {
        this.report(err);
      }
    }
  }

  /**
   * A commit or checkout changes the revision even when no manifest changes (a commit makes a dirty tree clean):
   * watch the git directory's HEAD and its reflog, and re-read the revision when they change.
   */
  private async watchGitHead(): Promise<void> {
    const gitDir = await gitDirOf(this.dir);
    if (!gitDir || this.closed) return;
    const wanted = new Set([gitDir, join(gitDir, 'HEAD'), join(gitDir, 'logs'), join(gitDir, 'logs', 'HEAD')]);
    const watcher = watch(gitDir, { ignoreInitial: true, atomic: false, depth: 1, ignored: (p) => !wanted.has(p) });
    this.gitWatcher = watcher;
    watcher.on('all', () => {
      this.revisionStale = true;
      this.touched();
    });
    watcher.on('error', (err) => this.report(err as Error));
    await new Promise<void>((ready) => watcher.once('ready', ready));
  }

  private report(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.errorListeners.size === 0) process.emitWarning(error);
    for (const listener of this.errorListeners) listener(error);
  }
}

interface FileSignature {
  signature: string;
  bytes: number;
}

/** `ino:size:mtime:ctime` and the size of a file, or undefined when it is gone. */
async function statSignature(path: string): Promise<FileSignature | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return { signature: `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`, bytes: Number(s.size) };
  } catch {
    return undefined;
  }
}
