/**
 * The limits as a user meets them, in real processes: `homeostat validate` (the built CLI) and a ManifestSource
 * watching a directory (chokidar) are given a real 60 MB manifest. The error names the file, the process's peak
 * memory (getrusage maxrss) stays far below what reading it would take (2.4 GB before the limit), and the documents
 * in force stay. Also `interval: 1ms` as `validate` reports it. Memory is a bound, not a timing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { integration } from '../support/integration.js';
import { keepalive, removeTempDirs, tempDir, writeFiles } from './helpers.js';
import { BUILT_CLI as BIN } from '../support/built-cli.js';

const PEAK_RSS = fileURLToPath(new URL('./peak-rss.mjs', import.meta.url));
const SOURCE_CHILD = fileURLToPath(new URL('./source-child.mjs', import.meta.url));
const built = integration('built CLI', existsSync(BIN), 'run `npm run build` first (npm test does)');

/** Well under what reading a 60 MB manifest takes, well over what node with homeostat loaded needs (~80 MB). */
const RSS_BOUND_MIB = 200;
const HUGE_MIB = 60;

afterEach(removeTempDirs);

/** Writes a real 60 MB manifest (keepalive documents, one after another) a MiB at a time. */
function writeHugeManifest(path: string): void {
  let chunk = '';
  for (let i = 0; chunk.length < 1024 * 1024; i++) chunk += `${keepalive(`disk-${i}`, `/mnt/d${i}`)}---\n`;
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < HUGE_MIB; i++) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

function peakRssMib(stderr: string): number {
  const match = /peak-rss-kib (\d+)/.exec(stderr);
  if (!match) throw new Error(`no peak RSS in: ${stderr}`);
  return Number(match[1]) / 1024;
}

built.describe('limits on input, in real processes', () => {
  built.it('homeostat validate: a 60 MB manifest is an error naming it; memory stays bounded; the others are checked', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'ok.yaml': keepalive('ok', '/mnt/ok'), 'bad.yaml': keepalive('bad', '/mnt/bad', '  interval: 1ms\n') });
    writeHugeManifest(join(dir, 'huge.yaml'));
    const r = spawnSync(process.execPath, ['--import', PEAK_RSS, BIN, 'validate', '--manifests', dir], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      'bad.yaml:7:13 StorageKeepalive/bad: spec.interval: must be at least 1s (got "1ms")',
      expect.stringMatching(/^huge\.yaml:1:1: file is 60(\.\d)? MiB, over the 1 MiB limit for one manifest file; not read/),
    ]);
    expect(peakRssMib(r.stderr)).toBeLessThan(RSS_BOUND_MIB);
  }, 60_000);

  built.it('a ManifestSource (chokidar) given a 60 MB manifest: an error naming it, bounded memory, last good documents in force', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'ok.yaml': keepalive('ok', '/mnt/ok'), 'disks.yaml': keepalive('disk', '/mnt/disk') });
    const child = spawn(process.execPath, ['--import', PEAK_RSS, SOURCE_CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      expect((await lines.next()).value).toBe('ready');
      // The file that was good grows to 60 MB in place (as a paste or a runaway generator would do it).
      writeHugeManifest(join(dir, 'disks.yaml'));
      const result = JSON.parse((await lines.next()).value as string) as { resources: string[]; errors: string[] };
      // Seen while it is being written or after: more than the limit either way, and never read.
      expect(result.errors).toEqual([
        expect.stringMatching(/^disks\.yaml:1:1: file is [\d.]+ MiB, over the 1 MiB limit .*its last good documents stay in force\)$/),
      ]);
      expect(result.resources).toEqual(['StorageKeepalive/disk', 'StorageKeepalive/ok']);
      expect(await exited).toBe(0);
      expect(peakRssMib(stderr)).toBeLessThan(RSS_BOUND_MIB);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
