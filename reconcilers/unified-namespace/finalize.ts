/**
 * On delete, remove exactly what this resource created: its lines in container configs (lxc-config's
 * `removeOwnLines`: exact text, main section, compare-and-swap), a leftover probe file (through the root opened
 * and checked: `Host.unlinkChecked`), and the folders it created, deepest first, each only when it is still the
 * folder created (same inode, not a symlink) and empty, removed through its checked parent (`Host.rmdirChecked`).
 * An intent a crash left (inventory.ts: no inode recorded) is removed the same way while it is a real, empty
 * folder inside the tree (the inode seen here is the one required). A folder holding anything is kept and
 * forgotten, with an event saying so: nothing a person or an app put there is ever removed.
 */
import type { InventoryItem, ReconcileContext } from '../core/contract.js';
import { removeOwnLines } from '../lxc-config/index.js';
import { checked, expectedInode } from './apply.js';
import { depthOf, treeOf } from './layout.js';
import { DIRECTORY_ITEM } from './model.js';
import { isSameFolder } from './observe.js';
import { probeFileName } from './probe.js';
import type { UnifiedNamespaceSpec } from './spec.js';

type Ctx = ReconcileContext<UnifiedNamespaceSpec>;

export async function finalizeNamespace(ctx: Ctx): Promise<void> {
  await removeOwnLines(ctx);
  const root = ctx.resource.spec.root;
  await ctx.host.unlinkChecked(root, probeFileName(ctx.resource.metadata.name), { within: treeOf(root, root) }).catch(() => undefined);
  const folders = ctx.inventory.filter((item) => {
    if (item.type !== DIRECTORY_ITEM) return false;
    if (item.host === ctx.host.name) return true;
    ctx.log.warn({ item }, `cannot remove ${item.host}:${item.id} through host ${ctx.host.name}; left in the inventory`);
    return false;
  });
  folders.sort((a, b) => depthOf(b.id) - depthOf(a.id) || (a.id < b.id ? -1 : 1));
  for (const item of folders) {
    ctx.signal.throwIfAborted();
    await removeFolder(ctx, item);
  }
}

async function removeFolder(ctx: Ctx, item: InventoryItem): Promise<void> {
  const st = await ctx.host.lstat(item.id);
  if (st !== null && isSameFolder(st, item.detail)) {
    const entries = await ctx.host.readdir(item.id);
    if (entries.length === 0) {
      // Through the checked parent, and only while it is still the folder created (the recorded inode; for an
      // intent, the folder just seen).
      const expect = expectedInode({ dev: Number(item.detail?.dev ?? st.dev), ino: Number(item.detail?.ino ?? st.ino) });
      await checked(ctx, item.id, () => ctx.host.rmdirChecked(item.id, { within: treeOf(ctx.resource.spec.root, item.id), expect }));
    } else {
      ctx.event('Normal', 'FolderKept', `kept ${item.host}:${item.id} (created by homeostat): it holds ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`);
    }
  }
  ctx.forgetInventory(item);
}
