/**
 * Builders for UnifiedNamespace's pure tests: specs, observed folders and configs, and a model of what apply
 * does to an observation (the idempotence property plans again on it). Test-only; not exported by index.ts.
 */
import type { InventoryItem, PlanInput } from '../../reconcilers/core/contract.js';
import { editMainSection, parseConfig, proxmoxConfigLocation, lxcConfigLocation } from '../../reconcilers/lxc-config/index.js';
import { declaredFolders } from '../../reconcilers/unified-namespace/layout.js';
import { DIRECTORY_ITEM, type FolderState, type ObservedFolder, type UnifiedNamespaceChange, type UnifiedNamespaceObserved } from '../../reconcilers/unified-namespace/model.js';
import type { ObservedConfig } from '../../reconcilers/unified-namespace/share/model.js';
import type { UnifiedNamespaceSpec } from '../../reconcilers/unified-namespace/spec.js';

export const ROOT_DEV = 2049; // 8:1
export const OTHER_DEV = 2050; // 8:2

export const nsSpec = (over: Partial<UnifiedNamespaceSpec> = {}): UnifiedNamespaceSpec => ({
  host: 'pve',
  root: '/data',
  layout: 'none',
  directories: [],
  owner: { uid: 1000, gid: 1000 },
  mode: '2775',
  requireSameFilesystem: true,
  shareInto: [],
  ...over,
});

let nextIno = 1000;
export const dir = (over: Partial<Extract<FolderState, { kind: 'directory' }>> = {}): FolderState => ({
  kind: 'directory',
  mode: 0o2775,
  uid: 1000,
  gid: 1000,
  dev: ROOT_DEV,
  ino: nextIno++,
  mountpoint: false,
  ...over,
});

/** An observation of `spec`'s folders: `states` by relative path ('' is the root), the rest as `fallback`. */
export function observedOf(
  spec: UnifiedNamespaceSpec,
  states: Record<string, FolderState> = {},
  over: Partial<UnifiedNamespaceObserved> = {},
  fallback: () => FolderState = () => dir(),
): UnifiedNamespaceObserved {
  const folders: ObservedFolder[] = declaredFolders(spec).map((f) => ({ ...f, state: states[f.rel] ?? fallback() }));
  return { rootParent: 'directory', folders, mountsInTree: [], leftovers: [], shares: [], ...over };
}

export const planInput = (over: Partial<PlanInput> = {}): PlanInput => ({ name: 'data', now: 1_750_000_000_000, inventory: [], memo: {}, ...over });

export function proxmoxConfig(container: string, text: string): ObservedConfig {
  const location = proxmoxConfigLocation(container);
  return { container, location, snapshot: { location, raw: Buffer.from(text), doc: parseConfig('proxmox', text) }, problem: null };
}

export function lxcConfig(container: string, text: string): ObservedConfig {
  const location = lxcConfigLocation(container);
  return { container, location, snapshot: { location, raw: Buffer.from(text), doc: parseConfig('lxc', text) }, problem: null };
}

export interface World {
  observed: UnifiedNamespaceObserved;
  input: PlanInput;
}

/** What apply does, on the model: the observation and inventory after `changes`. Throws where apply would fail. */
export function applyToModel(spec: UnifiedNamespaceSpec, world: World, changes: UnifiedNamespaceChange[]): World {
  const folders = world.observed.folders.map((f) => ({ ...f }));
  let leftovers = world.observed.leftovers.map((l) => ({ ...l, entries: [...l.entries] }));
  let inventory = world.input.inventory.map((i) => ({ ...i }));
  let shares = [...world.observed.shares];
  const forget = (item: Pick<InventoryItem, 'type' | 'host' | 'id'>) =>
    (inventory = inventory.filter((i) => !(i.type === item.type && i.host === item.host && i.id === item.id)));
  const rootDev = () => (folders[0]!.state.kind === 'directory' ? folders[0]!.state.dev : ROOT_DEV);
  for (const change of changes) {
    const folder = 'path' in change ? folders.find((f) => f.path === change.path) : undefined;
    switch (change.action) {
      case 'create': {
        if (!folder || folder.state.kind !== 'missing') throw new Error(`create over ${folder?.state.kind}`);
        const parent = folders.find((f) => f.path === change.path.slice(0, change.path.lastIndexOf('/')));
        if (parent && parent.state.kind === 'missing') throw new Error(`create ${change.path} before its parent`);
        const created = dir({ mode: change.mode, uid: change.owner?.uid ?? 0, gid: change.owner?.gid ?? 0, dev: rootDev() });
        folder.state = created;
        delete folder.intent; // intent, mkdir, completed record (inventory.ts)
        forget({ type: DIRECTORY_ITEM, host: spec.host, id: change.path });
        inventory.push({ type: DIRECTORY_ITEM, host: spec.host, id: change.path, detail: { dev: rootDev(), ino: (created as { ino: number }).ino } });
        break;
      }
      case 'complete-record': {
        const intended = folders.find((f) => f.intent?.id === change.item.id);
        if (!intended || intended.state.kind !== 'directory' || intended.state.ino !== change.ino) throw new Error(`completing ${change.item.id} with another inode`);
        delete intended.intent;
        forget(change.item);
        inventory.push({ ...change.item, detail: { dev: change.dev, ino: change.ino } });
        break;
      }
      case 'chown':
        if (folder?.state.kind !== 'directory' || folder.state.ino !== change.ino) throw new Error('chown of something else');
        folder.state = { ...folder.state, uid: change.uid, gid: change.gid };
        break;
      case 'chmod':
        if (folder?.state.kind !== 'directory' || folder.state.ino !== change.ino) throw new Error('chmod of something else');
        folder.state = { ...folder.state, mode: change.mode };
        break;
      case 'delete': {
        const leftover = leftovers.find((l) => l.item.id === change.item.id);
        if (!leftover || leftover.state !== 'ours' || leftover.entries.length > 0) throw new Error(`rmdir of a non-empty or foreign ${change.item.id}`);
        leftovers = leftovers.filter((l) => l !== leftover);
        const parentPath = change.item.id.slice(0, change.item.id.lastIndexOf('/'));
        const name = change.item.id.slice(parentPath.length + 1);
        for (const l of leftovers) if (l.item.id === parentPath) l.entries = l.entries.filter((e) => e !== name);
        forget(change.item);
        break;
      }
      case 'release':
        leftovers = leftovers.filter((l) => l.item.id !== change.item.id);
        for (const f of folders) if (f.intent?.id === change.item.id) delete f.intent;
        forget(change.item);
        break;
      case 'edit-config': {
        shares = shares.map((config) => {
          if (config.location?.path !== change.location.path || !config.snapshot) return config;
          const { text, missing } = editMainSection(config.snapshot.doc, { add: change.add, remove: change.remove });
          if (missing.length > 0) throw new Error(`removing lines that are not there: ${missing.join(', ')}`);
          if (text !== change.text) throw new Error('the planned text is not the edit of the observed config');
          const doc = parseConfig(config.snapshot.doc.flavor, text);
          return { ...config, snapshot: { ...config.snapshot, raw: Buffer.from(text), doc } };
        });
        // As lxc-config's applyConfigEdit: record, write, forget.
        inventory.push(...change.record);
        for (const item of change.forget) forget(item);
        break;
      }
    }
  }
  return { observed: { ...world.observed, folders, leftovers, shares }, input: { ...world.input, inventory } };
}
