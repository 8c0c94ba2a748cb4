/**
 * A sandboxed Proxmox host for crash tests of the built CLI, and the means to kill its daemon at the worst
 * moment: right after it replaced a container config and before it could do anything else.
 *
 * - `createCrashLab()`: a temp folder with manifests, a state directory and a sandbox root standing in for `/`
 *   (`/etc/pve/lxc/100.conf`, mapped by the `pct` stand-in to a container that does not exist: `pct status`
 *   says stopped). Its Host manifest is `local`, platform proxmox, confined to that root.
 * - `startDaemon()`: `homeostat run` as a real process in its own process group, with a `flock` on PATH that,
 *   for homeostat's locked config write only, runs the real flock and then keeps the exec open: the file has
 *   its new bytes but the daemon cannot go on, as if the machine died right then. No production code knows.
 * - `killWhenConfigHas(line)`: watches the config (inotify on its folder: writes are a rename) and SIGKILLs the
 *   daemon's process group the moment the line is in the file.
 * - `homeostat(...args)`: the CLI once (`apply`, `get`), without the slow flock.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pctEnv } from '../support/lxc.js';

export const BIN = fileURLToPath(new URL('../../dist/controller/cli/main.js', import.meta.url));
export const CONF = '/etc/pve/lxc/100.conf';
/** How long the flock wrapper holds the daemon after the write (the kill comes within milliseconds). */
const HOLD_SECONDS = 20;

export interface CrashLab {
  root: string;
  manifests: string;
  state: string;
  real(hostPath: string): string;
  readConf(): string;
  writeManifest(file: string, text: string): void;
  removeManifest(file: string): void;
  /** Starts `homeostat run` on the manifests (with the holding flock on its PATH). */
  startDaemon(): Daemon;
  /** Runs the CLI once with this lab's state directory, e.g. `homeostat('apply', '--manifests', lab.manifests)`. */
  homeostat(...args: string[]): { code: number | null; stdout: string; stderr: string };
  cleanup(): void;
}

export interface Daemon {
  child: ChildProcess;
  /** Resolves with the exit signal once the daemon is gone. */
  exited: Promise<NodeJS.Signals | null>;
  output(): string;
  /** SIGKILLs the daemon's process group (the daemon and the held flock); resolves once it is gone. */
  kill(): Promise<NodeJS.Signals | null>;
}

export function createCrashLab(original: string): CrashLab {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-crash-'));
  const root = join(dir, 'root');
  const manifests = join(dir, 'manifests');
  const state = join(dir, 'state');
  const bin = join(dir, 'bin');
  for (const d of [root, manifests, bin]) mkdirSync(d, { recursive: true });
  const real = (hostPath: string) => join(root, hostPath);

  mkdirSync(dirname(real(CONF)), { recursive: true });
  writeFileSync(real(CONF), original);
  chmodSync(real(CONF), 0o640);
  writeFileSync(real('/etc/pve/.standin.json'), JSON.stringify({ 100: `hs-test-absent-${process.pid}` }));
  writeHoldingFlock(bin);

  const baseEnv: NodeJS.ProcessEnv = { ...pctEnv(root), HOMEOSTAT_STATE_DIR: state };
  const daemons: Daemon[] = [];
  const lab: CrashLab = {
    root,
    manifests,
    state,
    real,
    readConf: () => readFileSync(real(CONF), 'utf8'),
    writeManifest: (file, text) => writeFileSync(join(manifests, file), text),
    removeManifest: (file) => rmSync(join(manifests, file), { force: true }),
    startDaemon() {
      const child = spawn(process.execPath, [BIN, 'run', '--manifests', manifests, '--state', state, '--listen', '127.0.0.1:0'], {
        env: { ...baseEnv, PATH: `${bin}:${baseEnv.PATH ?? ''}` },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group: the kill takes the held flock with it
      });
      let log = '';
      child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      const daemon: Daemon = {
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
      daemons.push(daemon);
      return daemon;
    },
    homeostat(...args) {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: baseEnv, timeout: 60_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    cleanup() {
      for (const daemon of daemons) void daemon.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}

/** `flock` that holds homeostat's config write open after the real flock is done (see the file comment). */
function writeHoldingFlock(bin: string): void {
  const realFlock = spawnSync('sh', ['-c', 'command -v flock'], { encoding: 'utf8' }).stdout.trim();
  if (!realFlock) throw new Error('flock (util-linux) is not installed');
  const script = [
    '#!/bin/sh',
    `${JSON.stringify(realFlock)} "$@"`,
    'code=$?',
    'for arg in "$@"; do',
    `  if [ "$arg" = homeostat-write-config ] && [ "$code" -eq 0 ]; then sleep ${HOLD_SECONDS}; fi`,
    'done',
    'exit "$code"',
    '',
  ].join('\n');
  writeFileSync(join(bin, 'flock'), script, { mode: 0o755 });
}

/**
 * Resolves once `line` is in the config, after SIGKILLing the daemon; rejects after `timeoutMs` (the daemon's
 * output in the message). The config is checked at once too, in case it was written before the watch began.
 */
export function killWhenConfigHas(lab: CrashLab, daemon: Daemon, line: string, timeoutMs = 20_000): Promise<string> {
  const path = lab.real(CONF);
  return new Promise((resolve, reject) => {
    let done = false;
    const watcher = watch(dirname(path));
    const check = async () => {
      if (done || !existsSync(path)) return;
      const text = readFileSync(path, 'utf8');
      if (!text.split('\n').includes(line)) return;
      done = true;
      await daemon.kill();
      finish();
      resolve(text);
    };
    const timer = setTimeout(() => {
      done = true;
      finish();
      reject(new Error(`"${line}" never appeared in ${CONF}; daemon output:\n${daemon.output()}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      watcher.close();
    };
    watcher.on('change', () => void check());
    void daemon.exited.then(() => {
      if (done) return;
      done = true;
      finish();
      reject(new Error(`the daemon exited before writing "${line}":\n${daemon.output()}`));
    });
    void check();
  });
}
