/**
 * The inventory items of the folders a UnifiedNamespace creates, crash-safe like every write homeostat makes
 * on a host (lxc-config's `applyConfigEdit`): an *intent* (`detail: { pending: true }`) is recorded before the
 * mkdir, and completed with the new folder's identity (`dev`, `ino`, known only after the mkdir) once it exists.
 * A kill -9 in between leaves an intent: the next plan completes it from what observe sees when the folder is
 * there (`complete-record`) and forgets it when it is not; finalize removes an intent's folder only while it
 * is a real, empty folder inside the tree. So a folder homeostat made always has a record.
 */
import type { InventoryItem } from '../core/contract.js';
import type { InodeId } from '../host/index.js';
import { DIRECTORY_ITEM } from './model.js';

/** The identity of a folder's inventory item (what `forgetInventory` takes). */
export function folderItem(host: string, path: string): Pick<InventoryItem, 'type' | 'host' | 'id'> {
  return { type: DIRECTORY_ITEM, host, id: path };
}

/** Recorded before the mkdir: "homeostat is about to create this folder". */
export function intentItem(host: string, path: string): InventoryItem {
  return { ...folderItem(host, path), detail: { pending: true } };
}

/** The record of a folder created by homeostat: the inode finalize will remove, and nothing else. */
export function createdItem(item: Pick<InventoryItem, 'type' | 'host' | 'id'>, inode: InodeId): InventoryItem {
  return { type: item.type, host: item.host, id: item.id, detail: { dev: inode.dev, ino: inode.ino } };
}

/** An intent whose mkdir may or may not have landed (a crash, or a failure that does not say). */
export function isIntent(item: InventoryItem): boolean {
  return item.type === DIRECTORY_ITEM && item.detail?.pending === true;
}
