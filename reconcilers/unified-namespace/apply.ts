/**
 * UnifiedNamespace's side effects, in plan order: create folders (mode 0700 first, then owner, then mode, so that
 * a new folder is never open with the wrong owner), fix owner (lchown) and mode of folders whose inode is still
 * the one planned against, remove empty leftovers, and edit container configs compare-and-swap against the
 * bytes observed. The inventory is updated as each step lands.
 */
import { RetryableError, type ReconcileContext } from '../core/contract.js';
import type { Host } from '../host/index.js';
import { DIRECTORY_ITEM, type MkdirChange, type UnifiedNamespaceChange, type UnifiedNamespaceObserved } from './model.js';
import type { UnifiedNamespaceRetryReason } from './reasons.js';
import { applyShareEdit } from './share/apply.js';
import type { UnifiedNamespaceSpec } from './spec.js';

type Ctx = ReconcileContext<UnifiedNamespaceSpec>;

const folderChanged = (message: string) => new RetryableError<UnifiedNamespaceRetryReason>('FolderChanged', message);

export async function applyNamespace(changes: UnifiedNamespaceChange[], observed: UnifiedNamespaceObserved, ctx: Ctx): Promise<void> {
  for (const change of changes) {
    ctx.signal.throwIfAborted();
    switch (change.action) {
      case 'create':
        await createFolder(change, ctx);
        break;
      case 'chown':
        await assertSameFolder(ctx.host, change.path, change.ino);
        await ctx.host.chown(change.path, change.uid, change.gid);
        break;
      case 'chmod':
        await assertSameFolder(ctx.host, change.path, change.ino);
        await ctx.host.chmod(change.path, change.mode);
        break;
      case 'delete':
        await assertSameFolder(ctx.host, change.item.id, change.ino);
        await ctx.host.rmdir(change.item.id);
        ctx.forgetInventory(change.item);
        break;
      case 'release':
        ctx.forgetInventory(change.item);
        break;
      case 'edit-config':
        await applyShareEdit(change, observed, ctx);
        break;
    }
    ctx.log.debug({ action: change.action, target: change.target }, change.summary);
  }
}

async function createFolder(change: MkdirChange, ctx: Ctx): Promise<void> {
  const { host } = ctx;
  await host.mkdir(change.path, { mode: 0o700 });
  const st = await host.lstat(change.path);
  if (st === null || st.type !== 'directory') throw folderChanged(`${host.name}:${change.path} is not a folder right after mkdir; observing again`);
  // Recorded at once: a failure below still leaves it known as ours (and removable when empty).
  const item = { type: DIRECTORY_ITEM, host: host.name, id: change.path };
  ctx.forgetInventory(item);
  ctx.recordInventory({ ...item, detail: { dev: st.dev, ino: st.ino } });
  if (change.owner) await host.chown(change.path, change.owner.uid, change.owner.gid);
  await host.chmod(change.path, change.mode);
}

/** The folder is still the one planned against (a real folder, same inode), never a symlink put there since. */
export async function assertSameFolder(host: Host, path: string, ino: number): Promise<void> {
  const st = await host.lstat(path);
  if (st === null || st.type !== 'directory' || (ino >= 0 && st.ino !== ino)) {
    throw folderChanged(`${host.name}:${path} changed since it was observed (${st === null ? 'gone' : st.type === 'directory' ? 'another folder' : `now a ${st.type}`}); observing again`);
  }
}
