/**
 * Sharing the tree into containers: what is observed (each involved container's config, read with the shared
 * lxc-config library) and the changes: lxc-config's `edit-config` (add our bind-mount line, remove lines of ours
 * the spec no longer wants; recorded in the `config-line` inventory lxc-config owns) and releasing a line of
 * ours that is gone.
 */
import type { Change, InventoryItem } from '../../core/contract.js';
import type { Problem } from '../../core/problem.js';
import type { ConfigLocation, ConfigReadReason, ConfigSnapshot, EditConfigChange } from '../../lxc-config/index.js';

/** One container's config, as observed. */
export interface ObservedConfig {
  container: string;
  /** `null` when the container id cannot name a config on this platform (then `problem` says why). */
  location: ConfigLocation | null;
  /** The config as read (bytes for compare-and-swap, parsed document); `null` when it does not exist. */
  snapshot: ConfigSnapshot | null;
  /** Why it could not be read or used (too large, not UTF-8, bad id); `null` when fine. */
  problem: Problem<'InvalidContainer' | ConfigReadReason> | null;
}

/** What `observe` gives the share planning: the config of every container in `shareInto` or in the inventory. */
export type ShareObserved = ObservedConfig;

/** Stop tracking a line of ours that is gone (a human removed it, or the container was destroyed). */
export interface ReleaseLineChange extends Change {
  action: 'release';
  item: InventoryItem;
}

export type ShareChange = EditConfigChange | ReleaseLineChange;

/** What `describe` shows per share (from the plan; verify publishes it). */
export interface ShareStatus {
  container: string;
  path: string;
  /** The line that provides the mount (after this plan), or `null`. */
  line: string | null;
  /** Every mount of the container into the tree, when there are several. */
  splitMounts?: string[];
}

/** A bind mount found in a config: where it comes from on the host, where it appears in the container. */
export interface ConfigMount {
  /** `mp0`, or `lxc.mount.entry`. */
  key: string;
  /** The line's text. */
  text: string;
  source: string;
  target: string;
}
