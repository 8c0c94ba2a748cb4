/**
 * Proof that `fsync` is real, counted in the system calls of the process (strace -f -y), not inferred from an
 * option: LocalHost.writeFileAtomic with fsync on syncs the temp file and then its directory (after the rename),
 * and with fsync off syncs neither; a StorageKeepalive with `method: write-fsync` makes `homeostat apply` (the
 * controller session the daemon runs too) fsync the heartbeat and the disk's folder, and `method: touch` does
 * not. Runs the built CLI (dist/), like the CLI tests.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect } from 'vitest';
import { BUILT_CLI } from '../support/built-cli.js';
import { canMount, integration } from '../support/integration.js';
import { createLab, hostManifest, keepaliveManifest, type TestLab } from '../support/lab.js';
import { straceAvailable, traceSyscalls, type TracedCall } from '../support/strace.js';

const strace = integration('strace', straceAvailable() && canMount(), 'needs strace (apt package strace) and root for tmpfs mounts');
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const SYNCS = ['fsync', 'fdatasync'];

/** Successful fsync/fdatasync calls on `dir` itself and on files in it whose name starts with `prefix`. */
function syncsIn(calls: TracedCall[], dir: string, prefix: string): { files: number; dir: number } {
  const ok = calls.filter((c) => SYNCS.includes(c.name) && c.result.startsWith('0'));
  return {
    files: ok.filter((c) => c.path?.startsWith(`${dir}/${prefix}`)).length,
    dir: ok.filter((c) => c.path === dir).length,
  };
}

let work: string;
let lab: TestLab | undefined;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'homeostat-fsync-'));
});
afterEach(() => {
  lab?.cleanup();
  lab = undefined;
  rmSync(work, { recursive: true, force: true });
});

strace.describe('fsync, counted by strace', () => {
  strace.it('LocalHost.writeFileAtomic syncs the temp file and the directory with fsync on, neither with it off', () => {
    const script = join(work, 'write.mjs');
    writeFileSync(
      script,
      `import { LocalHost } from ${JSON.stringify(join(DIST, 'reconcilers/host/index.js'))};
const [path, fsync] = process.argv.slice(2);
const host = new LocalHost({ name: 'local', root: '/', platform: 'lxc' });
await host.writeFileAtomic(path, 'heartbeat\\n', { fsync: fsync === 'true' });
await host.close();
`,
    );
    for (const fsync of [true, false]) {
      const dir = join(work, `disk-${fsync}`);
      mkdirSync(dir);
      const run = traceSyscalls(SYNCS, [process.execPath, script, join(dir, 'heartbeat'), String(fsync)]);
      expect(run.status, run.stderr).toBe(0);
      expect(readFileSync(join(dir, 'heartbeat'), 'utf8')).toBe('heartbeat\n');
      expect(syncsIn(run.calls, dir, 'heartbeat.tmp.')).toEqual(fsync ? { files: 1, dir: 1 } : { files: 0, dir: 0 });
    }
  }, 60_000);

  strace.it('a write-fsync heartbeat (controller mode) is fsynced with its folder by `homeostat apply`; a touch heartbeat is not', () => {
    for (const method of ['write-fsync', 'touch'] as const) {
      lab?.cleanup();
      lab = createLab();
      lab.mountDisk('/mnt/hdd');
      lab.writeManifest('host.yaml', hostManifest('local', lab.root));
      lab.writeManifest('hdd.yaml', keepaliveManifest('hdd', { path: '/mnt/hdd', interval: '5m', method, mode: 'controller' }));
      const run = traceSyscalls(SYNCS, [process.execPath, BUILT_CLI, 'apply', '--manifests', lab.manifests, '--state', lab.state], { timeoutMs: 90_000 });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      const disk = lab.real('/mnt/hdd');
      expect(readFileSync(join(disk, '.homeostat-keepalive'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(syncsIn(run.calls, disk, '.homeostat-keepalive.tmp.')).toEqual(method === 'write-fsync' ? { files: 1, dir: 1 } : { files: 0, dir: 0 });
    }
  }, 120_000);
});
