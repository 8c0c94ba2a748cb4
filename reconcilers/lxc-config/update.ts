/**
 * Read → edit the main section → compare-and-swap write, in one call, retried when someone else wrote the file
 * in between. For steps without a separate plan (`removeOwnLines`, on delete); planned edits go through
 * `planConfigEdit` / `applyConfigEdit` (which write with `writeConfig`).
 */
import { isHostError, type Host } from '../host/index.js';
import type { ConfigDocument } from './document.js';
import { editMainSection, type LineEdit } from './edit.js';
import { readConfig, writeConfig, type ConfigSnapshot } from './io.js';
import type { ConfigLocation } from './paths.js';

export interface UpdateResult {
  /** What was read (the last attempt). */
  before: ConfigSnapshot;
  /** The new text, or `null` when the edit changed nothing and nothing was written. */
  written: string | null;
  edit: LineEdit;
  /** Lines the edit wanted removed that were not there. */
  missing: string[];
}

/**
 * `build` sees the current document and returns the edit (or `null`: nothing to do). Returns `null` when the
 * config does not exist. Throws ConfigError for locked / too large configs, HostError ECONFLICT after `attempts`.
 */
export async function updateConfig(
  host: Host,
  location: ConfigLocation,
  build: (doc: ConfigDocument) => LineEdit | null,
  opts: { signal?: AbortSignal; attempts?: number } = {},
): Promise<UpdateResult | null> {
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const before = await readConfig(host, location, opts);
    if (before === null) return null;
    const edit = build(before.doc);
    if (edit === null || (edit.add.length === 0 && edit.remove.length === 0)) {
      return { before, written: null, edit: edit ?? { add: [], remove: [] }, missing: [] };
    }
    const { text, missing } = editMainSection(before.doc, edit);
    if (text === before.raw.toString('utf8')) return { before, written: null, edit, missing };
    try {
      await writeConfig(host, before, text, opts);
      return { before, written: text, edit, missing };
    } catch (err) {
      if (attempt < attempts && isHostError(err, 'ECONFLICT')) continue;
      throw err;
    }
  }
}
