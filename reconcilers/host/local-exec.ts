/**
 * Running a program on this machine: `spawn` with an argv (never a shell), a timeout, an AbortSignal,
 * optional stdin. A program that cannot be found resolves with exit code 127, like a shell would report it.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { HostError, type ExecOptions, type ExecResult } from './host.js';

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

export function execLocal(hostName: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const program = argv[0];
  if (program === undefined || program === '') {
    return Promise.reject(new HostError('EIO', 'exec: empty argv', hostName));
  }
  if (opts.signal?.aborted) return Promise.reject(new HostError('EABORTED', `exec ${program}: aborted`, hostName));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;

  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(program, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let settled = false;

    const finish = (outcome: { result: ExecResult } | { error: HostError }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.result);
    };
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const onAbort = (): void => {
      kill();
      finish({ error: new HostError('EABORTED', `exec ${program}: aborted`, hostName) });
    };
    const timer = setTimeout(() => {
      kill();
      finish({ error: new HostError('ETIMEDOUT', `exec ${program}: timed out after ${timeoutMs} ms`, hostName) });
    }, timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => {
      /* the program exited without reading its input: its exit code tells the story */
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        const code = err.code === 'ENOENT' ? 127 : 126;
        const why = err.code === 'ENOENT' ? 'command not found' : 'permission denied';
        finish({ result: { code, stdout: '', stderr: `${program}: ${why}\n` } });
      } else {
        finish({ error: new HostError('EIO', `exec ${program}: ${err.message}`, hostName, undefined, { cause: err }) });
      }
    });
    child.on('close', (code, signal) => {
      const exitCode = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
      finish({
        result: {
          code: exitCode,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        },
      });
    });

    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
