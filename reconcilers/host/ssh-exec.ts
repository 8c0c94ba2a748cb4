/**
 * Running a program over SSH: the argv is shell-quoted word by word (the remote login shell parses the
 * command line), stdin is fed and closed, and a timeout or an AbortSignal rejects with `ETIMEDOUT` /
 * `EABORTED` and kills the remote process.
 *
 * Killing: sshd refuses SSH "signal" requests for root logins (no privilege separation then), and closing a
 * channel without a pty does not stop the process. So the command line first prints the shell's pid and
 * then `exec`s the program (which keeps that pid and leads the session's process group); on timeout a
 * second exec runs `kill -s KILL -- -PID`. A lost connection is `ECONNECTION`.
 */
import { HostError, type ExecOptions, type ExecResult } from './host.js';
import { shellCommand } from './quote.js';
import type { SshConnection } from './ssh-connection.js';

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, ALRM: 14, TERM: 15 };

const PID_MARKER = 'homeostat-pid:';

/**
 * `printf 'homeostat-pid:%s\n' "$$"; exec ARGV...`: the marker line carries the program's pid. Anything a
 * chatty rc file prints before it is dropped with it.
 */
export function pidReportingCommand(argv: readonly string[]): string {
  return `printf '${PID_MARKER}%s\\n' "$$"; exec ${shellCommand(argv)}`;
}

/** Splits the pid marker line off the start of stdout; `pid` stays undefined until the whole line is there. */
export function takePidLine(stdout: Buffer): { pid?: number; rest: Buffer } {
  const at = stdout.indexOf(PID_MARKER);
  if (at < 0) return { rest: stdout };
  const newline = stdout.indexOf(0x0a, at);
  if (newline < 0) return { rest: stdout };
  return { pid: Number(stdout.subarray(at + PID_MARKER.length, newline).toString('latin1')), rest: stdout.subarray(newline + 1) };
}

/** Best effort: kills a remote process (or its whole process group) in a separate exec; never rejects. */
export function killRemote(connection: SshConnection, pid: number, group: boolean): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 1 || !connection.connected) return Promise.resolve();
  const target = group ? `-${pid}` : String(pid);
  return new Promise<void>((resolve) => {
    connection
      .openExec(shellCommand(['kill', '-s', 'KILL', '--', target]), (channel, release) => {
        channel.on('close', () => {
          release();
          resolve();
        });
        channel.on('error', () => undefined);
        channel.resume();
        channel.stderr.resume();
        channel.end();
      })
      .catch(() => resolve());
  });
}

export async function execSsh(
  connection: SshConnection,
  hostName: string,
  argv: string[],
  opts: ExecOptions & { timeoutMs: number },
): Promise<ExecResult> {
  const program = argv[0];
  if (program === undefined || program === '') throw new HostError('EIO', 'exec: empty argv', hostName);
  const command = pidReportingCommand(argv);
  const { signal, timeoutMs } = opts;
  if (signal?.aborted) throw new HostError('EABORTED', `exec ${program}: aborted`, hostName);

  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    let stop: (() => void) | undefined;
    const finish = (outcome: { result: ExecResult } | { error: HostError }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if ('error' in outcome) {
        stop?.();
        reject(outcome.error);
      } else {
        resolve(outcome.result);
      }
    };
    const onAbort = (): void => finish({ error: new HostError('EABORTED', `exec ${program}: aborted`, hostName) });
    const timer = setTimeout(
      () => finish({ error: new HostError('ETIMEDOUT', `exec ${program}: timed out after ${timeoutMs} ms`, hostName) }),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });

    connection
      .openExec(command, (channel, release) => {
        let stdout: Buffer = Buffer.alloc(0);
        let pid: number | undefined;
        const stderr: Buffer[] = [];
        let exitCode: number | undefined;
        stop = () => {
          if (pid !== undefined) void killRemote(connection, pid, true);
          channel.close();
        };
        if (settled) {
          // Timed out while waiting for the channel: nothing has run long enough to need killing.
          channel.close();
          release();
          return;
        }
        channel.on('data', (chunk: Buffer) => {
          stdout = Buffer.concat([stdout, chunk]);
          if (pid === undefined) {
            const split = takePidLine(stdout);
            if (split.pid !== undefined) {
              pid = split.pid;
              stdout = split.rest;
            }
          }
        });
        channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        channel.on('exit', (code: number | null, signalName?: string) => {
          exitCode = typeof code === 'number' ? code : signalName ? 128 + (SIGNALS[signalName] ?? 0) : 255;
        });
        channel.on('close', () => {
          release();
          if (exitCode === undefined) {
            finish({ error: new HostError('ECONNECTION', `exec ${program}: the connection closed before the program exited`, hostName) });
          } else {
            finish({ result: { code: exitCode, stdout: stdout.toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') } });
          }
        });
        channel.on('error', () => undefined);
        if (opts.input !== undefined) channel.end(opts.input);
        else channel.end();
      })
      .catch((err: unknown) =>
        finish({ error: err instanceof HostError ? err : new HostError('ECONNECTION', `exec ${program}: ${String(err)}`, hostName, undefined, { cause: err }) }),
      );
  });
}
