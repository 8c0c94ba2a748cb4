/**
 * homeostat's own bare repository of a git source (under the state directory): fetch the followed ref's tip
 * (`--depth=1`, `+refspec`, so a force-push is fetched like any commit and history never piles up), and read what
 * a commit holds — its subject, its tree under a path, the bytes of blobs. Every call goes through runGit with the
 * source's environment (git-env.ts) and a deadline.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { escapeUnsafe } from '../manifests/manifest-error.js';
import { gitConfigArgs, gitEnvironment, type GitAuthFiles } from './git-env.js';
import { GitCommandError, runGit } from './git-exec.js';
import type { GitRemote } from './git-url.js';

/** Where a fetch leaves the tip it found. */
export const FETCHED_REF = 'refs/homeostat/fetched';

export interface GitMirrorOptions {
  /** The deadline of one fetch (network). Default 2 minutes. */
  fetchTimeoutMs?: number;
  /** The deadline of a local git call. Default 30 s. */
  localTimeoutMs?: number;
}

/** Why a fetch failed, as the SourceReady condition says it. */
export class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    readonly reason: 'FetchFailed' | 'RefNotFound',
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  /** Bytes (blobs); -1 for a submodule. */
  size: number;
  /** From the repository's root. */
  path: string;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const MAX_SUBJECT = 200;

export class GitMirror {
  private readonly env: NodeJS.ProcessEnv;
  private readonly config: string[];
  private readonly fetchTimeoutMs: number;
  private readonly localTimeoutMs: number;

  constructor(
    /** The bare repository's folder. */
    readonly dir: string,
    readonly remote: GitRemote,
    auth: GitAuthFiles,
    options: GitMirrorOptions = {},
  ) {
    this.env = gitEnvironment(remote, auth);
    this.config = gitConfigArgs(remote);
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 120_000;
    this.localTimeoutMs = options.localTimeoutMs ?? 30_000;
  }

  /** Creates the bare repository when it is not there yet (no templates: no hooks, no sample files). */
  async ensure(signal?: AbortSignal): Promise<void> {
    if (existsSync(join(this.dir, 'HEAD'))) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await runGit([...this.config, 'init', '--quiet', '--bare', '--template=', '--', this.dir], {
      env: this.env,
      cwd: dirname(this.dir),
      timeoutMs: this.localTimeoutMs,
      ...(signal ? { signal } : {}),
      maxOutputBytes: 64 * 1024,
    });
  }

  /** Fetches `ref`'s tip into FETCHED_REF; resolves with its commit. Throws FetchError. */
  async fetch(ref: string, signal?: AbortSignal): Promise<string> {
    const args = ['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', '--depth=1', '--', this.remote.gitUrl, `+${ref}:${FETCHED_REF}`];
    try {
      await this.git(args, { signal, timeoutMs: this.fetchTimeoutMs });
    } catch (err) {
      const detail = err instanceof GitCommandError ? err.detail : String(err);
      if (/couldn't find remote ref/i.test(detail)) throw new FetchError('RefNotFound', `ref "${ref}" not found in ${this.remote.location}`, err);
      throw new FetchError('FetchFailed', `fetching "${ref}" from ${this.remote.location} failed: ${detail}`, err);
    }
    const commit = await this.resolve(FETCHED_REF, signal);
    if (!commit) throw new FetchError('RefNotFound', `ref "${ref}" of ${this.remote.location} is not a commit`);
    return commit;
  }

  /** The commit `rev` names here, or null. */
  async resolve(rev: string, signal?: AbortSignal): Promise<string | null> {
    try {
      const out = (await this.git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { signal })).toString().trim();
      return SHA.test(out) ? out : null;
    } catch {
      return null;
    }
  }

  /** A commit's subject line, one line, unsafe characters escaped, at most 200 characters; undefined when unknown. */
  async subject(commit: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const out = (await this.git(['log', '-1', '--no-show-signature', '--format=%s', commit, '--'], { signal, maxOutputBytes: 64 * 1024 })).toString('utf8');
      const line = escapeUnsafe(out.replace(/\n$/, ''));
      return line.length > MAX_SUBJECT ? `${line.slice(0, MAX_SUBJECT)}…` : line;
    } catch {
      return undefined;
    }
  }

  /** Every entry under `path` (the whole tree for ''), recursively, with sizes. */
  async tree(commit: string, path: string, maxEntries: number, signal?: AbortSignal): Promise<TreeEntry[]> {
    const args = ['ls-tree', '-r', '-l', '-z', '--full-tree', commit, '--', ...(path ? [path] : [])];
    // An entry is about 100 bytes plus its path: this bounds the listing well above maxEntries of them.
    const out = await this.git(args, { signal, maxOutputBytes: (maxEntries + 1) * 4_200 });
    const entries: TreeEntry[] = [];
    for (const record of out.toString('utf8').split('\0')) {
      if (!record) continue;
      const tab = record.indexOf('\t');
      const [mode, type, oid, size] = record.slice(0, tab).trim().split(/\s+/);
      entries.push({ mode: mode!, type: type!, oid: oid!, size: size === '-' ? -1 : Number(size), path: record.slice(tab + 1) });
    }
    return entries;
  }

  /** The bytes of each blob (`git cat-file --batch`); `totalBytes` bounds the answer. */
  async blobs(oids: readonly string[], totalBytes: number, signal?: AbortSignal): Promise<Map<string, Buffer>> {
    const out = await this.git(['cat-file', '--batch'], { signal, input: oids.map((oid) => `${oid}\n`).join(''), maxOutputBytes: totalBytes + oids.length * 128 });
    const blobs = new Map<string, Buffer>();
    let at = 0;
    while (at < out.length) {
      const newline = out.indexOf(0x0a, at);
      if (newline < 0) break;
      const [oid, type, size] = out.subarray(at, newline).toString('utf8').split(' ');
      if (type !== 'blob') throw new GitCommandError('Failed', `cat-file: ${oid} is ${type ?? 'unknown'}, not a blob`);
      const start = newline + 1;
      const end = start + Number(size);
      blobs.set(oid!, out.subarray(start, end));
      at = end + 1; // the newline after the content
    }
    return blobs;
  }

  private git(args: string[], opts: { signal?: AbortSignal | undefined; timeoutMs?: number; input?: string; maxOutputBytes?: number }): Promise<Buffer> {
    return runGit(['--git-dir', this.dir, ...this.config, ...args], {
      env: this.env,
      cwd: dirname(this.dir),
      timeoutMs: opts.timeoutMs ?? this.localTimeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      maxOutputBytes: opts.maxOutputBytes ?? 1024 * 1024,
    });
  }
}
