/**
 * The Host resources of a manifests directory, found ahead of the full load so the daemon can start connecting to
 * its hosts while the rest is parsed (the SSH handshake and the remote helper's start overlap the parse instead of
 * following it). Only files with a `kind: Host` line are parsed; everything else is read and skipped. A hint, not
 * a snapshot: a file that changes or is wrong meanwhile is settled by the real load (the pool closes what the
 * snapshot does not name), and anything unreadable here is simply not prewarmed.
 */
import { join } from 'node:path';
import { mapLimited } from '../../reconcilers/core/map-limited.js';
import type { Resource } from '../../reconcilers/core/resource.js';
import { listManifestFiles } from './files.js';
import { manifestLimits, type ManifestLimits } from './limits.js';
import { parseManifestFile } from './parse.js';
import { MANIFEST_READ_CONCURRENCY, readManifestText, ReadBudget } from './read-bounded.js';

/** A top-level `kind: Host` line, quoted or not (the parse decides whether it is one). */
const HOST_KIND_LINE = /^kind:[ \t]*["']?Host["']?[ \t]*(?:#.*)?$/gm;
/** A document marker line (`---` or `...`, maybe followed by a comment or content). */
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?:[ \t].*)?$/gm;

/**
 * The documents of `text` that have a `kind: Host` line, cut at the document markers around each: one Host in a
 * file of a hundred documents is parsed alone. A marker inside a block scalar may cut one wrong; that document
 * then fails to parse here and is simply not prewarmed.
 */
export function hostDocuments(text: string): string[] {
  const markers = [...text.matchAll(DOCUMENT_MARKER)].map((m) => ({ start: m.index, end: m.index + m[0].length + 1 })); // and its newline
  const out: string[] = [];
  let last = -1;
  for (const m of text.matchAll(HOST_KIND_LINE)) {
    const before = markers.filter((k) => k.start < m.index).at(-1);
    const after = markers.find((k) => k.start > m.index);
    const from = before ? before.end : 0;
    if (from === last) continue; // two kind lines in one document
    last = from;
    out.push(text.slice(from, after ? after.start : text.length));
  }
  return out;
}

export async function prescanHosts(dir: string, limits: ManifestLimits = manifestLimits()): Promise<Resource[]> {
  try {
    const files = await listManifestFiles(dir);
    const budget = new ReadBudget(limits.maxTotalBytes);
    const found = await mapLimited(files, MANIFEST_READ_CONCURRENCY, async (file) => {
      const read = await readManifestText(join(dir, file), file, limits, budget).catch(() => undefined);
      if (!read || 'error' in read) return [];
      return hostDocuments(read.text).flatMap((doc) => parseManifestFile(file, doc, undefined, limits).resources.filter((r) => r.kind === 'Host'));
    });
    return found.flat();
  } catch {
    return [];
  }
}
