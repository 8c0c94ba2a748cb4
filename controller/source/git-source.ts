/**
 * GitSource: the daemon's manifests from a git repository (`run --git URL`). It fetches the ref every interval
 * and on `refresh()`, materialises `--path` at each new commit into its own folder and loads it; a commit that
 * loads without an error becomes the last good one (the `current` symlink is switched to it, atomically) and is
 * published as a snapshot stamped with its commit and subject.
 *
 * The last-good rule: a fetch that fails, a ref that vanished, or a commit that does not validate (any manifest
 * error, a limit, a path that is not there) changes nothing in force. A commit that does not validate is
 * published as the last good resources with that commit's errors (so `ManifestsValid` and the resources' events
 * say why, as for a directory); the `SourceReady` condition (problem.ts) names the commit and what stays in force.
 * At start the last good checkout on disk is in force until a fetch brings something newer; with none, `start()`
 * resolves null and nothing is published until a good commit arrives, so a source that was never good never makes
 * the controller prune.
 *
 * When it fetches (one at a time, on the interval and on `refresh()`, never back to back) is schedule.ts's business.
 */
import type { Logger } from 'pino';
import { redact } from '../../reconcilers/core/redact.js';
import { errorMessage } from '../../reconcilers/core/problem.js';
import { formatManifestError, manifestLimits, type ManifestLimits, type ManifestSnapshot, type SchemaRegistry } from '../manifests/index.js';
import { currentCommit, ensureLayout, removeCheckoutsExcept, sourceLayout, switchCurrent, type SourceLayout } from './checkouts.js';
import { loadCommit } from './commit-snapshot.js';
import { FetchError, GitMirror } from './git-mirror.js';
import { parseGitUrl, registerRemoteSecrets, type GitRemote } from './git-url.js';
import { normalizeRepoPath } from './materialise.js';
import { recordFetch } from './metrics.js';
import { SyncSchedule } from './schedule.js';
import { commitProblem, describeCommit, type SourceProblem } from './problem.js';
import type { SourceControl, SourceState } from './types.js';
import { DEFAULT_GIT_INTERVAL_MS, DEFAULT_GIT_PATH, DEFAULT_GIT_REF, type GitSourceSpec } from './spec.js';

export interface GitSourceOptions extends GitSourceSpec {
  stateDir: string;
  log: Logger;
  limits?: Partial<ManifestLimits>;
  schemas?: SchemaRegistry;
}

export { DEFAULT_GIT_INTERVAL_MS, DEFAULT_GIT_PATH, DEFAULT_GIT_REF, type GitSourceSpec } from './spec.js';

/** What listeners of `onChange` hear after every fetch. */
export type SourceChangeListener = (state: SourceState, problem: SourceProblem | null) => void;

/** The folder the controller reads a git source's manifests from (stable across commits): pure, for before `start()`. */
export function gitManifestsDir(stateDir: string, spec: GitSourceSpec): string {
  const remote = parseGitUrl(spec.url);
  return sourceLayout(stateDir, remote.location, spec.ref ?? DEFAULT_GIT_REF, normalizeRepoPath(spec.path ?? DEFAULT_GIT_PATH)).current;
}

export class GitSource implements SourceControl {
  readonly remote: GitRemote;
  readonly layout: SourceLayout;
  /** The stable manifests folder (the `current` symlink). */
  readonly manifestsDir: string;
  private readonly ref: string;
  private readonly path: string;
  private readonly limits: ManifestLimits;
  private readonly mirror: GitMirror;
  private readonly log: Logger;
  private readonly schedule: SyncSchedule;
  private readonly snapshotListeners = new Set<(snapshot: ManifestSnapshot) => void>();
  private readonly changeListeners = new Set<SourceChangeListener>();

