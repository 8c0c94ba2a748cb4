/** Shared by the manifest tests: temp directories, manifest text, and a recorder of ManifestSource snapshots. */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ManifestSnapshot, ManifestSource } from '../../controller/manifests/index.js';

const execFileAsync = promisify(execFile);

const created: string[] = [];

export async function tempDir(prefix = 'homeostat-manifests-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every temp dir made since the last call (use in afterEach). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

/** A StorageKeepalive document. */
export function keepalive(name: string, path: string, extra = ''): string {
  return `apiVersion: homeostat.dev/v1alpha1
kind: StorageKeepalive
metadata:
  name: ${name}
spec:
  path: ${path}
${extra}`;
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd });
  return stdout.trim();
}

/** A git repository with a local identity, so commits work on any machine. */
export async function gitRepo(dir: string): Promise<void> {
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'config', 'user.name', 'homeostat tests');
  await git(dir, 'config', 'user.email', 'tests@homeostat.invalid');
  await git(dir, 'config', 'commit.gpgsign', 'false');
}

export interface RecordedSnapshot {
  at: number;
  snapshot: ManifestSnapshot;
}

/** Records every snapshot a source publishes, with the time it arrived. */
export class SnapshotRecorder {
  readonly seen: RecordedSnapshot[] = [];
  private waiters: Array<{ test: (s: ManifestSnapshot) => boolean; resolve: (r: RecordedSnapshot) => void }> = [];

  constructor(source: ManifestSource) {
    source.onSnapshot((snapshot) => {
      const record = { at: Date.now(), snapshot };
      this.seen.push(record);
      this.waiters = this.waiters.filter((w) => (w.test(snapshot) ? (w.resolve(record), false) : true));
    });
  }

  /** The first snapshot from now on (or already seen since `since`) that satisfies `test`. */
  waitFor(test: (s: ManifestSnapshot) => boolean, timeoutMs = 3000, since = this.seen.length): Promise<RecordedSnapshot> {
    const earlier = this.seen.slice(since).find((r) => test(r.snapshot));
    if (earlier) return Promise.resolve(earlier);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching snapshot within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  /** Resolves after `ms` without a new snapshot (to check that nothing else arrives). */
  async quiet(ms: number): Promise<void> {
    for (;;) {
      const count = this.seen.length;
      await new Promise((r) => setTimeout(r, ms));
      if (this.seen.length === count) return;
    }
  }
}

/** `kind/name` → spec.path of every StorageKeepalive in a snapshot. */
export function pathsOf(snapshot: ManifestSnapshot): Record<string, string> {
  return Object.fromEntries(
    [...snapshot.resources].map(([key, r]) => [key, (r.spec as { path: string }).path]),
  );
}
