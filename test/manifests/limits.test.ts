/**
 * Limits on input (limits.ts): a file, all files together, the number of files and documents, YAML values and
 * nesting. Each over-limit case is an error naming the file with a position; the rest of the directory still loads
 * (a file's limit) or nothing is loaded (the directory's limit); ManifestSource keeps what was in force.
 */
import { execFileSync } from 'node:child_process';
import { rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MANIFEST_LIMITS,
  formatManifestError,
  loadManifestDir,
  ManifestSource,
  parseManifestFile,
  type ManifestSnapshot,
} from '../../controller/manifests/index.js';
import { manifestLimits } from '../../controller/manifests/limits.js';
import { readManifestText, ReadBudget } from '../../controller/manifests/read-bounded.js';
import { keepalive, pathsOf, removeTempDirs, SnapshotRecorder, tempDir, writeFiles } from './helpers.js';

const MiB = 1024 * 1024;
const sources: ManifestSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
  await removeTempDirs();
});

/** YAML of exactly `bytes` bytes that is only a comment (valid, no documents) — size without parsing cost. */
const commentOfSize = (bytes: number) => `#${'x'.repeat(bytes - 2)}\n`;

describe('a manifest file over the byte limit', () => {
  it('is one TooLarge error naming it at 1:1, not read; the other files load', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'big.yaml': commentOfSize(DEFAULT_MANIFEST_LIMITS.maxFileBytes + 1),
      'exact.yaml': commentOfSize(DEFAULT_MANIFEST_LIMITS.maxFileBytes),
      'ok.yaml': keepalive('ok', '/mnt/ok'),
    });
    const { resources, errors } = await loadManifestDir(dir);
    expect(resources.map((r) => r.metadata.name)).toEqual(['ok']);
    expect(errors.map(formatManifestError)).toEqual([
      'big.yaml:1:1: file is 1048577 bytes, over the 1 MiB limit for one manifest file; not read (split it into several files; its last good documents stay in force)',
    ]);
    expect(errors[0]!.code).toBe('TooLarge');
  });

  it('a file whose size lies (stat says 0, reading never ends soon) is read no further than the limit', async () => {
    // /proc/kallsyms is a "regular empty file" of several megabytes: what a file growing after the stat looks like.
    const dir = await tempDir();
    await symlink('/proc/kallsyms', join(dir, 'grows.yaml'));
    const { errors } = await loadManifestDir(dir);
    expect(errors.map((e) => [e.code, formatManifestError(e)])).toEqual([
      ['TooLarge', expect.stringMatching(/^grows\.yaml:1:1: file is more than 1 MiB, over the 1 MiB limit/)],
    ]);
  });

  it('a FIFO or a device swapped in after the listing is refused without blocking', async () => {
    const dir = await tempDir();
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    const limits = manifestLimits();
    for (const path of [join(dir, 'pipe.yaml'), '/dev/zero']) {
      const read = await readManifestText(path, 'x.yaml', limits, new ReadBudget(limits.maxTotalBytes));
      expect(read).toEqual({ error: expect.objectContaining({ code: 'Unreadable', file: 'x.yaml', line: 1, col: 1, message: expect.stringContaining('not a regular file') }) });
    }
  });
});

