/**
 * The folder part of the plan, pure: create what is missing (parents first), fix owner and mode of every real
 * folder (symlinks inside the root are left as they are), complete or forget the intents a crash left, and deal
 * with folders this resource created that the spec no longer declares: remove them when they are empty (or hold
 * only such folders), deepest first; stop tracking those that hold anything else, were replaced, or are gone.
 * Nothing a person put there is removed.
 */
import { posix } from 'node:path';
import { depthOf, hostTarget } from './layout.js';
import type { FolderChange, ObservedFolder, ObservedLeftover, UnifiedNamespaceObserved } from './model.js';
import type { UnifiedNamespaceSpec } from './spec.js';
import { parseMode } from './validate.js';

export function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export function planFolders(spec: UnifiedNamespaceSpec, observed: UnifiedNamespaceObserved): FolderChange[] {
  const mode = parseMode(spec.mode);
  const owner = spec.owner ? { uid: spec.owner.uid, gid: spec.owner.gid } : null;
  const changes: FolderChange[] = [];
  for (const folder of observed.folders) changes.push(...planFolder(spec.host, folder, mode, owner));
  return changes;
}

function planFolder(host: string, folder: ObservedFolder, mode: number, owner: { uid: number; gid: number } | null): FolderChange[] {
  const target = hostTarget(host, folder.path);
  const state = folder.state;
  if (state.kind === 'missing') {
    const who = owner ? `${owner.uid}:${owner.gid} ` : '';
    return [{ action: 'create', target, summary: `create ${target} (${who}${octal(mode)})`, path: folder.path, mode, owner }];
  }
  if (state.kind !== 'directory') return [];
  const changes: FolderChange[] = [];
  if (owner && (state.uid !== owner.uid || state.gid !== owner.gid)) {
    changes.push({
      action: 'chown',
      target,
      summary: `chown ${target} from ${state.uid}:${state.gid} to ${owner.uid}:${owner.gid}`,
      path: folder.path,
      uid: owner.uid,
      gid: owner.gid,
      dev: state.dev,
      ino: state.ino,
    });
  }
  if (state.mode !== mode) {
    changes.push({ action: 'chmod', target, summary: `chmod ${target} from ${octal(state.mode)} to ${octal(mode)}`, path: folder.path, mode, dev: state.dev, ino: state.ino });
  }
  return changes;
}

/**
 * Intents (inventory.ts) on declared folders, left by a run that never learned whether its mkdir landed: a real
 * folder there is the one it made (the plan that recorded the intent saw nothing there), so its record is
 * completed with the inode observed; nothing there, or something else, and the intent is forgotten (a missing
 * folder is then created again, with a new intent). A mount point (its inode is the mounted filesystem's, not
 * the folder's) and a folder not looked at (below a link that leaves the root) keep their intent: finalize
 * judges them as they are then.
 */
export function planIntents(folders: readonly ObservedFolder[]): FolderChange[] {
  const changes: FolderChange[] = [];
  for (const folder of folders) {
    const { intent, state } = folder;
    if (!intent || state.kind === 'unreachable') continue; // not looked at: the intent waits until it is
    const target = hostTarget(intent.host, folder.path);
    const item = { type: intent.type, host: intent.host, id: intent.id };
    if (state.kind === 'directory') {
      if (state.mountpoint) continue;
      const summary = `record ${target} as created by homeostat (the run that made it stopped before recording it)`;
      changes.push({ action: 'complete-record', target, summary, item, dev: state.dev, ino: state.ino });
      continue;
    }
    const why = state.kind === 'missing' ? 'it was never made' : 'something else is there';
    changes.push({ action: 'release', target, summary: `forget the intent to create ${target}: ${why}`, item });
  }
  return changes;
}

/** Leftovers: remove the removable ones deepest first, release the rest. */
export function planLeftovers(leftovers: readonly ObservedLeftover[]): FolderChange[] {
  const byPath = new Map(leftovers.map((l) => [l.item.id, l]));
  const memo = new Map<string, boolean>();
  const removable = (path: string): boolean => {
    const cached = memo.get(path);
    if (cached !== undefined) return cached;
    memo.set(path, false); // a cycle cannot happen with real folders; be safe anyway
    const leftover = byPath.get(path);
    const ok = leftover !== undefined && leftover.state === 'ours' && leftover.entries.every((name) => removable(posix.join(path, name)));
    memo.set(path, ok);
    return ok;
  };
  const sorted = [...leftovers].sort((a, b) => depthOf(b.item.id) - depthOf(a.item.id) || (a.item.id < b.item.id ? -1 : 1));
  return sorted.map((leftover): FolderChange => {
    const { item } = leftover;
    const target = hostTarget(item.host, item.id);
    const ref = { type: item.type, host: item.host, id: item.id };
    if (leftover.state === 'ours' && removable(item.id)) {
      // The inode recorded at creation; for an intent (none recorded), the real folder observed there.
      const inode = typeof item.detail?.ino === 'number' ? { dev: Number(item.detail.dev ?? -1), ino: item.detail.ino } : (leftover.seen ?? { dev: -1, ino: -1 });
      return { action: 'delete', target, summary: `remove ${target}: an empty folder homeostat created, no longer declared`, item: ref, ...inode };
    }
    const why =
      leftover.state === 'missing'
        ? 'already gone'
        : leftover.state === 'replaced'
          ? 'something else is there now; left alone'
          : 'not empty; kept as it is';
    return { action: 'release', target, summary: `stop tracking ${target} (created by homeostat, no longer declared): ${why}`, item: ref };
  });
}
