/**
 * Editing the main section of a config without disturbing anything else: remove exact lines (the ones
 * homeostat wrote), and insert new ones right after the last non-blank line of the main section, never at the
 * end of the file (on Proxmox that would land in the last snapshot and never apply). Every other line keeps its
 * bytes and its place. Removing what an edit added gives back the original bytes, also for a file that did not
 * end with a newline.
 */
import type { ConfigDocument } from './document.js';
import { dominantEnding, joinLines, type Line } from './lines.js';

export interface LineEdit {
  /** Exact line texts (without endings) to remove from the main section: one occurrence each, the last one. */
  remove: readonly string[];
  /** Line texts to insert, in this order. */
  add: readonly string[];
}

export interface EditResult {
  /** The whole new file. */
  text: string;
  /** Lines of `remove` that were not in the main section (nothing was done for them). */
  missing: string[];
}

const BLANK = /^\s*$/;

export function editMainSection(doc: ConfigDocument, edit: LineEdit): EditResult {
  for (const line of edit.add) {
    if (line.includes('\n') || line.includes('\r')) throw new Error(`a config line cannot contain a line break: ${JSON.stringify(line)}`);
  }
  const style = dominantEnding(doc.lines);

  // Removals: the last occurrence in the main section, so that a human's identical line above ours stays.
  const removed = new Set<number>();
  const missing: string[] = [];
  for (const text of edit.remove) {
    let found = -1;
    for (let i = doc.mainEnd - 1; i >= 0; i--) {
      if (!removed.has(i) && doc.lines[i]!.text === text) {
        found = i;
        break;
      }
    }
    if (found === -1) missing.push(text);
    else removed.add(found);
  }
  const lines: Line[] = [];
  let mainEnd = 0;
  doc.lines.forEach((line, i) => {
    if (removed.has(i)) return;
    lines.push({ ...line });
    if (i < doc.mainEnd) mainEnd = lines.length;
  });
  // The removed line was the file's last and had no ending: the new last line takes over "no ending".
  const last = doc.lines.length - 1;
  if (last >= 0 && removed.has(last) && doc.lines[last]!.eol === '' && lines.length > 0) lines[lines.length - 1]!.eol = '';

  if (edit.add.length > 0) {
    let at = mainEnd;
    while (at > 0 && BLANK.test(lines[at - 1]!.text)) at--;
    const before = at > 0 ? lines[at - 1]! : undefined;
    const added: Line[] = edit.add.map((text) => ({ text, eol: before && before.eol !== '' ? before.eol : style }));
    if (before && before.eol === '') {
      // Inserting after a last line without a newline: it gets one, and the last inserted line goes without.
      before.eol = style;
      added[added.length - 1]!.eol = '';
    }
    lines.splice(at, 0, ...added);
  }
  return { text: joinLines(lines), missing };
}
