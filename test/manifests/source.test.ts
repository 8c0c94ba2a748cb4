/** ManifestSource against real files and real chokidar: every change ends in one consistent snapshot. */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatManifestError,
  ManifestSource,
  openParseCache,
  type ManifestSnapshot,
  type ManifestSourceOptions,
} from '../../controller/manifests/index.js';
import { git, gitRepo, keepalive, pathsOf, removeTempDirs, SnapshotRecorder, tempDir, writeFiles } from './helpers.js';

const sources: ManifestSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
  await removeTempDirs();
});

async function started(
  dir: string,
  options: ManifestSourceOptions = {},
): Promise<{ source: ManifestSource; first: ManifestSnapshot; recorder: SnapshotRecorder }> {
  const source = new ManifestSource(dir, options);
  sources.push(source);
  const recorder = new SnapshotRecorder(source);
  const first = await source.start();
  return { source, first, recorder };
}

const has = (key: string, path?: string) => (s: ManifestSnapshot) =>
  path === undefined ? s.resources.has(key) : pathsOf(s)[key] === path;

describe('ManifestSource', () => {
  it('start() reads the directory and resolves with the first snapshot', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a'), 'sub/b.yml': keepalive('b', '/mnt/b') });
    const { source, first } = await started(dir);
    expect(pathsOf(first)).toEqual({ 'StorageKeepalive/a': '/mnt/a', 'StorageKeepalive/b': '/mnt/b' });
    expect(first.files).toEqual(['a.yaml', 'sub/b.yml']);
    expect(first.errors).toEqual([]);
    expect(first.revision).toEqual({ commit: null, dirty: false });
    expect(source.current()).toBe(first);
  });

  it("a restart's first snapshot takes unchanged files from the build's parse cache and saves what it read; later edits are parsed", async () => {
    const dir = await tempDir();
    const state = await tempDir('homeostat-manifests-state-');
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a'), 'b.yaml': keepalive('b', '/mnt/b') });
    const first = await started(dir, { parseCache: openParseCache(state, 'build-1'), rescanMs: 0 });
    expect(pathsOf(first.first)).toEqual({ 'StorageKeepalive/a': '/mnt/a', 'StorageKeepalive/b': '/mnt/b' });
    await first.source.close();

    // What the cache holds is what the next start uses: make its entry for a.yaml say another path.
    const file = join(state, 'manifest-parse-cache.json');
    const cached = JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, { resources: Array<{ spec: { path: string } }> }> };
    expect(Object.keys(cached.entries)).toHaveLength(2);
    for (const entry of Object.values(cached.entries)) for (const r of entry.resources) if (r.spec.path === '/mnt/a') r.spec.path = '/mnt/from-cache';
    await writeFile(file, JSON.stringify(cached));
    await writeFiles(dir, { 'b.yaml': keepalive('b', '/mnt/b2') }); // changed since: parsed again

    const second = await started(dir, { parseCache: openParseCache(state, 'build-1'), rescanMs: 0 });
    expect(pathsOf(second.first)).toEqual({ 'StorageKeepalive/a': '/mnt/from-cache', 'StorageKeepalive/b': '/mnt/b2' });
    // Another build's start uses none of it.
    const other = await started(dir, { parseCache: openParseCache(state, 'build-2'), rescanMs: 0 });
    expect(pathsOf(other.first)).toEqual({ 'StorageKeepalive/a': '/mnt/a', 'StorageKeepalive/b': '/mnt/b2' });
    // After the first snapshot the cache is out of the way: an edit is parsed as written.
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a3') });
    await second.recorder.waitFor(has('StorageKeepalive/a', '/mnt/a3'));
  });

  it('rescan() looks at the directory at once and resolves after publishing what it found', async () => {
    const dir = await tempDir();
    const { source } = await started(dir, { debounceMs: 5000, maxWaitMs: 10_000, rescanMs: 0 }); // the watch alone would wait seconds
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a') });
    await source.rescan();
    expect(pathsOf(source.current()!)).toEqual({ 'StorageKeepalive/a': '/mnt/a' });
  });

  it('add, change, delete, and a new folder of manifests', async () => {
    const dir = await tempDir();
    const { recorder } = await started(dir);

    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a') });
    const added = await recorder.waitFor(has('StorageKeepalive/a', '/mnt/a'));
    const generation = added.snapshot.resources.get('StorageKeepalive/a')!.generation;

    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a2') });
    const changed = await recorder.waitFor(has('StorageKeepalive/a', '/mnt/a2'));
    expect(changed.snapshot.resources.get('StorageKeepalive/a')!.generation).not.toBe(generation);

    await writeFiles(dir, { 'new/folder/c.yaml': keepalive('c', '/mnt/c') });
    await recorder.waitFor(has('StorageKeepalive/c'));

    await rm(join(dir, 'a.yaml'));
    const deleted = await recorder.waitFor((s) => !s.resources.has('StorageKeepalive/a'));
    expect([...deleted.snapshot.resources.keys()]).toEqual(['StorageKeepalive/c']);
    expect(deleted.snapshot.files).toEqual(['new/folder/c.yaml']);
  });

  it('a rename is one snapshot in which the resource never disappears', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a') });
    const { recorder } = await started(dir);
    await rename(join(dir, 'a.yaml'), join(dir, 'b.yaml'));
    const moved = await recorder.waitFor((s) => s.resources.get('StorageKeepalive/a')?.source.file === 'b.yaml');
    await recorder.quiet(150);
    expect(recorder.seen.every((r) => r.snapshot.resources.has('StorageKeepalive/a'))).toBe(true);
    expect(recorder.seen.at(-1)).toBe(moved);
    expect(moved.snapshot.files).toEqual(['b.yaml']);
  });

  // Timing assertions: retried, so that a machine busy with something else does not fail them; a regression fails all.
  it("an editor's save-by-rename (write a temp file, rename it over) takes effect within 100 ms", { retry: 2 }, async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a') });
    const { recorder } = await started(dir);
    for (const [i, tmp] of ['.a.yaml.swp', 'a.yaml~', 'a.yaml.tmp.1234'].entries()) {
      await writeFile(join(dir, tmp), keepalive('a', `/mnt/saved${i}`));
      await rename(join(dir, tmp), join(dir, 'a.yaml'));
      const written = Date.now();
      const saved = await recorder.waitFor(has('StorageKeepalive/a', `/mnt/saved${i}`));
      expect(saved.at - written).toBeLessThan(100);
      expect(saved.snapshot.files).toEqual(['a.yaml']);
    }
  });

  it('a second write right after the first (inside chokidar’s 50 ms change throttle) is not lost', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/v0') });
    const { recorder } = await started(dir);
    await writeFile(join(dir, 'a.yaml'), keepalive('a', '/mnt/v1'));
    await recorder.waitFor(has('StorageKeepalive/a', '/mnt/v1'));
    await writeFile(join(dir, 'a.yaml'), keepalive('a', '/mnt/v2'));
    await recorder.waitFor(has('StorageKeepalive/a', '/mnt/v2'), 1000);
  });

  it('a broken file keeps its last good documents and reports its errors; fixing it takes effect', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a'), 'b.yaml': keepalive('b', '/mnt/b') });
    const { first, recorder } = await started(dir);
    const good = first.resources.get('StorageKeepalive/a')!;

    await writeFiles(dir, { 'a.yaml': `${keepalive('a', '/mnt/a2')}\n  bogus: true\n` });
    const broken = await recorder.waitFor((s) => s.errors.length > 0);
    expect(broken.snapshot.errors.map(formatManifestError)).toEqual([
      expect.stringMatching(/^a\.yaml:8:3 StorageKeepalive\/a: spec\.bogus: unknown field/),
    ]);
    expect(broken.snapshot.resources.get('StorageKeepalive/a')).toBe(good);
    expect(broken.snapshot.resources.has('StorageKeepalive/b')).toBe(true);

    await writeFiles(dir, { 'a.yaml': 'this: [is not yaml' });
    const unparsable = await recorder.waitFor((s) => s.errors.some((e) => e.message.startsWith('YAML syntax error')));
    expect(unparsable.snapshot.resources.get('StorageKeepalive/a')).toBe(good);

    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/fixed') });
    const fixed = await recorder.waitFor(has('StorageKeepalive/a', '/mnt/fixed'));
    expect(fixed.snapshot.errors).toEqual([]);
  });

  it('a new file that is broken from the start adds nothing but its errors', async () => {
    const dir = await tempDir();
    const { recorder } = await started(dir);
    await writeFiles(dir, { 'a.yaml': keepalive('a', 'relative') });
    const seen = await recorder.waitFor((s) => s.errors.length > 0);
    expect(seen.snapshot.resources.size).toBe(0);
    expect(seen.snapshot.files).toEqual(['a.yaml']);
  });

  it('a duplicate: the resource in force keeps its file, the newcomer is an error naming both', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'z-old.yaml': keepalive('hdd', '/mnt/old') });
    const { recorder } = await started(dir);

    await writeFiles(dir, { 'a-new.yaml': keepalive('hdd', '/mnt/new') });
    const dup = await recorder.waitFor((s) => s.errors.length > 0);
    expect(pathsOf(dup.snapshot)).toEqual({ 'StorageKeepalive/hdd': '/mnt/old' });
    expect(dup.snapshot.errors.map(formatManifestError)).toEqual([
      'a-new.yaml:1:1 StorageKeepalive/hdd: duplicate: already defined at z-old.yaml:1:1, which stays in force; this one is ignored',
    ]);

    // The one in force still follows its own file.
    await writeFiles(dir, { 'z-old.yaml': keepalive('hdd', '/mnt/old2') });
    await recorder.waitFor(has('StorageKeepalive/hdd', '/mnt/old2'));

    await rm(join(dir, 'z-old.yaml'));
    const takenOver = await recorder.waitFor(has('StorageKeepalive/hdd', '/mnt/new'));
    expect(takenOver.snapshot.errors).toEqual([]);
  });

  it('a duplicate where neither was in force: neither applies', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': keepalive('hdd', '/mnt/a'), 'b.yaml': keepalive('hdd', '/mnt/b') });
    const { first } = await started(dir);
    expect(first.resources.size).toBe(0);
    expect(first.errors.map(formatManifestError)).toEqual([
      'a.yaml:1:1 StorageKeepalive/hdd: duplicate: also defined at b.yaml:1:1; neither applies',
      'b.yaml:1:1 StorageKeepalive/hdd: duplicate: also defined at a.yaml:1:1; neither applies',
    ]);
  });

  it('publishes nothing when nothing changed (touch, same bytes, other files)', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a') });
    const { recorder } = await started(dir);
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a'), 'notes.txt': 'hello', '.hidden/x.yaml': 'junk: [' });
    await recorder.quiet(200);
    expect(recorder.seen).toEqual([]);
  });

  it('a periodic rescan catches changes whose events never came', async () => {
    const dir = await tempDir();
    const { source, recorder } = await started(dir, { rescanMs: 100 });
    await (source as unknown as { watcher: { close(): Promise<void> } }).watcher.close(); // a watch that went deaf
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a') });
    await recorder.waitFor(has('StorageKeepalive/a'), 1000);
  });

  it('start() rejects when the directory does not exist', async () => {
    const source = new ManifestSource(join(await tempDir(), 'missing'));
    await expect(source.start()).rejects.toThrow(/ENOENT/);
  });

  it('publishes nothing after close()', async () => {
    const dir = await tempDir();
    const { source, recorder } = await started(dir);
    await source.close();
    await writeFiles(dir, { 'a.yaml': keepalive('a', '/mnt/a') });
    await recorder.quiet(150);
    expect(recorder.seen).toEqual([]);
  });
});

