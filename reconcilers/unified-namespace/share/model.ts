/**
 * Sharing the tree into containers: what is observed (each involved container's config, read with the shared
 * lxc-config library) and the one change kind (an edit of a config's main section: add our bind-mount line,
 * remove lines of ours the spec no longer wants).
 */
import type { Change, InventoryItem } from '../../core/contract.js';
import type { ConfigLocation, ConfigSnapshot } from '../../lxc-config/index.js';

/** Inventory type of the config lines this resource wrote. */
export const CONFIG_LINE_ITEM = 'config-line';

/** One container's config, as observed. */
export interface ObservedConfig {
  container: string;
  /** `null` when the container id cannot name a config on this platform (then `problem` says why). */
  location: ConfigLocation | null;
  /** The config as read (bytes for compare-and-swap, parsed document); `null` when it does not exist. */
  snapshot: ConfigSnapshot | null;
  /** Why it could not be read or used (too large, not UTF-8, bad id); `null` when fine. */
  problem: { reason: string; message: string } | null;
}

/** What `observe` gives the share planning: the config of every container in `shareInto` or in the inventory. */
export type ShareObserved = ObservedConfig;

/** Add and remove exact lines in one container's main section, compare-and-swap against the observed bytes. */
export interface EditConfigChange extends Change {
  action: 'edit-config';
  container: string;
  location: ConfigLocation;
  add: string[];
  remove: string[];
  /** Inventory to record once written (the added lines) and to forget (the removed ones). */
  record: InventoryItem[];
  forget: InventoryItem[];
}

/** Stop tracking a line of ours that is gone (a human removed it, or the container was destroyed). */
export interface ReleaseLineChange extends Change {
  action: 'release';
  item: InventoryItem;
}

export type ShareChange = EditConfigChange | ReleaseLineChange;

/** A bind mount found in a config: where it comes from on the host, where it appears in the container. */
export interface ConfigMount {
  /** `mp0`, or `lxc.mount.entry`. */
  key: string;
  /** The line's text. */
  text: string;
  source: string;
  target: string;
}

export function lineItem(host: string, location: ConfigLocation, text: string): InventoryItem {
  return { type: CONFIG_LINE_ITEM, host, id: `${location.path}#${text}`, detail: { container: location.container, path: location.path, line: text } };
}
