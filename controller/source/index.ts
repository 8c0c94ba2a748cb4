/**
 * Where the desired state comes from: a watched directory, or a git repository that homeostat fetches itself
 * (`--git URL --ref --path --interval`), applying a commit only when all of it validates and keeping the last good
 * one in force otherwise. The daemon opens a feed (feed.ts); `diff`/`apply` check a commit out once (oneshot.ts);
 * the HTTP API and the status page use the SourceControl (types.ts).
 */
export type { SourceControl, SourceState } from './types.js';
export { manifestsDirOf, openManifestFeed, type FeedOptions, type ManifestFeed } from './feed.js';
export { DEFAULT_GIT_INTERVAL_MS, DEFAULT_GIT_PATH, DEFAULT_GIT_REF, GitSource, gitManifestsDir, type GitSourceOptions, type GitSourceSpec } from './git-source.js';
export { checkoutOnce, CommitInvalid, type GitCheckout } from './oneshot.js';
export { FetchError } from './git-mirror.js';
export { GitUrlError, parseGitUrl, type GitRemote } from './git-url.js';
export { checkedAuthPath, GitAuthError } from './git-env.js';
export { RepoPathError } from './materialise.js';
export { SOURCE_CONDITION, sourceReadyCondition, type SourceProblem } from './problem.js';
export { gitSpecFromFlags, GitFlagError, GIT_INTERVAL_BOUNDS, type GitFlags } from './flags.js';
