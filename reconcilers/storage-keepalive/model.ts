/**
 * What StorageKeepalive's `observe` returns and its `plan` emits: plain data, so planning stays pure and
 * every change prints itself for `diff`.
 */
import type { Change, InventoryItem } from '../core/contract.js';

export interface StorageKeepaliveObserved {
  /** `spec.path` on the host. */
  target: { exists: boolean; isDirectory: boolean; isMountpoint: boolean };
  /** Controller mode: the heartbeat file, `null` when it does not exist. Always `null` in cron mode. */
  heartbeat: { mtimeMs: number } | null;
  /** Cron mode: whether `/etc/cron.d` exists and what our file in it holds. Always `null` in controller mode. */
  cron: { dirExists: boolean; file: ObservedFile | null } | null;
}

export interface ObservedFile {
  /** The exact bytes, for the compare-and-swap write. */
  raw: Buffer;
  /** `raw` as UTF-8, for comparing and diffing. */
  content: string;
  mode: number;
}

/** Write the heartbeat file now (controller mode). */
export interface HeartbeatChange extends Change {
  action: 'heartbeat';
  path: string;
  fsync: boolean;
  /** Check right before writing that this is still a mountpoint (`null`: spec.requireMountpoint is false). */
  guardMountpoint: string | null;
  /** The file did not exist and is not in the inventory: homeostat creates it, so it records it. */
  record: boolean;
}

/** Create or rewrite the cron file (cron mode). */
export interface WriteCronChange extends Change {
  action: 'write';
  path: string;
  content: string;
  mode: number;
}

/** Only the cron file's mode is wrong. */
export interface ChmodChange extends Change {
  action: 'chmod';
  path: string;
  mode: number;
}

/** The cron file is exactly as wanted but missing from the inventory (e.g. a lost state store): record it. */
export interface AdoptChange extends Change {
  action: 'adopt';
  item: InventoryItem;
}

/** An inventory file the current spec no longer wants (mode switch, new path or file name): remove it. */
export interface DeleteChange extends Change {
  action: 'delete';
  item: InventoryItem;
}

export type StorageKeepaliveChange = HeartbeatChange | WriteCronChange | ChmodChange | AdoptChange | DeleteChange;

/** Keys StorageKeepalive keeps in `ReconcileContext.memo`. */
export interface StorageKeepaliveMemo {
  /** When the last heartbeat was written (controller clock, ms since the epoch). */
  lastHeartbeatAt?: number;
  /** Which file it was written to (a memo about another file does not count). */
  lastHeartbeatPath?: string;
}

/** The cron file's mode: cron ignores files that group or others can write. */
export const CRON_FILE_MODE = 0o644;
