import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatManifestError, loadManifestDir } from '../../controller/manifests/index.js';
import { keepalive, removeTempDirs, tempDir, writeFiles } from './helpers.js';

afterEach(removeTempDirs);

describe('loadManifestDir', () => {
  it('reads *.yaml and *.yml recursively, sorted, skipping dot-folders, dot-files, node_modules and other files', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'b.yaml': keepalive('b', '/mnt/b'),
      'a/nested.yml': keepalive('nested', '/mnt/nested'),
      'a/deeper/c.yaml': keepalive('c', '/mnt/c'),
      '.git/config.yaml': keepalive('git', '/mnt/git'),
      '.hidden/h.yaml': keepalive('hidden', '/mnt/h'),
      'node_modules/pkg/m.yaml': keepalive('module', '/mnt/m'),
      '.b.yaml.swp': 'junk',
      '.#b.yaml': 'junk',
      'README.md': '# not a manifest',
      'notes.txt': 'apiVersion: nope',
    });
    await symlink(join(dir, 'b.yaml'), join(dir, 'link.yaml'));
    const { resources, errors, files } = await loadManifestDir(dir);
    expect(files).toEqual(['a/deeper/c.yaml', 'a/nested.yml', 'b.yaml', 'link.yaml']);
    expect(resources.map((r) => `${r.metadata.name}@${r.source.file}`)).toEqual(['c@a/deeper/c.yaml', 'nested@a/nested.yml']);
    // link.yaml is the same document as b.yaml: a duplicate identity.
    expect(errors.map(formatManifestError)).toEqual([
      'b.yaml:1:1 StorageKeepalive/b: duplicate: also defined at link.yaml:1:1; neither applies',
      'link.yaml:1:1 StorageKeepalive/b: duplicate: also defined at b.yaml:1:1; neither applies',
    ]);
  });

  it('a duplicate across files: an error on each naming both files with positions, and neither is loaded', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'disks.yaml': `${keepalive('ok', '/mnt/ok')}\n---\n${keepalive('hdd', '/mnt/one')}`,
      'more/disks.yaml': `# moved here\n${keepalive('hdd', '/mnt/two')}`,
    });
    const { resources, errors } = await loadManifestDir(dir);
    expect(resources.map((r) => r.metadata.name)).toEqual(['ok']);
    expect(errors.map(formatManifestError)).toEqual([
      'disks.yaml:9:1 StorageKeepalive/hdd: duplicate: also defined at more/disks.yaml:2:1; neither applies',
      'more/disks.yaml:2:1 StorageKeepalive/hdd: duplicate: also defined at disks.yaml:9:1; neither applies',
    ]);
  });

  it('reports every error kind with its file and position, sorted, and keeps the valid documents', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'a.yaml': 'apiVersion: homeostat.dev/v1alpha1\nkind: Pod\nmetadata: { name: web }\n',
      'b.yaml': keepalive('b', '/mnt/b', '  interval: soon'),
      'c.yaml': 'key: [unclosed\n',
      'd.yaml': keepalive('d', '/mnt/d'),
    });
    const { resources, errors } = await loadManifestDir(dir);
    expect(resources.map((r) => r.metadata.name)).toEqual(['d']);
    expect(errors.map((e) => `${e.file}:${e.line}:${e.col}`)).toEqual(['a.yaml:2:7', 'b.yaml:7:13', 'c.yaml:2:1']);
    expect(errors.map((e) => e.code)).toEqual(['UnknownKind', 'SchemaViolation', 'YamlSyntax']);
  });

  it('an empty directory is valid and empty', async () => {
    expect(await loadManifestDir(await tempDir())).toEqual({ resources: [], errors: [], files: [] });
  });
});
