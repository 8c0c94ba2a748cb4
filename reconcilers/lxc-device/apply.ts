/**
 * LxcDevice's side effects: compare-and-swap config edits (under pct's lock on Proxmox), recording the added
 * lines in the inventory before the write and forgetting removed ones after it, so that a crash in between
 * never leaves a line homeostat wrote without a record; restarts; and, on delete, removing exactly the
 * inventory's lines.
 */
import type { ReconcileContext } from '../core/contract.js';
import { writeConfig, updateConfig, type ConfigSnapshot } from '../lxc-config/index.js';
import { containerTools } from './container.js';
import { lineOf, linesByPath } from './inventory.js';
import type { LxcDeviceChange, LxcDeviceMemo, LxcDeviceObserved } from './model.js';
import { locationOfPath } from './observe.js';
import type { LxcDeviceSpec } from './spec.js';

type Ctx = ReconcileContext<LxcDeviceSpec>;

export async function applyLxcDevice(changes: LxcDeviceChange[], observed: LxcDeviceObserved, ctx: Ctx): Promise<void> {
  const memo = ctx.memo as LxcDeviceMemo;
  for (const change of changes) {
    ctx.signal.throwIfAborted();
    switch (change.action) {
      case 'edit': {
        const snapshot = snapshotFor(observed, change.path);
        for (const item of change.record) ctx.recordInventory(item);
        await writeConfig(ctx.host, snapshot, change.text, { signal: ctx.signal });
        for (const item of change.forget) ctx.forgetInventory(item);
        ctx.event('Normal', 'ConfigEdited', `${change.summary}: ${change.details?.join('; ')}`);
        break;
      }
      case 'forget':
        for (const item of change.items) ctx.forgetInventory(item);
        break;
      case 'restart': {
        const tools = containerTools(ctx.host, observed.platform, change.container);
        memo.restartingContainer = change.container;
        await tools.restart(ctx.signal);
        delete memo.restartingContainer;
        ctx.event('Normal', 'Restarted', `restarted container ${change.container} (${tools.restartCommand}) so that the device change takes effect`);
        break;
      }
      case 'start':
        await containerTools(ctx.host, observed.platform, change.container).start(ctx.signal);
        delete memo.restartingContainer;
        ctx.event('Normal', 'Started', `started container ${change.container} again after an interrupted restart`);
        break;
    }
    ctx.log.debug({ action: change.action, target: change.target }, change.summary);
  }
}

function snapshotFor(observed: LxcDeviceObserved, path: string): ConfigSnapshot {
  if (observed.config.location.path === path) return observed.config;
  const other = observed.otherConfigs[path];
  if (!other) throw new Error(`planned an edit of ${path}, which was not observed`);
  return other;
}

/**
 * Removes the inventory's lines (only those; one occurrence each) from every config on this host, forgetting
 * each as it goes; restarts the spec's container when it runs and `restart: if-running`.
 */
export async function finalizeLxcDevice(ctx: Ctx): Promise<void> {
  const spec = ctx.resource.spec;
  const host = ctx.host;
  for (const item of ctx.inventory) {
    if (item.type === 'config-line' && item.host !== host.name) {
      ctx.log.warn({ item }, `cannot remove ${item.host}:${item.id} through host ${host.name}; left in the inventory`);
    }
  }
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
    if (spec.restart !== 'if-running' || location.container !== spec.container) continue;
    const tools = containerTools(host, location.flavor, location.container);
    if ((await tools.state(ctx.signal)).running) {
      await tools.restart(ctx.signal);
      ctx.event('Normal', 'Restarted', `restarted container ${location.container} (${tools.restartCommand}) so that the devices are gone`);
    }
  }
}