  /** The last good snapshot (errors empty), in force. */
  private good: ManifestSnapshot | null = null;
  /** The latest fetched commit when it could not be applied. */
  private rejected: SourceProblem | null = null;
  /** The last fetch's failure. */
  private fetchProblem: SourceProblem | null = null;
  private fetchedCommit: string | null = null;
  private lastFetchTime: string | null = null;
  private published: string | undefined;
  private started = false;

  constructor(private readonly opts: GitSourceOptions) {
    this.remote = parseGitUrl(opts.url);
    registerRemoteSecrets(this.remote);
    this.ref = opts.ref ?? DEFAULT_GIT_REF;
    this.path = normalizeRepoPath(opts.path ?? DEFAULT_GIT_PATH);
    this.limits = manifestLimits(opts.limits);
    this.layout = sourceLayout(opts.stateDir, this.remote.location, this.ref, this.path);
    this.manifestsDir = this.layout.current;
    this.mirror = new GitMirror(this.layout.repo, this.remote, opts, opts.fetchTimeoutMs !== undefined ? { fetchTimeoutMs: opts.fetchTimeoutMs } : {});
    this.log = opts.log.child({ source: this.remote.location, ref: this.ref });
    this.schedule = new SyncSchedule((signal) => this.syncOnce(signal), {
      intervalMs: opts.intervalMs ?? DEFAULT_GIT_INTERVAL_MS,
      minGapMs: opts.minFetchGapMs ?? 1_000,
      onError: (err) => this.log.error({ err }, 'git source: sync failed'),
    });
  }

  /**
   * Takes the last good checkout on disk, fetches once, and starts the interval. Resolves with the snapshot in
   * force (listeners hear the ones after it), or null when no commit has been good yet.
   */
  async start(): Promise<ManifestSnapshot | null> {
    await ensureLayout(this.layout);
    await this.mirror.ensure(this.schedule.signal);
    await this.takeLastGood();
    await this.schedule.request();
    this.started = true;
    this.schedule.startTicking();
    return this.inForce();
  }

