/**
 * What the one-shot commands (`apply`, `diff`) parsed last time, so that a file unchanged since is not parsed
 * and validated again (YAML costs about a millisecond a document: half a second for a thousand resources, on every
 * command). An entry is keyed by sha256 of the parser's identity, the file's path and its exact bytes, so a file
 * that changed by one byte, or another build of homeostat, never reuses anything. The identity is the build's:
 * the hash of the bundled CLI's own files (see `bundledParserId`); code that does not run from the bundle (tests,
 * the tsc output) has no identity and no cache.
 *
 * One JSON file in the state directory, owner-only, written atomically (temp file + rename) and holding only the
 * files of the last load, so it never grows beyond the manifests. A cache that cannot be read is no cache; one that
 * cannot be written is left as it was.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ManifestLimits } from './limits.js';
import type { ParsedManifestFile } from './parse.js';

const FILE = 'manifest-parse-cache.json';

export interface ParseCache {
  /**
   * The parsed `text` of `file`: from the cache when the same bytes were parsed by the same build with the same
   * `context` (the limits in force), else `parse()`'s.
   */
  parsed(file: string, text: string, context: string, parse: () => ParsedManifestFile): ParsedManifestFile;
  /** Writes what this load used (only when something was parsed anew). */
  save(): void;
}

interface Stored {
  parser: string;
  entries: Record<string, ParsedManifestFile>;
}

/** A parse's context in the cache's key: the limits it was checked against (the same bytes under other limits parse anew). */
export function parseContext(limits: ManifestLimits): string {
  return JSON.stringify(limits);
}

/** The cache in `stateDir` for the build `parserId`; `readonly` never writes it (`diff`). */
export function openParseCache(stateDir: string, parserId: string, opts: { readonly?: boolean } = {}): ParseCache {
  const path = join(stateDir, FILE);
  let stored: Record<string, ParsedManifestFile> = {};
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Stored;
    if (data.parser === parserId && data.entries && typeof data.entries === 'object') stored = data.entries;
  } catch {
    // none yet, or unreadable: parse everything
  }
  const used: Record<string, ParsedManifestFile> = {};
  let changed = false;
  return {
    parsed(file, text, context, parse) {
      const key = createHash('sha256').update(parserId).update('\0').update(context).update('\0').update(file).update('\0').update(text).digest('hex');
      const hit = stored[key];
      if (hit) {
        used[key] = hit;
        return JSON.parse(JSON.stringify(hit)) as ParsedManifestFile;
      }
      changed = true;
      const fresh = parse();
      used[key] = JSON.parse(JSON.stringify(fresh)) as ParsedManifestFile;
      return fresh;
    },
    save() {
      if (opts.readonly || (!changed && Object.keys(used).length === Object.keys(stored).length)) return;
      const temp = `${path}.tmp.${process.pid}`;
      try {
        writeFileSync(temp, JSON.stringify({ parser: parserId, entries: used } satisfies Stored), { mode: 0o600 });
        renameSync(temp, path);
      } catch {
        // a state directory that cannot take it: the next command parses again
      }
    },
  };
}

/**
 * The identity of the bundled CLI this code runs from: sha256 over the files of its folder (dist/bin/chunks: the
 * parser, the schemas' validators and everything else of this build). `undefined` when not bundled.
 */
export function bundledParserId(moduleUrl: string): string | undefined {
  if (!moduleUrl.includes('/dist/bin/')) return undefined;
  try {
    const folder = dirname(new URL(moduleUrl).pathname);
    const hash = createHash('sha256');
    for (const name of readdirSync(folder).filter((n) => n.endsWith('.js')).sort()) hash.update(name).update('\0').update(readFileSync(join(folder, name)));
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}
