/**
 * What the daemon's manifest source says about itself, and the control over it that the HTTP API, the status page
 * and `/metrics` use. A plain directory source has no fetches; a git source (`run --git URL`) fetches on an
 * interval and on `refresh()` (`POST /api/v1/source/refresh`, a git host's webhook).
 */

export interface SourceState {
  type: 'directory' | 'git';
  /** The directory watched, or the repository URL with any credentials removed. */
  location: string;
  /** Git only: the ref followed and the path inside the repository. */
  ref?: string;
  path?: string;
  /** The commit whose manifests are in force (null before the first good one, or a directory outside git). */
  appliedCommit: string | null;
  /** Its subject line (git only). */
  appliedSubject?: string;
  /** Git only: the last fetch, when it ended, and whether it worked; the error says why not (no secrets in it). */
  lastFetchTime?: string | null;
  lastFetchResult?: 'ok' | 'failed' | null;
  lastFetchError?: string;
  /** Git only: the commit the last fetch found (differs from appliedCommit while that one does not validate). */
  fetchedCommit?: string | null;
}

export interface SourceControl {
  state(): SourceState;
  /** Fetches now (git) or rescans (directory); resolves with the state after it. Never throws: failures are in the state. */
  refresh(): Promise<SourceState>;
}
