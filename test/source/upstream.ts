/**
 * A real upstream repository for git source tests: a bare repository on disk (what homeostat fetches, by path,
 * file:// or over ssh/http) and a work clone the test commits in and pushes from, as a user would. Argv only.
 * `cleanup()` removes both.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Upstream {
  /** The bare repository. */
  bare: string;
  /** The clone commits are made in. */
  work: string;
  /** Writes (string) or removes (null) files under the work tree, commits them all and pushes `branch`; returns the sha. */
  commit(files: Record<string, string | null>, message: string, branch?: string): string;
  /** Replaces `branch` with a new root commit holding `files` (history rewritten), force-pushed; returns the sha. */
  forcePush(files: Record<string, string>, message: string, branch?: string): string;
  /** Deletes `branch` upstream. */
  deleteBranch(branch: string): void;
  git(...args: string[]): string;
  cleanup(): void;
}

const IDENTITY = ['-c', 'user.name=homeostat test', '-c', 'user.email=test@homeostat.invalid', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main'];

export function createUpstream(prefix = 'homeostat-upstream-'): Upstream {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const bare = join(dir, 'upstream.git');
  const work = join(dir, 'work');
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const run = (cwd: string, ...args: string[]) => execFileSync('git', [...IDENTITY, ...args], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  run(dir, 'init', '-q', '--bare', bare);
  run(bare, 'config', 'receive.denyDeleteCurrent', 'ignore'); // a test may delete the branch HEAD names
  run(dir, 'init', '-q', work);
  run(work, 'remote', 'add', 'origin', bare);
  const write = (files: Record<string, string | null>) => {
    for (const [file, text] of Object.entries(files)) {
      const path = join(work, file);
      if (text === null) rmSync(path, { force: true });
      else {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
      }
    }
  };
  const commitAll = (message: string) => {
    run(work, 'add', '-A');
    run(work, 'commit', '-q', '--allow-empty', '-m', message);
    return run(work, 'rev-parse', 'HEAD').trim();
  };
  return {
    bare,
    work,
    commit(files, message, branch = 'main') {
      run(work, 'checkout', '-q', '-B', branch);
      write(files);
      const sha = commitAll(message);
      run(work, 'push', '-q', 'origin', `${branch}:${branch}`);
      return sha;
    },
    forcePush(files, message, branch = 'main') {
      run(work, 'checkout', '-q', '--orphan', `rewrite-${Date.now()}`);
      run(work, 'rm', '-rq', '--cached', '--ignore-unmatch', '.');
      rmSync(join(work, 'manifests'), { recursive: true, force: true });
      write(files);
      const sha = commitAll(message);
      run(work, 'push', '-q', '--force', 'origin', `HEAD:${branch}`);
      run(work, 'checkout', '-q', '-B', branch);
      return sha;
    },
    deleteBranch(branch) {
      run(work, 'push', '-q', 'origin', `:${branch}`);
    },
    git: (...args) => run(work, ...args),
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
