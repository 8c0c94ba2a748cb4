/**
 * The inventory of config lines, one semantics for every kind that writes into container configs: an item of
 * type `config-line` on a host, identified by `<config path>#<exact line>` (the id is authoritative; `detail`
 * repeats path, line and container for people reading `describe`). Prune removes exactly these lines, one
 * occurrence each, and never a human's.
 */
import type { InventoryItem } from '../core/contract.js';
import { mainLineTexts, type ConfigDocument } from './document.js';
import type { ConfigLocation } from './paths.js';

export const CONFIG_LINE = 'config-line';

/** The item recording that homeostat wrote `line` into the config at `location`. */
export function lineItem(host: string, location: Pick<ConfigLocation, 'path' | 'container'>, line: string): InventoryItem {
  return { type: CONFIG_LINE, host, id: `${location.path}#${line}`, detail: { path: location.path, line, container: location.container } };
}

/** The config path and exact line of an item (from `id`). */
export function lineOf(item: Pick<InventoryItem, 'id'>): { path: string; line: string } {
  const hash = item.id.indexOf('#');
  return { path: item.id.slice(0, hash), line: item.id.slice(hash + 1) };
}

/** True for a config-line item on `host`. */
export function isLineItem(item: InventoryItem, host: string): boolean {
  return item.type === CONFIG_LINE && item.host === host && item.id.includes('#');
}

/** This host's config-line items, grouped by config path (in inventory order). */
export function linesByPath(inventory: readonly InventoryItem[], host: string): Map<string, InventoryItem[]> {
  const byPath = new Map<string, InventoryItem[]>();
  for (const item of inventory) {
    if (!isLineItem(item, host)) continue;
    const { path } = lineOf(item);
    byPath.set(path, [...(byPath.get(path) ?? []), item]);
  }
  return byPath;
}

/** Own items whose line is in the config's main section, and those whose line is gone (to forget). */
export function ownLinesIn(doc: ConfigDocument, items: readonly InventoryItem[]): { present: InventoryItem[]; vanished: InventoryItem[] } {
  const texts = new Set(mainLineTexts(doc));
  return {
    present: items.filter((i) => texts.has(lineOf(i).line)),
    vanished: items.filter((i) => !texts.has(lineOf(i).line)),
  };
}

/** An item as forgetting needs it: its identity only. */
export function itemKey({ type, host, id }: InventoryItem): InventoryItem {
  return { type, host, id };
}
