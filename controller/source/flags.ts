/**
 * The `--git URL --ref --path --interval --git-key --git-known-hosts` flags of `run`, `diff` and `apply`, checked
 * once into a GitSourceSpec (or undefined without `--git`): a bad flag is an error naming it, before anything
 * runs; a URL's credentials are never in the error.
 */
import { durationOutOfBounds, parseDuration } from '../../reconcilers/core/duration.js';
import { checkedAuthPath, GitAuthError } from './git-env.js';
import { DEFAULT_GIT_INTERVAL_MS, DEFAULT_GIT_PATH, DEFAULT_GIT_REF, type GitSourceSpec } from './spec.js';
import { GitUrlError, parseGitUrl } from './git-url.js';
import { normalizeRepoPath, RepoPathError } from './materialise.js';

export interface GitFlags {
  git?: string;
  ref?: string;
  path?: string;
  interval?: string;
  gitKey?: string;
  gitKnownHosts?: string;
}

export class GitFlagError extends Error {
  override readonly name = 'GitFlagError';
}

/** `--interval` bounds: often enough to feel live, never a fetch loop. */
export const GIT_INTERVAL_BOUNDS = { minimum: '5s', maximum: '24h' };

/** A ref git would take as a refspec source: no spaces, `:`, `^`, `~`, `..`, and not an option. */
const REF = /^(?!-)(?!.*\.\.)[^\s:^~?*[\\\u0000-\u001f\u007f]+$/;

/** The spec the flags ask for; throws GitFlagError (whatever flag is wrong). */
export function gitSpecFromFlags(flags: GitFlags, cwd = process.cwd()): GitSourceSpec | undefined {
  try {
    return checkFlags(flags, cwd);
  } catch (err) {
    if (err instanceof GitUrlError || err instanceof GitAuthError || err instanceof RepoPathError) throw new GitFlagError(err.message);
    throw err;
  }
}

function checkFlags(flags: GitFlags, cwd: string): GitSourceSpec | undefined {
  const others = (['ref', 'path', 'interval', 'gitKey', 'gitKnownHosts'] as const).filter((k) => flags[k] !== undefined);
  if (flags.git === undefined) {
    if (others.length > 0) throw new GitFlagError(`--${others[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --git`);
    return undefined;
  }
  const remote = parseGitUrl(flags.git, cwd); // throws GitUrlError, without the URL's credentials
  const ref = flags.ref ?? DEFAULT_GIT_REF;
  if (!REF.test(ref)) throw new GitFlagError(`--ref: "${ref}" is not a branch or tag name`);
  const path = normalizeRepoPath(flags.path ?? DEFAULT_GIT_PATH);
  let intervalMs = DEFAULT_GIT_INTERVAL_MS;
  if (flags.interval !== undefined) {
    const ms = parseDuration(flags.interval);
    const bounds = durationOutOfBounds(flags.interval, GIT_INTERVAL_BOUNDS);
    if (ms === null || bounds) throw new GitFlagError(`--interval: ${bounds ?? `"${flags.interval}" is not a duration (e.g. 30s, 1m, 1h)`}`);
    intervalMs = ms;
  }
  return {
    url: remote.transport === 'local' ? remote.gitUrl : flags.git,
    ref,
    path: path || '.',
    intervalMs,
    ...(flags.gitKey !== undefined ? { keyFile: checkedAuthPath('--git-key', flags.gitKey, cwd) } : {}),
    ...(flags.gitKnownHosts !== undefined ? { knownHostsFile: checkedAuthPath('--git-known-hosts', flags.gitKnownHosts, cwd) } : {}),
  };
}
