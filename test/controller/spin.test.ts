/**
 * Nothing in a container can make homeostat spin: a process replacing a declared UnifiedNamespace folder by a
 * symlink (to a file outside the tree) and back, in a loop, while the real daemon watches the tree. Every run
 * either fails, stalls or heals, and its own chmod fires the watch again; drift must wait for the key's backoff
 * when its last run did not converge, so the number of runs over a few seconds stays under what the backoff
 * allows (a bound, not a timing). And `homeostat apply` on the same tree returns by its deadline, its exit code
 * agreeing with the resource's Ready; with a deadline nothing can meet, exit 1 naming the resource.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { SettledRun } from '../../controller/runtime/controller.js';
import type { Daemon } from '../../controller/runtime/daemon.js';
import { BUILT_CLI, runCli } from '../support/built-cli.js';
import { canMount, integration } from '../support/integration.js';
import { createLab, hostManifest, startLabDaemon, viewOf, type TestLab } from '../support/lab.js';
import { dataTreeManifest } from '../support/manifests.js';
import { sleep, waitUntil } from '../support/wait.js';

const mounts = integration('mount', canMount(), 'tmpfs mounts need root on Linux');
const built = integration('built CLI', existsSync(BUILT_CLI), 'run `npm run build` first (npm test does)');
const KEY = 'UnifiedNamespace/data';

/** Swaps `dir` for a symlink to `target` and back, forever (argv only: no shell). */
const FLIPPER = `
const fs = require('node:fs');
const [dir, target] = process.argv.slice(1);
const pause = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  try { fs.renameSync(dir, dir + '.away'); fs.symlinkSync(target, dir); } catch {}
  Atomics.wait(pause, 0, 0, 1);
  try { fs.unlinkSync(dir); fs.renameSync(dir + '.away', dir); } catch {}
  Atomics.wait(pause, 0, 0, 1);
}`;

let lab: TestLab;
let daemon: Daemon | undefined;
let flipper: ChildProcess | undefined;

beforeEach(() => {
  lab = createLab();
  lab.writeManifest('hosts/local.yaml', hostManifest('local', lab.root));
  lab.writeManifest('data.yaml', dataTreeManifest());
  lab.mountDisk('/data');
  writeFileSync(join(lab.dir, 'outside'), 'not homeostat\'s', { mode: 0o600 });
});
afterEach(async () => {
  if (flipper?.pid !== undefined && flipper.exitCode === null) {
    const exited = new Promise((resolve) => flipper!.once('exit', resolve));
    flipper.kill('SIGKILL');
    await exited;
  }
  flipper = undefined;
  await daemon?.stop();
  daemon = undefined;
  lab.cleanup();
});

function startFlipping(hostPath: string): void {
  flipper = spawn(process.execPath, ['-e', FLIPPER, lab.real(hostPath), join(lab.dir, 'outside')], { stdio: 'ignore' });
}

const homeostat = (...args: string[]) => runCli(args, { ...process.env, HOMEOSTAT_STATE_DIR: lab.state }, 30_000);

/** How long the test watches the flipping folder once the resource first failed to converge. */
const WINDOW_MS = 4000;

mounts.describe('a folder flipping between a directory and a symlink', () => {
  mounts.it('the daemon backs the resource off instead of reconciling it again at once, forever', async () => {
    daemon = await startLabDaemon(lab);
    await waitUntil('Ready', () => viewOf(daemon!, KEY)?.ready === 'True', 10_000);
    const runs: Array<SettledRun & { at: number }> = [];
    daemon.controller.onSettled((run) => void (run.key === KEY && runs.push({ ...run, at: Date.now() })));
    startFlipping('/data/media/movies');
    const first = await waitUntil('a run that does not converge', () => runs.find((r) => r.result !== 'converged'), 10_000);
    await sleep(WINDOW_MS);
    const inWindow = runs.filter((r) => r.at >= first.at && r.at <= first.at + WINDOW_MS);
    // From the first failure or stall on, no run comes sooner than half the backoff ceiling after the one before
    // (the ceiling never drops below the base while the folder keeps flipping): that is the most there can be.
    const atMost = 1 + Math.floor(WINDOW_MS / (daemon.controller.queue.backoffCeiling(1) / 2));
    expect(inWindow.length).toBeGreaterThan(0);
    expect(inWindow.length, inWindow.map((r) => `${r.result}@${r.at - first.at}`).join(' ')).toBeLessThanOrEqual(atMost);
  }, 30_000);

  built.it('`apply --timeout` returns by its deadline, exit 1, naming the resource; `diff --timeout` exits 2', () => {
    mkdirSync(lab.real('/data/media/movies'), { recursive: true });
    startFlipping('/data/media/movies');
    // `apply` converges once and does not watch for drift: a run that saw the folder as a folder converges
    // (exit 0, Ready), one that saw the symlink fails and is retried with backoff until the deadline (exit 1, the
    // resource named not Ready). Either way it returns by its deadline, and its exit code says what `get` says.
    const apply = homeostat('apply', '--manifests', lab.manifests, '--timeout', '3s');
    expect(apply.ms).toBeLessThan(3000 + 5000);
    const line = apply.stdout.match(/^UnifiedNamespace\s+data\s+local\s+(True|False|Unknown)/m);
    expect(line, apply.stdout + apply.stderr).not.toBeNull();
    expect(apply.code).toBe(line![1] === 'True' ? 0 : 1);

    // A deadline nothing can meet: everything still to do is reported, per resource, and aborted.
    const late = homeostat('apply', '--manifests', lab.manifests, '--timeout', '1ms');
    expect(late.code).toBe(1);
    expect(late.stdout).toContain('not settled within 1ms (--timeout); aborted:');
    expect(late.stdout).toMatch(/^  UnifiedNamespace\/data: (still running|never ran)$/m);
    const diff = homeostat('diff', '--manifests', lab.manifests, '--timeout', '1ms');
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('! UnifiedNamespace/data (local): did not finish within 1 ms (--timeout)');
    expect(homeostat('apply', '--manifests', lab.manifests, '--timeout', 'soon').stderr).toContain('--timeout: "soon" is not a duration');
  }, 60_000);
});
