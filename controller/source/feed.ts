/**
 * The daemon's one view of where manifests come from: a watched directory (ManifestSource) or a git repository
 * (GitSource), behind the same four calls, plus the SourceControl the HTTP API and the status page use. The
 * daemon picks nothing itself: `manifestsDirOf` says which folder the controller resolves relative paths against
 * (for git the stable `current` checkout), `openManifestFeed` opens the source.
 */
import type { Logger } from 'pino';
import { ManifestSource, openParseCache, type ManifestSnapshot, type ParseCache } from '../manifests/index.js';
import type { StateStore } from '../state/store.js';
import { GitSource, gitManifestsDir, type GitSourceSpec } from './git-source.js';
import { reportSourceCondition } from './report.js';
import type { SourceControl, SourceState } from './types.js';

export interface ManifestFeed {
  /** The manifests folder the controller reads relative paths (a Host's root, key files) against. */
  readonly manifestsDir: string;
  readonly control: SourceControl;
  /** The first snapshot in force, or null when a git source has never had a good commit (nothing may be pruned). */
  start(): Promise<ManifestSnapshot | null>;
  /** Every later snapshot. */
  onSnapshot(listener: (snapshot: ManifestSnapshot) => void): () => void;
  close(): Promise<void>;
}

export interface FeedOptions {
  manifestsDir: string;
  stateDir: string;
  /** `run --git …`: a git source instead of the directory. */
  git?: GitSourceSpec;
  /** The bundled build's identity: the directory's first snapshot reuses what this build parsed (parse-cache.ts). */
  parserId?: string;
}

/** The controller's manifests folder for these options (pure: before the state directory is locked). */
export function manifestsDirOf(opts: FeedOptions): string {
  return opts.git ? gitManifestsDir(opts.stateDir, opts.git) : opts.manifestsDir;
}

export function openManifestFeed(opts: FeedOptions & { log: Logger; store: StateStore }): ManifestFeed {
  if (opts.git) return gitFeed(opts, opts.git);
  return directoryFeed(opts.manifestsDir, opts.parserId ? openParseCache(opts.stateDir, opts.parserId) : undefined);
}

function gitFeed(opts: FeedOptions & { log: Logger; store: StateStore }, spec: GitSourceSpec): ManifestFeed {
  const source = new GitSource({ ...spec, stateDir: opts.stateDir, log: opts.log });
  const unreport = reportSourceCondition(source, opts.store);
  return {
    manifestsDir: source.manifestsDir,
    control: source,
    start: () => source.start(),
    onSnapshot: (listener) => source.onSnapshot(listener),
    async close() {
      await source.close();
      unreport();
    },
  };
}

function directoryFeed(dir: string, parseCache?: ParseCache): ManifestFeed {
  const source = new ManifestSource(dir, { parseCache });
  let latest: ManifestSnapshot | undefined;
  const state = (): SourceState => ({ type: 'directory', location: source.dir, appliedCommit: latest?.revision.commit ?? null });
  source.onSnapshot((snapshot) => (latest = snapshot));
  return {
    manifestsDir: dir,
    // A directory is watched: there is nothing to fetch; a refresh looks at it again (what the rescan does).
    control: {
      state,
      async refresh() {
        await source.rescan();
        return state();
      },
    },
    async start() {
      latest = await source.start();
      return latest;
    },
    onSnapshot: (listener) => source.onSnapshot(listener),
    close: () => source.close(),
  };
}
