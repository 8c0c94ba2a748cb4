/**
 * What a git source is asked for (`--git URL --ref --path --interval` and the auth files) and its defaults, on
 * their own: the flags (flags.ts) and a one-shot command check them without loading the source itself (its
 * fetches, metrics and the manifest watcher).
 */
import type { GitAuthFiles } from './git-env.js';

export interface GitSourceSpec extends GitAuthFiles {
  /** `--git`: a path, file://, ssh://, user@host:repo, https:// (credentials in it are never shown). */
  url: string;
  /** `--ref`: a branch or tag. Default `main`. */
  ref?: string;
  /** `--path`: the folder of manifests inside the repository. Default `manifests`. */
  path?: string;
  /** `--interval`. Default 1 minute. */
  intervalMs?: number;
  /** The deadline of one fetch. Default 2 minutes. */
  fetchTimeoutMs?: number;
  /** Fetches start at least this far apart, however often `refresh()` is called. Default 1 s. */
  minFetchGapMs?: number;
}

export const DEFAULT_GIT_REF = 'main';
export const DEFAULT_GIT_PATH = 'manifests';
export const DEFAULT_GIT_INTERVAL_MS = 60_000;
