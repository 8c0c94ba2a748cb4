/**
 * The one-shot commands' parse cache: what it returns is exactly what parsing returns (resources with their
 * generations and positions, errors with file, line and field) for the shipped manifests and a file with every
 * sort of mistake; a byte changed, other limits or another build never reuse an entry; the file keeps only the
 * last load's entries, owner-only; and only the bundled CLI has an identity to cache under.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledParserId, loadManifestDir, manifestLimits, openParseCache } from '../../controller/manifests/index.js';
import { BUILT_CLI } from '../support/built-cli.js';
import { BROKEN_MANIFEST } from './broken-manifest.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-parse-cache-'));
  dirs.push(dir);
  return dir;
};

/** The manifests of `source` plus the broken file, in a folder of their own. */
function manifestsWithBroken(): string {
  const dir = temp();
  cpSync('manifests/lab', dir, { recursive: true });
  writeFileSync(join(dir, 'broken.yaml'), BROKEN_MANIFEST);
  return dir;
}

describe('parse cache', () => {
  it('answers exactly what parsing answers, from the cache the second time; a changed byte is parsed again', async () => {
    const manifests = manifestsWithBroken();
    const state = temp();
    const fresh = await loadManifestDir(manifests);
    expect(fresh.resources.length).toBeGreaterThan(3);
    expect(fresh.errors.length).toBeGreaterThan(3);

    const parses: string[] = [];
    const counting = (id: string) => {
      const cache = openParseCache(state, id);
      return {
        parsed: (file: string, text: string, context: string, parse: () => ReturnType<Parameters<typeof cache.parsed>[3]>) =>
          cache.parsed(file, text, context, () => (parses.push(file), parse())),
        save: () => cache.save(),
      };
    };
    expect(await loadManifestDir(manifests, undefined, undefined, counting('build-1'))).toEqual(fresh);
    const files = parses.length;
    expect(files).toBe(fresh.files.length);
    expect(statSync(join(state, 'manifest-parse-cache.json')).mode & 0o777).toBe(0o600);

    parses.length = 0;
    expect(await loadManifestDir(manifests, undefined, undefined, counting('build-1'))).toEqual(fresh);
    expect(parses).toEqual([]);

    // One byte changed: that file alone is parsed again, and the answer is the new one.
    const edited = readFileSync(join(manifests, 'broken.yaml'), 'utf8').replace('interval: 1ms', 'interval: 2ms');
    writeFileSync(join(manifests, 'broken.yaml'), edited);
    const again = await loadManifestDir(manifests, undefined, undefined, counting('build-1'));
    expect(parses).toEqual(['broken.yaml']);
    expect(again).toEqual(await loadManifestDir(manifests));

    // Another build, or other limits: nothing reused.
    parses.length = 0;
    await loadManifestDir(manifests, undefined, undefined, counting('build-2'));
    expect(parses).toHaveLength(files);
    parses.length = 0;
    await loadManifestDir(manifests, undefined, { ...manifestLimits(), maxDepth: 7 }, counting('build-2'));
    expect(parses).toHaveLength(files);

    // The file holds the last load's entries only.
    const stored = JSON.parse(readFileSync(join(state, 'manifest-parse-cache.json'), 'utf8')) as { parser: string; entries: object };
    expect(stored.parser).toBe('build-2');
    expect(Object.keys(stored.entries)).toHaveLength(files);
  });

  it('a read-only cache (diff) never writes; an unreadable one is no cache', async () => {
    const manifests = manifestsWithBroken();
    const state = temp();
    await loadManifestDir(manifests, undefined, undefined, openParseCache(state, 'b', { readonly: true }));
    expect(() => statSync(join(state, 'manifest-parse-cache.json'))).toThrow();
    writeFileSync(join(state, 'manifest-parse-cache.json'), '{not json');
    expect(await loadManifestDir(manifests, undefined, undefined, openParseCache(state, 'b'))).toEqual(await loadManifestDir(manifests));
  });

  it('only the bundled CLI has an identity, which changes with any of its files', () => {
    expect(bundledParserId(import.meta.url)).toBeUndefined();
    const id = bundledParserId(pathToFileURL(join(BUILT_CLI, '..', 'chunks', 'x.js')).href);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const copy = temp();
    const chunks = join(copy, 'dist', 'bin', 'chunks');
    cpSync(join(BUILT_CLI, '..', 'chunks'), chunks, { recursive: true });
    const url = pathToFileURL(join(chunks, 'x.js')).href;
    expect(bundledParserId(url)).toBe(id);
    const first = join(chunks, 'zz-extra.js');
    writeFileSync(first, '// one more byte of code\n');
    expect(bundledParserId(url)).not.toBe(id);
  });
});
