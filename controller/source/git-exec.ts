/**
 * One git call: argv (never a shell string), a deadline, bounded output, and an abort signal. git runs in its own
 * process group, so that at the deadline (or on abort) the group it started (ssh, upload-pack, index-pack) is
 * killed with it, by that group's id. Errors carry what git said on stderr (its end, without the credentials the
 * caller names): never a URL git was not given.
 */
import { spawn } from 'node:child_process';

export type GitErrorCode = 'Failed' | 'Timeout' | 'Aborted' | 'TooMuchOutput' | 'Missing';

export class GitCommandError extends Error {
  override readonly name = 'GitCommandError';
  constructor(
    readonly code: GitErrorCode,
    /** git's own words (the last lines of stderr), or ours. */
    readonly detail: string,
    readonly exitCode: number | null = null,
  ) {
    super(detail);
  }
}

export interface GitCall {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Written to stdin, then stdin is closed. */
  input?: string;
  /** stdout beyond this fails the call. */
  maxOutputBytes: number;
}

/** How much of stderr an error keeps. */
const STDERR_TAIL = 4_000;

/** Runs `git args…`; resolves with stdout. */
export function runGit(args: readonly string[], call: GitCall): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    if (call.signal?.aborted) return reject(new GitCommandError('Aborted', 'git was not started: the source is closing'));
    const child = spawn('git', args, {
      cwd: call.cwd,
      env: call.env,
      stdio: [call.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: GitCommandError | undefined;
    const stop = (error: GitCommandError) => {
      failure ??= error;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL'); // the group this call started
        } catch {
          // already gone
        }
      }
    };
    const timer = setTimeout(() => stop(new GitCommandError('Timeout', `git ${args.find((a) => !a.startsWith('-')) ?? ''} did not finish within ${call.timeoutMs} ms`)), call.timeoutMs);
    const onAbort = () => stop(new GitCommandError('Aborted', 'git was stopped: the source is closing'));
    call.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > call.maxOutputBytes) return stop(new GitCommandError('TooMuchOutput', `git wrote more than ${call.maxOutputBytes} bytes`));
      chunks.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    if (call.input !== undefined) {
      child.stdin!.on('error', () => undefined); // git exited before reading all of it: its exit code says why
      child.stdin!.end(call.input);
    }
    let settled = false;
    const settle = (error: GitCommandError | undefined, code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      if (error) return reject(error);
      if (code !== 0) return reject(new GitCommandError('Failed', lastLines(stderr) || `git exited with ${code}`, code));
      resolvePromise(Buffer.concat(chunks));
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      failure ??= err.code === 'ENOENT' ? new GitCommandError('Missing', 'git is not installed (not found on PATH)') : new GitCommandError('Failed', err.message);
      if (child.pid === undefined) settle(failure, null); // never started: no 'close' to wait for
    });
    child.once('close', (code) => settle(failure, code));
  });
}

/**
 * The last few non-empty lines of git's stderr, joined: `fatal: …` says what failed, and the lines before it why
 * (ssh's `Host key verification failed.` comes before git's `fatal: Could not read from remote repository.`).
 */
function lastLines(stderr: string, max = 6): string {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-max)
    .join('; ');
}
