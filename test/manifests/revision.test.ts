import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRevision } from '../../controller/manifests/index.js';
import { git, gitRepo, keepalive, removeTempDirs, tempDir, writeFiles } from './helpers.js';

afterEach(removeTempDirs);

describe('readRevision', () => {
  it('outside a git work tree: no commit, not dirty', async () => {
    expect(await readRevision(await tempDir())).toEqual({ commit: null, dirty: false });
  });

  it('HEAD of the work tree, dirty only for changes under the manifests directory', async () => {
    const repo = await tempDir();
    await gitRepo(repo);
    await writeFiles(repo, { 'manifests/a.yaml': keepalive('a', '/mnt/a'), 'README.md': 'lab\n' });
    const manifests = join(repo, 'manifests');
    expect(await readRevision(manifests)).toEqual({ commit: null, dirty: true }); // before the first commit

    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'first');
    const head = await git(repo, 'rev-parse', 'HEAD');
    expect(await readRevision(manifests)).toEqual({ commit: head, dirty: false });

    await writeFile(join(repo, 'README.md'), 'changed outside the manifests\n');
    expect(await readRevision(manifests)).toEqual({ commit: head, dirty: false });

    await writeFile(join(manifests, 'a.yaml'), keepalive('a', '/mnt/changed'));
    expect(await readRevision(manifests)).toEqual({ commit: head, dirty: true });

    await git(repo, 'checkout', '-q', '--', 'manifests');
    await writeFile(join(manifests, 'new.yaml'), keepalive('n', '/mnt/n'));
    expect(await readRevision(manifests)).toEqual({ commit: head, dirty: true }); // untracked counts
  });
});
