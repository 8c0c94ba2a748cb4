/**
 * UnifiedNamespace's observation, read-only: what is at the root and at every declared folder (walked from the
 * root down, level by level so that one level's stats share one round trip over SSH, and never through a
 * symlink that leaves the root), the mount table inside the tree, the folders this resource created that the
 * spec no longer declares, the declared folders it meant to create without knowing whether it did (intents, see
 * inventory.ts), and the configs of the containers the tree is shared into.
 */
import { posix } from 'node:path';
import type { InventoryItem, ReconcileContext } from '../core/contract.js';
import type { FileStat, Host } from '../host/index.js';
import { declaredFolders, depthOf, isInside, type DeclaredFolder } from './layout.js';
import { isIntent } from './inventory.js';
import { hostPathOfReal, readMounts, type MountInfoEntry } from './mounts.js';
import { DIRECTORY_ITEM, type FolderState, type MountInTree, type ObservedFolder, type ObservedLeftover, type UnifiedNamespaceObserved } from './model.js';
import { observeShares } from './share/observe.js';
import type { UnifiedNamespaceSpec } from './spec.js';

type Ctx = ReconcileContext<UnifiedNamespaceSpec>;

/** A folder's state plus its canonical real path (for mount-table questions); `null` when there is none. */
interface Walked {
  state: FolderState;
  real: string | null;
}

export async function observeNamespace(ctx: Ctx): Promise<UnifiedNamespaceObserved> {
  const spec = ctx.resource.spec;
  const { host, signal } = ctx;
  const declared = declaredFolders(spec);
  const created = ctx.inventory.filter((i) => i.type === DIRECTORY_ITEM && i.host === host.name);
  const [mountSnapshot, rootParentStat, leftovers, shares] = await Promise.all([
    readMounts(host, spec.root, signal),
    host.stat(posix.dirname(spec.root)),
    observeLeftovers(ctx, created, new Set(declared.map((f) => f.path))),
    observeShares(ctx),
  ]);
  const mountPoints = new Set((mountSnapshot.mounts ?? []).map((m) => m.mountPoint));
  const walked = await walkTree(host, declared, mountSnapshot.canonicalRoot, mountPoints, signal);
  const intents = new Map(created.filter(isIntent).map((i) => [i.id, i]));
  const folders: ObservedFolder[] = declared.map((folder) => {
    const intent = intents.get(folder.path);
    return { ...folder, state: walked.get(folder.rel)!.state, ...(intent ? { intent } : {}) };
  });
  const declaredReal = new Set([...walked.values()].flatMap((w) => (w.real === null ? [] : [w.real])));
  return {
    rootParent: rootParentStat === null ? 'missing' : rootParentStat.type === 'directory' ? 'directory' : 'other',
    folders,
    mountsInTree: mountSnapshot.mounts === null ? null : mountsBelow(host, mountSnapshot.canonicalRoot, mountSnapshot.mounts, declaredReal),
    leftovers,
    shares,
  };
}

