/**
 * The built CLI (`npm run build`) as a real process, for tests and the benchmarks that share their labs: its path,
 * one run with a deadline, and `homeostat run` as a daemon in its own process group, so that a SIGKILL to the group
 * takes whatever the daemon runs (pct, flock) with it, like a machine that dies. Argv only, never a shell string.
 *
 * The CLI is the bundle controller/cli/bundle.mjs makes (dist/bin/homeostat.js, the package's `bin`). It is
 * rebuilt here, before anything spawns it, when one of its sources is newer than it (`npx tsc` alone does not
 * rebuild it), so a test never runs yesterday's code.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout, whether this file runs from test/ (vitest) or from dist/test/ (a benchmark). */
const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/test/') ? '../../../' : '../../', import.meta.url));

/** dist/bin/homeostat.js. */
export const BUILT_CLI = join(ROOT, 'dist', 'bin', 'homeostat.js');

/** The unbundled CLI tsc compiles (dist/controller/cli/main.js): the same commands, module by module. */
export const UNBUNDLED_CLI = join(ROOT, 'dist', 'controller', 'cli', 'main.js');

/** True when the bundle is missing or older than one of its inputs (esbuild's metafile lists them) or package.json. */
export function bundleIsStale(): boolean {
  const meta = join(ROOT, 'dist', 'bin', 'meta.json');
  if (!existsSync(BUILT_CLI) || !existsSync(meta)) return true;
  const built = statSync(BUILT_CLI).mtimeMs;
  const inputs = Object.keys((JSON.parse(readFileSync(meta, 'utf8')) as { inputs: Record<string, unknown> }).inputs);
  return ['package.json', ...inputs].some((file) => {
    try {
      return statSync(join(ROOT, file)).mtimeMs > built;
    } catch {
      return true; // an input is gone: the sources changed
    }
  });
}

if (bundleIsStale() && existsSync(join(ROOT, 'node_modules', 'esbuild'))) {
  const r = spawnSync(process.execPath, [join(ROOT, 'controller', 'cli', 'bundle.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bundling the CLI failed:\n${r.stderr}`);
}

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

/**
 * Starts `homeostat run ARGS` in its own process group. `under` runs it under another program (its argv up to
 * the command, e.g. strace's `syscallDelay`); that program is the group's leader and goes with the kill.
 */
export function spawnDaemon(args: readonly string[], env: NodeJS.ProcessEnv, under: readonly string[] = []): DaemonProcess {
  const argv = [...under, process.execPath, BUILT_CLI, 'run', ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
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
