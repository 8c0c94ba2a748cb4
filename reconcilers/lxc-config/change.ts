/**
 * The one change kind for a config homeostat shares with humans: add lines to, and remove its own lines from,
 * one config's main section in one compare-and-swap write. Planned purely from the observed bytes (the whole
 * new text is part of the change, so `diff` and apply agree); only inventory lines can be removed.
 */
import type { Change, InventoryItem } from '../core/contract.js';
import { editMainSection } from './edit.js';
import { itemKey, lineItem, lineOf } from './inventory.js';
import type { ConfigSnapshot } from './io.js';
import type { ConfigLocation } from './paths.js';

export interface EditConfigChange extends Change {
  action: 'edit-config';
  location: ConfigLocation;
  /** Exact lines to insert at the end of the main section. */
  add: string[];
  /** Exact lines to remove (homeostat's own, from the inventory). */
  remove: string[];
  /** The whole new file, computed from the observed bytes (written compare-and-swap against them). */
  text: string;
  /** Inventory items to record before the write (what is added) and to forget after it (what is removed). */
  record: InventoryItem[];
  forget: InventoryItem[];
  details: string[];
}

export interface ConfigEditPlan {
  /** Host name, for targets and inventory items. */
  host: string;
  snapshot: ConfigSnapshot;
  add: readonly string[];
  /** Own inventory items whose lines are to be removed. */
  remove: readonly InventoryItem[];
  /** What `diff` says (default: `edit HOST:PATH: add N line(s), remove M line(s)`). */
  summary?: string;
}

/** The edit, or `null` when there is nothing to add or remove. */
export function planConfigEdit({ host, snapshot, add, remove, summary }: ConfigEditPlan): EditConfigChange | null {
  if (add.length === 0 && remove.length === 0) return null;
  const { location } = snapshot;
  const removeLines = remove.map((item) => lineOf(item).line);
  const { text } = editMainSection(snapshot.doc, { add, remove: removeLines });
  const counts = [add.length ? `add ${add.length} line(s)` : '', removeLines.length ? `remove ${removeLines.length} line(s)` : ''].filter(Boolean);
  return {
    action: 'edit-config',
    target: `${host}:${location.path}`,
    summary: summary ?? `edit ${host}:${location.path}: ${counts.join(', ')}`,
    details: [...removeLines.map((l) => `- ${l}`), ...add.map((l) => `+ ${l}`)],
    location,
    add: [...add],
    remove: removeLines,
    text,
    record: add.map((line) => lineItem(host, location, line)),
    forget: remove.map(itemKey),
  };
}