describe('ManifestSource in a git work tree', () => {
  const COUNT = 20;
  const commitFiles = (tag: string) =>
    Object.fromEntries(
      Array.from({ length: COUNT }, (_, i) => [`disks/disk-${String(i).padStart(2, '0')}.yaml`, keepalive(`disk-${i}`, `/mnt/${tag}/${i}`)]),
    );
  const isCommit = (tag: string) => (s: ManifestSnapshot) =>
    s.resources.size === COUNT && Object.values(pathsOf(s)).every((p) => p.startsWith(`/mnt/${tag}/`));

  it('a git checkout rewriting 20 files ends in exactly commit B, in one snapshot, within 100 ms of the last write', { retry: 2 }, async () => {
    const repo = await tempDir();
    await gitRepo(repo);
    const manifests = join(repo, 'manifests');
    await writeFiles(manifests, commitFiles('a'));
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'A');
    const commitA = await git(repo, 'rev-parse', 'HEAD');
    await git(repo, 'checkout', '-q', '-b', 'b');
    await writeFiles(manifests, commitFiles('b'));
    await git(repo, 'commit', '-q', '-am', 'B');
    const commitB = await git(repo, 'rev-parse', 'HEAD');
    await git(repo, 'checkout', '-q', 'main');

    const { first, recorder } = await started(manifests);
    expect(isCommit('a')(first)).toBe(true);
    expect(first.revision).toEqual({ commit: commitA, dirty: false });

    await git(repo, 'checkout', '-q', 'b');
    const lastWrite = Math.max(
      ...(await Promise.all(Object.keys(commitFiles('b')).map(async (f) => (await stat(join(manifests, f))).mtimeMs))),
    );
    const b = await recorder.waitFor(isCommit('b'));
    expect(b.at - lastWrite).toBeLessThan(100);
    await recorder.quiet(200);

    // No snapshot mixed the two commits; the last one is exactly commit B, at commit B, clean.
    for (const { snapshot } of recorder.seen) expect(isCommit('a')(snapshot) || isCommit('b')(snapshot)).toBe(true);
    const last = recorder.seen.at(-1)!.snapshot;
    expect(isCommit('b')(last)).toBe(true);
    expect(last.errors).toEqual([]);
    expect(last.revision).toEqual({ commit: commitB, dirty: false });

    // And back.
    await git(repo, 'checkout', '-q', 'main');
    await recorder.waitFor((s) => isCommit('a')(s) && s.revision.commit === commitA);
  });

  it('records the revision with its dirty flag, and notices a commit that changes no file', async () => {
    const repo = await tempDir();
    await gitRepo(repo);
    await writeFiles(repo, { 'a.yaml': keepalive('a', '/mnt/a') });
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'first');
    const first = await git(repo, 'rev-parse', 'HEAD');
    const { first: initial, recorder } = await started(repo);
    expect(initial.revision).toEqual({ commit: first, dirty: false });

    await writeFiles(repo, { 'a.yaml': keepalive('a', '/mnt/edited') });
    const edited = await recorder.waitFor(has('StorageKeepalive/a', '/mnt/edited'));
    expect(edited.snapshot.revision).toEqual({ commit: first, dirty: true });

    await git(repo, 'commit', '-q', '-am', 'second');
    const second = await git(repo, 'rev-parse', 'HEAD');
    const committed = await recorder.waitFor((s) => s.revision.commit === second);
    expect(committed.snapshot.revision).toEqual({ commit: second, dirty: false });
    expect(pathsOf(committed.snapshot)).toEqual({ 'StorageKeepalive/a': '/mnt/edited' });
  });
});
