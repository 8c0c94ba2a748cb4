/**
 * The git revision of the manifests directory: `HEAD` of the work tree it is in, and whether anything under the
 * directory differs from it (tracked changes or untracked files). Runs git with argv (never a shell) and without
 * optional locks, so that it never makes a concurrent `git checkout` or `git commit` fail on index.lock.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Revision } from '../../reconcilers/core/resource.js';

const execFileAsync = promisify(execFile);
const GIT_TIMEOUT_MS = 10_000;

/**
 * `{ commit: null, dirty: false }` outside a git work tree or without git; `commit: null` before the first commit.
 * One `git status --porcelain=v2 --branch` answers both: its `# branch.oid` header is HEAD, any other line a change.
 */
export async function readRevision(dir: string): Promise<Revision> {
  const status = await git(dir, ['status', '--porcelain=v2', '--branch', '--', '.']);
  if (status === null) return { commit: null, dirty: false };
  const lines = status.split('\n').filter(Boolean);
  const oid = lines.find((line) => line.startsWith('# branch.oid '))?.slice('# branch.oid '.length);
  return {
    commit: oid && oid !== '(initial)' ? oid : null,
    dirty: lines.some((line) => !line.startsWith('#')),
  };
}

/** The absolute path of the git directory of the work tree `dir` is in, or null. */
export async function gitDirOf(dir: string): Promise<string | null> {
  return (await git(dir, ['rev-parse', '--absolute-git-dir'])) || null;
}

/** Trimmed stdout, or null when git is missing or fails. */
async function git(cwd: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await execFileAsync('git', ['--no-optional-locks', ...args], {
      cwd,
      timeout: GIT_TIMEOUT_MS,
      env: { ...gitEnvironment(), GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
    });
    return stdout.trim();
  } catch {
    return null;
  }
}

/** The environment without variables that would point git at another repository than the one `cwd` is in. */
function gitEnvironment(): NodeJS.ProcessEnv {
  const { GIT_DIR: _dir, GIT_WORK_TREE: _workTree, GIT_INDEX_FILE: _index, ...env } = process.env;
  return env;
}
