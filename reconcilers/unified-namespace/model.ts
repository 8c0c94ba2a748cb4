/**
 * What UnifiedNamespace's `observe` returns and its `plan` emits: plain data, so that planning stays pure and
 * every change prints itself for `diff`.
 */
import type { Change, InventoryItem, Plan } from '../core/contract.js';
import type { FileType } from '../host/index.js';
import type { DeclaredFolder } from './layout.js';
import type { ShareChange, ShareObserved, ShareStatus } from './share/model.js';

/** What is at a declared folder's path. */
export type FolderState =
  /** Nothing (or its parent is missing too): it will be created. */
  | { kind: 'missing' }
  | {
      kind: 'directory';
      /** Permission bits (`& 0o7777`). */
      mode: number;
      uid: number;
      gid: number;
      dev: number;
      ino: number;
      /** A mount point (its own mount, even of the same filesystem: hardlinks do not cross mounts). */
      mountpoint: boolean;
    }
  | {
      kind: 'symlink';
      /** Where it leads, as the host sees it (the real path when it leaves the host's sandbox root); `null`: unresolvable. */
      target: string | null;
      /** The target lies inside the tree's root: it is traversed like a folder (never changed itself). */
      insideRoot: boolean;
      /** The target's type and device, `null` when it does not exist (a dangling link). */
      resolved: { type: FileType; dev: number } | null;
    }
  /** A file (or device, socket, ...) where a folder should be. */
  | { kind: 'other'; type: FileType }
  /** Below a symlink that leaves the root, a dangling one, or a non-folder: never looked at (`via` is that path). */
  | { kind: 'unreachable'; via: string };

export interface ObservedFolder extends DeclaredFolder {
  state: FolderState;
  /**
   * This resource's intent to create it (inventory.ts): recorded before a mkdir whose outcome was never known
   * (a crash, or a failure that does not say). The plan completes or forgets it.
   */
  intent?: InventoryItem;
}

/** A mount point strictly inside the tree that is not a declared folder. */
export interface MountInTree {
  /** Host path (the real path when it is outside the host's sandbox root). */
  path: string;
  /** `major:minor` of the mounted filesystem. */
  device: string;
  fstype: string;
  source: string;
}

/** A folder this resource created earlier (inventory) that the spec no longer declares. */
export interface ObservedLeftover {
  item: InventoryItem;
  /** What is there now: our folder (same inode as created), another one, or nothing. */
  state: 'ours' | 'replaced' | 'missing';
  /** Entry names inside it, when it is ours. */
  entries: string[];
  /** The folder seen there, when it is ours (an intent's record does not say which inode it is). */
  seen?: { dev: number; ino: number };
}

export interface UnifiedNamespaceObserved {
  /** The root's parent folder: the root is only created inside an existing folder. */
  rootParent: 'directory' | 'missing' | 'other';
  /** The root first, then every declared folder, parents first. */
  folders: ObservedFolder[];
  /** Mount points inside the tree below the root (from /proc/self/mountinfo); `null` when it could not be read. */
  mountsInTree: MountInTree[] | null;
  leftovers: ObservedLeftover[];
  shares: ShareObserved[];
}

/** Create a missing folder (non-recursively: its parent exists by then), then set its owner and mode. */
export interface MkdirChange extends Change {
  action: 'create';
  path: string;
  mode: number;
  owner: { uid: number; gid: number } | null;
}

/** Set a folder's owner (through a descriptor of the folder checked: never through a symlink). */
export interface ChownChange extends Change {
  action: 'chown';
  path: string;
  uid: number;
  gid: number;
  /** The inode the plan saw (`dev`, `ino`): apply refuses to act on anything else. */
  dev: number;
  ino: number;
}

/** Set a folder's permission bits. */
export interface ChmodChange extends Change {
  action: 'chmod';
  path: string;
  mode: number;
  dev: number;
  ino: number;
}

/** Remove an empty folder this resource created and the spec no longer declares. */
export interface RmdirChange extends Change {
  action: 'delete';
  item: InventoryItem;
  /** The inode recorded at creation; `-1` when the inventory does not say. */
  dev: number;
  ino: number;
}

/**
 * Stop tracking a created folder that is gone, replaced, or holds something else than our own empty folders;
 * or forget an intent to create one that never became a folder.
 */
export interface ReleaseChange extends Change {
  action: 'release';
  item: InventoryItem;
}

/**
 * Complete the record of a folder whose creation was interrupted before its identity was recorded (an intent,
 * found with a real folder at its path): the inode observed becomes the one finalize may remove.
 */
export interface CompleteRecordChange extends Change {
  action: 'complete-record';
  item: InventoryItem;
  dev: number;
  ino: number;
}

export type FolderChange = MkdirChange | ChownChange | ChmodChange | RmdirChange | ReleaseChange | CompleteRecordChange;
export type UnifiedNamespaceChange = FolderChange | ShareChange;

/** The plan, and what verify publishes from it: each share's status (verify never plans again). */
export interface UnifiedNamespacePlan extends Plan<UnifiedNamespaceChange> {
  shares: ShareStatus[];
}

/** Inventory type of the folders this resource created. */
export const DIRECTORY_ITEM = 'directory';