describe('the directory over its limits', () => {
  it('too many bytes together: one error at the file that crosses the total, nothing loaded', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'a.yaml': keepalive('a', '/mnt/a') + commentOfSize(600),
      'b.yaml': keepalive('b', '/mnt/b') + commentOfSize(600),
      'c.yaml': keepalive('c', '/mnt/c') + commentOfSize(600),
    });
    const { resources, errors } = await loadManifestDir(dir, undefined, manifestLimits({ maxTotalBytes: 1_500 }));
    expect(resources).toEqual([]);
    expect(errors.map(formatManifestError)).toEqual([
      expect.stringMatching(/^c\.yaml:1:1: the manifest files add up to 2(\.\d)? KiB, over the 1\.5 KiB limit for the directory \(reached at this file\); nothing was reloaded/),
    ]);
    expect(errors[0]!.code).toBe('TooLarge');
  });

  it('too many files, too many documents in a file or overall', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'a.yaml': `${keepalive('a1', '/mnt/a')}---\n${keepalive('a2', '/mnt/a')}`,
      'b.yaml': keepalive('b', '/mnt/b'),
      'c.yaml': `${keepalive('c1', '/mnt/c')}---\n${keepalive('c2', '/mnt/c')}---\n${keepalive('c3', '/mnt/c')}`,
    });
    const files = await loadManifestDir(dir, undefined, manifestLimits({ maxFiles: 2 }));
    expect(files.errors.map((e) => `${e.code} ${formatManifestError(e)}`)).toEqual([
      'TooMany c.yaml:1:1: 3 manifest files, over the limit of 2 (this is the first one past it); nothing was reloaded: the last good manifests stay in force',
    ]);
    expect(files.resources).toEqual([]);

    const perFile = await loadManifestDir(dir, undefined, manifestLimits({ maxDocumentsPerFile: 2 }));
    expect(perFile.resources.map((r) => r.metadata.name)).toEqual(['a1', 'a2', 'b']);
    expect(perFile.errors.map((e) => `${e.code} ${formatManifestError(e)}`)).toEqual([
      expect.stringMatching(/^TooMany c\.yaml:14:1: more than 2 YAML documents in one file; not loaded/),
    ]);

    const overall = await loadManifestDir(dir, undefined, manifestLimits({ maxDocuments: 5 }));
    expect(overall.resources).toEqual([]);
    expect(overall.errors.map(formatManifestError)).toEqual([
      expect.stringMatching(/^c\.yaml:1:1: 6 YAML documents in the manifest files, over the limit of 5/),
    ]);
  });
});

