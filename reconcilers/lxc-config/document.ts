/**
 * A parsed container config that still holds every byte: its lines (with their own endings), what each line
 * is, and where the main section ends. Only the main section is ever edited; on Proxmox everything from the
 * first section header on (`[pve:pending]`, `[snapshot]`) belongs to pending changes and snapshots.
 */
import { splitLines, type Line } from './lines.js';
import { classifyLine, type ConfigFlavor, type LineKind } from './syntax.js';

/** A `key: value` / `key = value` line. */
export interface ConfigEntry {
  /** Index into `ConfigDocument.lines`. */
  index: number;
  /** `''` for the main section, `pve:pending`, or a snapshot's name. */
  section: string;
  key: string;
  value: string;
  separator: ':' | '=';
  /** The line's text, without its ending. */
  text: string;
}

export interface ConfigDocument {
  flavor: ConfigFlavor;
  lines: Line[];
  kinds: LineKind[];
  /** Index of the first section header, or `lines.length`: lines before it are the main section. */
  mainEnd: number;
  /** Every entry in file order, in every section. */
  entries: ConfigEntry[];
}

export function parseConfig(flavor: ConfigFlavor, text: string): ConfigDocument {
  const lines = splitLines(text);
  const kinds = lines.map((line) => classifyLine(flavor, line.text));
  let mainEnd = lines.length;
  let section = '';
  const entries: ConfigEntry[] = [];
  kinds.forEach((kind, index) => {
    if (kind.kind === 'section') {
      if (mainEnd === lines.length) mainEnd = index;
      section = kind.name;
    } else if (kind.kind === 'entry') {
      entries.push({ index, section, key: kind.key, value: kind.value, separator: kind.separator, text: lines[index]!.text });
    }
  });
  return { flavor, lines, kinds, mainEnd, entries };
}

/** The entries of the main section (the running configuration), in file order. */
export function mainEntries(doc: ConfigDocument): ConfigEntry[] {
  return doc.entries.filter((entry) => entry.section === '');
}

/** Entries of one section (`''` main, `pve:pending`, or a snapshot name). */
export function sectionEntries(doc: ConfigDocument, section: string): ConfigEntry[] {
  return doc.entries.filter((entry) => entry.section === section);
}

/** Section names in file order (`pve:pending` and snapshot names). */
export function sectionNames(doc: ConfigDocument): string[] {
  return doc.kinds.flatMap((kind) => (kind.kind === 'section' ? [kind.name] : []));
}

/** The value of a unique key of the main section (the last one wins, as in Proxmox), or `undefined`. */
export function mainValue(doc: ConfigDocument, key: string): string | undefined {
  let value: string | undefined;
  for (const entry of mainEntries(doc)) if (entry.key === key) value = entry.value;
  return value;
}

/** Proxmox's `lock:` (backup, migrate, snapshot, ...), which forbids edits while set; `null` when unlocked. */
export function lockOf(doc: ConfigDocument): string | null {
  if (doc.flavor !== 'proxmox') return null;
  return mainValue(doc, 'lock') ?? null;
}

/** The texts of the main section's lines (without endings), for "is this exact line there" questions. */
export function mainLineTexts(doc: ConfigDocument): string[] {
  return doc.lines.slice(0, doc.mainEnd).map((line) => line.text);
}
