/**
 * The folder part of the plan, pure: create what is missing (parents first), fix owner and mode of every real
 * folder (symlinks inside the root are left as they are), and deal with folders this resource created that the
 * spec no longer declares: remove them when they are empty (or hold only such folders), deepest first; stop
 * tracking those that hold anything else, were replaced, or are gone. Nothing a person put there is removed.
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
      return { action: 'delete', target, summary: `remove ${target}: an empty folder homeostat created, no longer declared`, item: ref, dev: Number(item.detail?.dev ?? -1), ino: Number(item.detail?.ino ?? -1) };
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