describe('YAML values and nesting', () => {
  it('a flow list of more values than the limit is refused before the document is built, at the value past it', () => {
    const text = `apiVersion: homeostat.dev/v1alpha1\nkind: StorageKeepalive\nmetadata: {name: a}\nspec:\n  path: [${'a,'.repeat(60_000)}]\n`;
    const { resources, errors } = parseManifestFile('flow.yaml', text);
    expect(resources).toEqual([]);
    expect(errors.map((e) => `${e.code} ${formatManifestError(e)}`)).toEqual([
      expect.stringMatching(/^TooComplex flow\.yaml:5:\d+: more than 50000 YAML values in one file; not loaded/),
    ]);
  });

  it('many empty documents count against the documents limit', () => {
    const { errors } = parseManifestFile('seps.yaml', '---\n'.repeat(DEFAULT_MANIFEST_LIMITS.maxDocumentsPerFile + 5));
    expect(errors.map((e) => e.code)).toEqual(['TooMany']);
    expect(errors[0]!.line).toBe(DEFAULT_MANIFEST_LIMITS.maxDocumentsPerFile + 1);
  });

  it('nesting deeper than the limit, in flow or block style, is an error at the level past it', () => {
    const flow = parseManifestFile('flow.yaml', `a: ${'['.repeat(100)}${']'.repeat(100)}\n`);
    expect(flow.errors.map(formatManifestError)).toEqual([
      'flow.yaml:1:68: lists and mappings nested more than 64 levels deep; not loaded (its last good documents stay in force)',
    ]);
    const block = parseManifestFile('block.yaml', `a:\n${Array.from({ length: 80 }, (_, i) => `${' '.repeat(2 * i + 2)}k${i}:`).join('\n')} x\n`);
    expect(block.errors.map((e) => `${e.code} ${e.file}:${e.line}`)).toEqual(['TooComplex block.yaml:65']);
  });

  it('a key written twice is found in one pass over a big mapping, at the second one', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: v`);
    const { errors } = parseManifestFile('keys.yaml', `${keys.join('\n')}\nk7: again\n`);
    expect(errors.map(formatManifestError)).toEqual(['keys.yaml:20001:1: YAML syntax error: Map keys must be unique']);
  });
});

describe('ManifestSource and the limits', () => {
  async function started(dir: string, limits = {}) {
    const source = new ManifestSource(dir, { limits, rescanMs: 0 });
    sources.push(source);
    const recorder = new SnapshotRecorder(source);
    const first = await source.start();
    return { source, first, recorder };
  }
  const errorsOf = (s: ManifestSnapshot) => s.errors.map((e) => `${e.code} ${formatManifestError(e)}`);

  it('a file that grows over the limit keeps its last good documents; back under it, it loads again', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'disk.yaml': keepalive('disk', '/mnt/disk'), 'other.yaml': keepalive('other', '/mnt/other') });
    const { recorder } = await started(dir, { maxFileBytes: 4096 });

    await writeFile(join(dir, 'disk.yaml'), keepalive('disk', '/mnt/moved') + commentOfSize(5000));
    const big = await recorder.waitFor((s) => s.errors.length > 0);
    expect(errorsOf(big.snapshot)).toEqual([expect.stringMatching(/^TooLarge disk\.yaml:1:1: file is 5(\.\d)? KiB, over the 4 KiB limit/)]);
    expect(pathsOf(big.snapshot)).toEqual({ 'StorageKeepalive/disk': '/mnt/disk', 'StorageKeepalive/other': '/mnt/other' });

    await writeFile(join(dir, 'disk.yaml'), keepalive('disk', '/mnt/moved'));
    const back = await recorder.waitFor((s) => s.errors.length === 0);
    expect(pathsOf(back.snapshot)['StorageKeepalive/disk']).toBe('/mnt/moved');
  });

  it('a reload over the directory total is refused whole: every resource in force stays, one error says why', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a'), 'b.yaml': keepalive('b', '/mnt/b') });
    const { first, recorder } = await started(dir, { maxTotalBytes: 2048 });
    expect(pathsOf(first)).toEqual({ 'StorageKeepalive/a': '/mnt/a', 'StorageKeepalive/b': '/mnt/b' });

    // In one burst: a changed, b deleted, c added, and a big file that takes the total over the limit.
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a2'), 'c.yaml': keepalive('c', '/mnt/c'), 'd.yaml': commentOfSize(1950) });
    await rm(join(dir, 'b.yaml'));
    const refused = await recorder.waitFor((s) => s.errors.some((e) => e.code === 'TooLarge'));
    await recorder.quiet(150);
    const last = recorder.seen.at(-1)!.snapshot;
        // Which file crosses the limit depends on the moment of the read (the editor may still be writing d.yaml).
    expect(errorsOf(last)).toEqual([expect.stringMatching(/^TooLarge [a-d]\.yaml:1:1: the manifest files .*the 2 KiB limit for the directory.*nothing was reloaded/)]);
    expect(last.resources).toBe(first.resources);
    expect(refused.snapshot.resources).toBe(first.resources);

    await rm(join(dir, 'd.yaml'));
    const reloaded = await recorder.waitFor((s) => s.errors.length === 0);
    expect(pathsOf(reloaded.snapshot)).toEqual({ 'StorageKeepalive/a': '/mnt/a2', 'StorageKeepalive/c': '/mnt/c' });
  });

  it('a file that alone takes the total over the limit: removing it clears the error', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a') });
    const { first, recorder } = await started(dir, { maxTotalBytes: 2048 });
    await writeFiles(dir, { 'pad.yaml': commentOfSize(2000) });
    const refused = await recorder.waitFor((s) => s.errors.length > 0);
    expect(refused.snapshot.resources).toBe(first.resources);
    await rm(join(dir, 'pad.yaml'));
    const cleared = await recorder.waitFor((s) => s.errors.length === 0);
    expect(pathsOf(cleared.snapshot)).toEqual({ 'StorageKeepalive/a': '/mnt/a' });
  });
});
