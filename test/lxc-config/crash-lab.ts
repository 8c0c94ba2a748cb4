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
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli, spawnDaemon, type CliRun, type DaemonProcess } from '../support/built-cli.js';
import { pctEnv } from '../support/lxc.js';
import { CT_CONF, seedStoppedCt } from '../support/pve-fixtures.js';

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
  /**
   * Starts `homeostat run` on the manifests (with the holding flock on its PATH); `under` runs it under another
   * program (spawnDaemon).
   */
  startDaemon(under?: readonly string[]): DaemonProcess;
  /** Runs the CLI once with this lab's state directory, e.g. `homeostat('apply', '--manifests', lab.manifests)`. */
  homeostat(...args: string[]): CliRun;
  cleanup(): void;
}

/** A lab whose CT 100 config is `original` (test/support/pve-fixtures.ts). */
export function createCrashLab(original: string): CrashLab {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-crash-'));
  const root = join(dir, 'root');
  const manifests = join(dir, 'manifests');
  const state = join(dir, 'state');
  const bin = join(dir, 'bin');
  for (const d of [root, manifests, bin]) mkdirSync(d, { recursive: true });
  const real = (hostPath: string) => join(root, hostPath);
  seedStoppedCt(root, original);
  writeHoldingFlock(bin);

  const baseEnv: NodeJS.ProcessEnv = { ...pctEnv(root), HOMEOSTAT_STATE_DIR: state };
  const daemons: DaemonProcess[] = [];
  const lab: CrashLab = {
    root,
    manifests,
    state,
    real,
    readConf: () => readFileSync(real(CT_CONF), 'utf8'),
    writeManifest: (file, text) => writeFileSync(join(manifests, file), text),
    removeManifest: (file) => rmSync(join(manifests, file), { force: true }),
    startDaemon(under) {
      // The holding flock first on PATH; killing the daemon's process group takes a held flock with it.
      const args = ['--manifests', manifests, '--state', state, '--listen', '127.0.0.1:0'];
      const daemon = spawnDaemon(args, { ...baseEnv, PATH: `${bin}:${baseEnv.PATH ?? ''}` }, under);
      daemons.push(daemon);
      return daemon;
    },
    homeostat: (...args) => runCli(args, baseEnv, 60_000),
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
export function killWhenConfigHas(lab: CrashLab, daemon: DaemonProcess, line: string, timeoutMs = 20_000): Promise<string> {
  const path = lab.real(CT_CONF);
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
      reject(new Error(`"${line}" never appeared in ${CT_CONF}; daemon output:\n${daemon.output()}`));
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
