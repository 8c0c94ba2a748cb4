/**
 * The daemon's prescan of Host manifests (controller/manifests/host-prescan.ts): it finds the Hosts the full load
 * finds, with the same generation (so the pool keeps the connections it started), parsing only their documents,
 * and an unreadable or broken file costs nothing but its own hint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadManifestDir } from '../../controller/manifests/index.js';
import { hostDocuments, prescanHosts } from '../../controller/manifests/host-prescan.js';
import { hostManifest } from '../support/lab.js';
import { keepalive, removeTempDirs, tempDir, writeFiles } from './helpers.js';

afterEach(removeTempDirs);

describe('prescanHosts', () => {
  it('finds every Host the full load finds, with the same generation, in multi-document files and alone', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'lab.yaml': [keepalive('before', '/mnt/a'), hostManifest('pve', '/srv/pve'), keepalive('after', '/mnt/b')].join('---\n'),
      'quoted.yaml': hostManifest('quoted', '/srv/q').replace('kind: Host', 'kind: "Host"  # the machine'),
      'apps/keepalive.yaml': keepalive('other', '/mnt/c'),
      'broken.yaml': 'kind: Host\nmetadata: [\n',
    });
    const full = await loadManifestDir(dir);
    const fullHosts = full.resources.filter((r) => r.kind === 'Host').map((r) => [r.metadata.name, r.generation]);
    expect(fullHosts.length).toBe(2);
    const found = (await prescanHosts(dir)).map((r) => [r.metadata.name, r.generation]);
    expect(found.sort()).toEqual(fullHosts.sort());
  });

  it('a missing directory is no Hosts, not an error', async () => {
    expect(await prescanHosts('/nonexistent/homeostat-prescan')).toEqual([]);
  });
});

describe('hostDocuments', () => {
  it('cuts out the documents that have a kind: Host line, and only those', () => {
    const host = hostManifest('pve', '/srv/pve');
    const text = `${keepalive('a', '/mnt/a')}---\n${host}--- # next\n${keepalive('b', '/mnt/b')}...\n`;
    expect(hostDocuments(text)).toEqual([host]);
    expect(hostDocuments(host)).toEqual([host]);
    expect(hostDocuments(keepalive('a', '/mnt/a'))).toEqual([]);
  });
});
