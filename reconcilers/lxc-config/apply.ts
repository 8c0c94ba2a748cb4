/**
 * Writing into configs shared with humans, crash-safe, the same way for every kind:
 *
 * - `applyConfigEdit`: record the added lines in the inventory, compare-and-swap write, forget the removed
 *   ones. A crash after the write (kill -9, power) never leaves a line homeostat wrote without a record, so
 *   deleting the resource always removes it; a crash before the write leaves only a record of a line that is
 *   not there, which the next plan forgets. A write refused for sure (the file changed, locked, too large)
 *   takes its records back at once.
 * - `removeOwnLines` (finalize): remove exactly the inventory's lines from each config, then forget them.
 */
import type { ReconcileContext } from '../core/contract.js';
import { isHostError } from '../host/index.js';
import type { EditConfigChange } from './change.js';
import { isLineItem, lineOf, linesByPath } from './inventory.js';
import { ConfigError, writeConfig, type ConfigSnapshot } from './io.js';
import { locationOfPath, type ConfigLocation } from './paths.js';
import { updateConfig } from './update.js';

/** What these steps need from a run's context (any kind's). */
export type ConfigEditContext = Pick<ReconcileContext<unknown>, 'host' | 'signal' | 'inventory' | 'recordInventory' | 'forgetInventory' | 'event' | 'log'>;

/** Record → compare-and-swap write against `snapshot` (the bytes the plan saw) → forget; event `ConfigEdited`. */
export async function applyConfigEdit(ctx: ConfigEditContext, change: EditConfigChange, snapshot: ConfigSnapshot): Promise<void> {
  if (snapshot.location.path !== change.location.path) {
    throw new Error(`the edit of ${change.location.path} was given the snapshot of ${snapshot.location.path}`);
  }
  await Promise.all(change.record.map((item) => ctx.recordInventory(item))); // one commit, one fsync, for all
  try {
    await writeConfig(ctx.host, snapshot, change.text, { signal: ctx.signal });
  } catch (err) {
    if (notWritten(err)) for (const item of change.record) ctx.forgetInventory(item);
    throw err;
  }
  for (const item of change.forget) ctx.forgetInventory(item);
  ctx.event('Normal', 'ConfigEdited', `${change.summary}: ${change.details.join('; ')}`);
}

/** The write certainly did not happen: the compare-and-swap refused, or the config was refused before writing. */
function notWritten(err: unknown): boolean {
  return isHostError(err, 'ECONFLICT') || err instanceof ConfigError;
}

/** One config `removeOwnLines` changed. */
export interface RemovedLines {
  location: ConfigLocation;
  removed: string[];
}

/**
 * Removes the inventory's config lines (only those; one occurrence each, main section) from every config on
 * this host, forgetting each config's items once its write landed (or when its lines or the config are gone).
 * Returns the configs it changed. Lines recorded on another host are left in the inventory, with a warning.
 */
export async function removeOwnLines(ctx: ConfigEditContext): Promise<RemovedLines[]> {
  const host = ctx.host;
  for (const item of ctx.inventory) {
    if (isLineItem(item, item.host) && item.host !== host.name) {
      ctx.log.warn({ item }, `cannot remove ${item.host}:${item.id} through host ${host.name}; left in the inventory`);
    }
  }
  const changed: RemovedLines[] = [];
  for (const [path, items] of linesByPath(ctx.inventory, host.name)) {
    ctx.signal.throwIfAborted();
    const location = locationOfPath(path);
    const lines = items.map((i) => lineOf(i).line);
    const result = await updateConfig(
      host,
      location,
      (doc) => {
        const present = new Set(doc.lines.slice(0, doc.mainEnd).map((l) => l.text));
        return { add: [], remove: lines.filter((l) => present.has(l)) };
      },
      { signal: ctx.signal },
    );
    for (const item of items) ctx.forgetInventory(item);
    if (!result?.written) continue;
    ctx.event('Normal', 'ConfigEdited', `removed from ${host.name}:${path}: ${result.edit.remove.join('; ')}`);
    changed.push({ location, removed: [...result.edit.remove] });
  }
  return changed;
}