async function walkTree(
  host: Host,
  declared: DeclaredFolder[],
  canonicalRoot: string,
  mountPoints: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<Map<string, Walked>> {
  const walked = new Map<string, Walked>();
  const rootStat = await host.lstat(declared[0]!.path);
  walked.set('', await folderState(host, declared[0]!.path, rootStat, canonicalRoot, canonicalRoot, mountPoints, signal, true));

  const maxDepth = Math.max(0, ...declared.map((f) => depthOf(f.rel)));
  for (let depth = 1; depth <= maxDepth; depth++) {
    const level = declared.filter((f) => f.rel !== '' && depthOf(f.rel) === depth);
    const results = await Promise.all(
      level.map(async (folder): Promise<[string, Walked]> => {
        const parentRel = posix.dirname(folder.rel) === '.' ? '' : posix.dirname(folder.rel);
        const parent = walked.get(parentRel)!;
        const parentPath = declared.find((f) => f.rel === parentRel)!.path;
        const childReal = parent.real === null ? null : posix.join(parent.real, posix.basename(folder.rel));
        switch (parent.state.kind) {
          case 'missing':
            return [folder.rel, { state: { kind: 'missing' }, real: childReal }];
          case 'unreachable':
            return [folder.rel, { state: parent.state, real: null }];
          case 'other':
            return [folder.rel, { state: { kind: 'unreachable', via: parentPath }, real: null }];
          case 'symlink':
            if (!parent.state.insideRoot || parent.state.resolved?.type !== 'directory') {
              return [folder.rel, { state: { kind: 'unreachable', via: parentPath }, real: null }];
            }
            break;
          case 'directory':
            break;
        }
        const st = await host.lstat(folder.path);
        return [folder.rel, await folderState(host, folder.path, st, childReal, canonicalRoot, mountPoints, signal, false)];
      }),
    );
    for (const [rel, w] of results) walked.set(rel, w);
  }
  return walked;
}

async function folderState(
  host: Host,
  path: string,
  st: FileStat | null,
  real: string | null,
  canonicalRoot: string,
  mountPoints: ReadonlySet<string>,
  signal: AbortSignal,
  isRoot: boolean,
): Promise<Walked> {
  if (st === null) return { state: { kind: 'missing' }, real };
  if (st.type === 'directory') {
    const mountpoint = !isRoot && real !== null && mountPoints.has(real);
    return { state: { kind: 'directory', mode: st.mode, uid: st.uid, gid: st.gid, dev: st.dev, ino: st.ino, mountpoint }, real };
  }
  if (st.type !== 'symlink') return { state: { kind: 'other', type: st.type }, real: null };
  // Resolved as the host resolves every path (inside its root, if it has one), then compared as real paths.
  const [resolved, target] = await Promise.all([host.realpath(path), host.stat(path)]);
  const resolvedReal = resolved === null ? null : host.resolvePath(resolved);
  const insideRoot = !isRoot && resolvedReal !== null && isInside(canonicalRoot, resolvedReal) && resolvedReal !== canonicalRoot;
  return {
    state: {
      kind: 'symlink',
      target: resolved,
      insideRoot,
      resolved: target === null ? null : { type: target.type, dev: target.dev },
    },
    real: resolvedReal,
  };
}

/** Mount points strictly below the root that are not a declared folder (those are judged as folders). */
function mountsBelow(host: Host, canonicalRoot: string, mounts: MountInfoEntry[], declaredReal: ReadonlySet<string>): MountInTree[] {
  const seen = new Set<string>();
  const out: MountInTree[] = [];
  for (const m of mounts) {
    if (m.mountPoint === canonicalRoot || !isInside(canonicalRoot, m.mountPoint) || declaredReal.has(m.mountPoint)) continue;
    if (seen.has(m.mountPoint)) continue; // stacked mounts: one report per place
    seen.add(m.mountPoint);
    out.push({ path: hostPathOfReal(host, m.mountPoint) ?? m.mountPoint, device: m.device, fstype: m.fstype, source: m.source });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Folders in the inventory (created by this resource) that the spec no longer declares: still ours, and empty?
 * An intent's folder (its identity never recorded) counts as ours while it is a real folder.
 */
async function observeLeftovers(ctx: Ctx, created: readonly InventoryItem[], declaredPaths: ReadonlySet<string>): Promise<ObservedLeftover[]> {
  const items = created.filter((i) => !declaredPaths.has(i.id));
  return Promise.all(
    items.map(async (item): Promise<ObservedLeftover> => {
      const st = await ctx.host.lstat(item.id);
      if (st === null) return { item, state: 'missing', entries: [] };
      if (!isSameFolder(st, item.detail)) return { item, state: 'replaced', entries: [] };
      return { item, state: 'ours', entries: await ctx.host.readdir(item.id), seen: { dev: st.dev, ino: st.ino } };
    }),
  );
}

/**
 * The folder recorded at creation (inventory detail `dev`/`ino`) is still the one at that path, not a symlink;
 * for an intent (no identity recorded), any real folder.
 */
export function isSameFolder(st: FileStat, detail: Record<string, unknown> | undefined): boolean {
  if (st.type !== 'directory') return false;
  if (typeof detail?.ino === 'number' && detail.ino !== st.ino) return false;
  if (typeof detail?.dev === 'number' && detail.dev !== st.dev) return false;
  return true;
}

