/**
 * Runs a command under `strace -f -y` and returns the traced calls, so a test can prove a system call happened
 * (an fsync, for instance) instead of trusting an option. `-y` prints each descriptor's path, `-f` follows the
 * threads (libuv's pool does Node's file work) and children. Output goes to a file, never parsed from stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const STRACE = '/usr/bin/strace';
export const straceAvailable = (): boolean => existsSync(STRACE);

export interface TracedCall {
  name: string;
  /** The path strace printed for the first descriptor argument (`fsync(3</a/b>)` → `/a/b`), or null. */
  path: string | null;
  result: string;
}

export interface TraceResult {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: TracedCall[];
}

const CALL = /^(?:\d+\s+)?(\w+)\((?:\d+<([^>]*)>)?.*\)\s+=\s+(.*)$/;

/** Runs `argv` under strace tracing only `syscalls`; a deadline bounds it. */
export function traceSyscalls(syscalls: readonly string[], argv: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): TraceResult {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-strace-'));
  const out = join(dir, 'trace');
  try {
    const run = spawnSync(STRACE, ['-f', '-y', '-qq', '-o', out, '-e', `trace=${syscalls.join(',')}`, '--', ...argv], {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 60_000,
      env: opts.env ?? process.env,
    });
    if (run.error) throw run.error;
    const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
    const calls = text.split('\n').flatMap((line): TracedCall[] => {
      const m = CALL.exec(line.trim());
      return m ? [{ name: m[1]!, path: m[2] ?? null, result: m[3]! }] : [];
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The argv prefix that runs a command with every call of `syscalls` held `ms` after it returned: the call's
 * effect is there (a folder made) but the process cannot go on yet, so a test can act in that moment without
 * racing it. Only those calls stop in strace (`--seccomp-bpf`); nothing is printed. `-D` keeps the command
 * itself the spawned process (strace traces it from a grandchild in the same process group), so its exit, its
 * pid and the locks it holds are the command's own.
 */
export function syscallDelay(syscalls: readonly string[], ms: number): string[] {
  const list = syscalls.join(',');
  return [STRACE, '-D', '-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', `trace=${list}`, '-e', `inject=${list}:delay_exit=${ms * 1000}`, '--'];
}
