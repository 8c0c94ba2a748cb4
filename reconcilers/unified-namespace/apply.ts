/**
 * UnifiedNamespace's side effects, in plan order (independent ones at once, apply-steps.ts), each acting on what was checked (`Host.*Checked`: the folder is
 * opened O_NOFOLLOW|O_DIRECTORY through its resolved parent, must be the inode planned against and lie inside the
 * tree, and is changed through that descriptor): create folders through their checked parent (mode 0700 first,
 * then owner, then mode, so that a new folder is never open with the wrong owner), fix owner and mode, remove
 * empty leftovers, and edit container configs compare-and-swap against the bytes observed. A folder that is no
 * longer the one observed (swapped for a symlink, replaced, gone, moved out of the tree) is `FolderChanged`:
 * nothing is changed and the next run observes again. The inventory is updated as each step lands; a folder is
 * recorded as an intent before its mkdir and completed with its inode after (inventory.ts), so a kill -9 at any
 * moment never leaves a folder of homeostat's that deleting the resource would not remove.
 */
import { RetryableError, type ReconcileContext } from '../core/contract.js';
import { isHostError, type InodeId } from '../host/index.js';
import { treeOf } from './layout.js';
import { createdItem, intentItem } from './inventory.js';
import type { MkdirChange, UnifiedNamespaceChange, UnifiedNamespaceObserved } from './model.js';
import type { UnifiedNamespaceRetryReason } from './reasons.js';
import { applySteps } from './apply-steps.js';
import { applyShareEdit } from './share/apply.js';
import type { UnifiedNamespaceSpec } from './spec.js';

type Ctx = ReconcileContext<UnifiedNamespaceSpec>;

const folderChanged = (message: string) => new RetryableError<UnifiedNamespaceRetryReason>('FolderChanged', message);

/** The inode a change was planned against, when known (`-1`: an inventory entry that does not say). */
export function expectedInode(change: { dev: number; ino: number }): InodeId | undefined {
  return change.ino >= 0 && change.dev >= 0 ? { dev: change.dev, ino: change.ino } : undefined;
}

/**
 * Runs one checked change; a folder that is not the one observed any more (ECONFLICT), lies outside the tree
 * (EESCAPE), or whose parent went away (ENOENT, ENOTDIR) or appeared meanwhile (EEXIST) means observing again.
 */
export async function checked<T>(ctx: Ctx, path: string, act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (err) {
    for (const code of ['ECONFLICT', 'EESCAPE', 'ENOENT', 'ENOTDIR', 'EEXIST'] as const) {
      if (isHostError(err, code)) throw folderChanged(`${ctx.host.name}:${path} changed since it was observed (${err.message}); observing again`);
    }
    throw err;
  }
}

export async function applyNamespace(changes: UnifiedNamespaceChange[], observed: UnifiedNamespaceObserved, ctx: Ctx): Promise<void> {
  for (const step of applySteps(changes)) {
    ctx.signal.throwIfAborted();
    if (step.length === 1) {
      await applyChange(step[0]!, observed, ctx);
      continue;
    }
    // Independent changes (apply-steps.ts): all are tried, so each lands or fails on its own; the first failure
    // is the run's (the next run observes again and plans what is left).
    const results = await Promise.allSettled(step.map((change) => applyChange(change, observed, ctx)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

async function applyChange(change: UnifiedNamespaceChange, observed: UnifiedNamespaceObserved, ctx: Ctx): Promise<void> {
  const { host } = ctx;
  const root = ctx.resource.spec.root;
  switch (change.action) {
    case 'create':
      await createFolder(change, ctx);
      break;
    case 'chown': {
      const check = { within: treeOf(root, change.path), expect: expectedInode(change) };
      await checked(ctx, change.path, () => host.chownChecked(change.path, change.uid, change.gid, check));
      break;
    }
    case 'chmod': {
      const check = { within: treeOf(root, change.path), expect: expectedInode(change) };
      await checked(ctx, change.path, () => host.chmodChecked(change.path, change.mode, check));
      break;
    }
    case 'delete': {
      const path = change.item.id;
      await checked(ctx, path, () => host.rmdirChecked(path, { within: treeOf(root, path), expect: expectedInode(change) }));
      ctx.forgetInventory(change.item);
      break;
    }
    case 'release':
      ctx.forgetInventory(change.item);
      break;
    case 'complete-record':
      await ctx.recordInventory(createdItem(change.item, { dev: change.dev, ino: change.ino }));
      break;
    case 'edit-config':
      await applyShareEdit(change, observed, ctx);
      break;
  }
  ctx.log.debug({ action: change.action, target: change.target }, change.summary);
}

/** Failures of mkdirChecked that say for sure no folder was made (or that it is gone again). */
const NOT_CREATED = ['EEXIST', 'EESCAPE', 'ENOENT', 'ENOTDIR'] as const;

/**
 * Intent → mkdir → complete record (inventory.ts): at no moment does a folder made here lack a record.
 * Recording an item again replaces its detail (the state store upserts).
 */
async function createFolder(change: MkdirChange, ctx: Ctx): Promise<void> {
  const { host } = ctx;
  const within = treeOf(ctx.resource.spec.root, change.path);
  const intent = intentItem(host.name, change.path);
  await ctx.recordInventory(intent);
  const st = await checked(ctx, change.path, async () => {
    try {
      return await host.mkdirChecked(change.path, 0o700, { within });
    } catch (err) {
      // Something else there (EEXIST) is never taken for ours; an unclear failure keeps the intent for the next plan.
      if (NOT_CREATED.some((code) => isHostError(err, code))) ctx.forgetInventory(intent);
      throw err;
    }
  });
  // Completed at once: a failure below still leaves it known as this very folder (and removable when empty).
  await ctx.recordInventory(createdItem(intent, st));
  const check = { within, expect: { dev: st.dev, ino: st.ino } };
  if (change.owner) {
    const { uid, gid } = change.owner;
    await checked(ctx, change.path, () => host.chownChecked(change.path, uid, gid, check));
  }
  await checked(ctx, change.path, () => host.chmodChecked(change.path, change.mode, check));
}
