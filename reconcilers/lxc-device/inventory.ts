/**
 * Inventory items for config lines: `config-line` on a host, identified by `<config path>#<exact line>`, so that
 * prune removes exactly the lines homeostat wrote (one occurrence each) and never a human's.
 */
import type { InventoryItem } from '../core/contract.js';
import { CONFIG_LINE } from './model.js';

export function lineItem(host: string, path: string, line: string, container: string): InventoryItem {
  return { type: CONFIG_LINE, host, id: `${path}#${line}`, detail: { path, line, container } };
}

/** The config path and line of an item (from `id`, which is authoritative). */
export function lineOf(item: Pick<InventoryItem, 'id'>): { path: string; line: string } {
  const hash = item.id.indexOf('#');
  return { path: item.id.slice(0, hash), line: item.id.slice(hash + 1) };
}

/** This host's config-line items, grouped by config path (in inventory order). */
export function linesByPath(inventory: readonly InventoryItem[], host: string): Map<string, InventoryItem[]> {
  const byPath = new Map<string, InventoryItem[]>();
  for (const item of inventory) {
    if (item.type !== CONFIG_LINE || item.host !== host || !item.id.includes('#')) continue;
    const { path } = lineOf(item);
    byPath.set(path, [...(byPath.get(path) ?? []), item]);
  }
  return byPath;
}