  onSnapshot(listener: (snapshot: ManifestSnapshot) => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  /** Told after every fetch (and at start), with the problem in force (none: null). */
  onChange(listener: SourceChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  state(): SourceState {
    const applied = this.good?.revision;
    return {
      type: 'git',
      location: this.remote.location,
      ref: this.ref,
      path: this.path || '.',
      appliedCommit: applied?.commit ?? null,
      ...(applied?.subject !== undefined ? { appliedSubject: applied.subject } : {}),
      lastFetchTime: this.lastFetchTime,
      lastFetchResult: this.lastFetchTime === null ? null : this.fetchProblem ? 'failed' : 'ok',
      ...(this.fetchProblem ? { lastFetchError: redact(this.fetchProblem.message) } : {}),
      fetchedCommit: this.fetchedCommit,
    };
  }

  /** The problem in force: a failed fetch first, else a fetched commit that could not be applied. */
  problem(): SourceProblem | null {
    return this.fetchProblem ?? this.rejected;
  }

  async refresh(): Promise<SourceState> {
    if (this.started) await this.schedule.request();
    return this.state();
  }

  close(): Promise<void> {
    return this.schedule.close();
  }

  /** The last good checkout of an earlier run, when it still loads cleanly. */
  private async takeLastGood(): Promise<void> {
    const commit = await currentCommit(this.layout);
    await removeCheckoutsExcept(this.layout, commit);
    if (!commit) return;
    let load;
    try {
      load = await loadCommit(this.mirror, this.layout, commit, this.path, this.loadOptions());
    } catch (err) {
      // Its checkout and its objects are gone (removed by hand): start as if there had never been a good commit.
      this.log.warn({ commit, err }, 'git source: the last good commit of the previous run cannot be read; not used');
      return;
    }
    if (load.ok) {
      this.good = load.snapshot;
      this.log.info({ commit, subject: load.snapshot.revision.subject }, 'git source: last good commit of the previous run in force until the first fetch');
    } else {
      this.log.warn({ commit, errors: load.errors.slice(0, 3).map(formatManifestError) }, 'git source: the last good commit of the previous run no longer validates; not used');
    }
  }

  /** One fetch, and what it brings. */
  private async syncOnce(signal: AbortSignal): Promise<void> {
    const began = Date.now();
    let commit: string;
    try {
      commit = await this.mirror.fetch(this.ref, signal);
    } catch (err) {
      if (this.schedule.isClosed) return;
      const problem = err instanceof FetchError ? err : new FetchError('FetchFailed', `fetching "${this.ref}" from ${this.remote.location} failed: ${errorMessage(err)}`);
      this.fetched(began, { reason: problem.reason, message: problem.message });
      return this.told();
    }
    this.fetched(began, null);
    this.fetchedCommit = commit;
    if (commit === this.good?.revision.commit) this.rejected = null;
    else if (commit !== this.rejected?.commit) await this.take(commit);
    if (this.schedule.isClosed) return;
    this.publish();
    this.told();
  }

  /** Loads a newly fetched commit: good, it goes in force; not, it is the problem until the next one. */
  private async take(commit: string): Promise<void> {
    let load;
    try {
      load = await loadCommit(this.mirror, this.layout, commit, this.path, this.loadOptions());
    } catch (err) {
      // Not the commit's fault (a disk, a deadline): tried again at the next fetch.
      this.fetchProblem = { reason: 'FetchFailed', message: `checking out commit ${commit.slice(0, 12)} failed: ${errorMessage(err)}`, commit };
      return;
    }
    if (!load.ok) {
      this.rejected = commitProblem(load.reason, commit, load.revision.subject, load.errors);
      this.log.warn({ reason: load.reason, commit, errors: load.errors.slice(0, 3).map(formatManifestError) }, `git source: ${this.rejected.message}; nothing of it is applied`);
      return;
    }
    await switchCurrent(this.layout, commit);
    await removeCheckoutsExcept(this.layout, commit);
    this.good = load.snapshot;
    this.rejected = null;
    this.log.info({ commit, subject: load.snapshot.revision.subject, resources: load.snapshot.resources.size }, `git source: commit ${describeCommit(commit, load.snapshot.revision.subject)} in force`);
  }

  private fetched(began: number, problem: SourceProblem | null): void {
    const now = new Date();
    this.lastFetchTime = now.toISOString();
    recordFetch(problem === null, (now.getTime() - began) / 1000, now);
    if (problem) this.log.warn({ reason: problem.reason }, `git source: ${redact(problem.message)}`);
    this.fetchProblem = problem;
  }

  /** The snapshot in force: the last good resources, with the errors of a fetched commit that does not validate. */
  private inForce(): ManifestSnapshot | null {
    if (!this.good) return null;
    return { ...this.good, errors: this.rejected?.errors ?? [] };
  }

  /** Tells snapshot listeners when what is in force (commit, errors) changed since the last snapshot. */
  private publish(): void {
    const snapshot = this.inForce();
    if (!snapshot) return;
    const fingerprint = JSON.stringify([snapshot.revision.commit, snapshot.errors.map(formatManifestError)]);
    if (fingerprint === this.published) return;
    this.published = fingerprint;
    if (!this.started) return; // start() returns the first one
    for (const listener of this.snapshotListeners) {
      try {
        listener(snapshot);
      } catch (err) {
        this.log.error({ err }, 'git source: a snapshot listener failed');
      }
    }
  }

  private told(): void {
    const state = this.state();
    const problem = this.problem();
    for (const listener of this.changeListeners) {
      try {
        listener(state, problem);
      } catch (err) {
        this.log.error({ err }, 'git source: a change listener failed');
      }
    }
  }

  private loadOptions() {
    return { limits: this.limits, ...(this.opts.schemas ? { schemas: this.opts.schemas } : {}), signal: this.schedule.signal };
  }
}
