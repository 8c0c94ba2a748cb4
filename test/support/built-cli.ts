/**
 * The built CLI (`npm run build`) as a real process, for tests and the benchmarks that share their labs: its path,
 * one run with a deadline, and `homeostat run` as a daemon in its own process group, so that a SIGKILL to the group
 * takes whatever the daemon runs (pct, flock) with it, like a machine that dies. Argv only, never a shell string.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/controller/cli/main.js, whether this file runs from test/ (vitest) or from dist/test/ (a benchmark). */
export const BUILT_CLI = fileURLToPath(
  new URL(import.meta.url.includes('/dist/test/') ? '../../controller/cli/main.js' : '../../dist/controller/cli/main.js', import.meta.url),
);

/** How much of a daemon's output is kept (the end of it), for error messages. */
const OUTPUT_TAIL = 16_000;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the run, for figures (never asserted on). */
  ms: number;
}

/** Runs the CLI once (`apply`, `diff`, `get`, ...) and waits for it; killed after `timeoutMs`. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): CliRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BUILT_CLI, ...args], { encoding: 'utf8', env, timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

export interface DaemonProcess {
  child: ChildProcess;
  /** Resolves with the exit signal once the daemon is gone. */
  exited: Promise<NodeJS.Signals | null>;
  /** The end of its stdout and stderr, interleaved as they came. */
  output(): string;
  /** SIGKILL to the daemon's process group; resolves once the daemon is gone. */
  kill(): Promise<NodeJS.Signals | null>;
}

/** Starts `homeostat run ARGS` in its own process group. */
export function spawnDaemon(args: readonly string[], env: NodeJS.ProcessEnv): DaemonProcess {
  const child = spawn(process.execPath, [BUILT_CLI, 'run', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: the kill takes what it runs with it
  });
  let log = '';
  const collect = (d: Buffer) => (log = (log + d.toString()).slice(-OUTPUT_TAIL));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return {
    child,
    exited,
    output: () => log,
    kill() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      return exited;
    },
  };
}
