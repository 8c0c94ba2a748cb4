/**
 * LxcDevice's side effects: config edits through lxc-config's `applyConfigEdit` (record in the inventory,
 * compare-and-swap write under pct's lock on Proxmox, forget: a crash in between never leaves a line homeostat
 * wrote without a record); restarts; and, on delete, lxc-config's `removeOwnLines` (exactly the inventory's
 * lines), then a restart of the spec's container when it runs and `restart: if-running`.
 */
import type { ReconcileContext } from '../core/contract.js';
import { applyConfigEdit, containerTools, removeOwnLines, type ConfigSnapshot } from '../lxc-config/index.js';
import type { LxcDeviceChange, LxcDeviceMemo, LxcDeviceObserved } from './model.js';
import type { LxcDeviceSpec } from './spec.js';

type Ctx = ReconcileContext<LxcDeviceSpec>;

export async function applyLxcDevice(changes: LxcDeviceChange[], observed: LxcDeviceObserved, ctx: Ctx): Promise<void> {
  const memo = ctx.memo as LxcDeviceMemo;
  for (const change of changes) {
    ctx.signal.throwIfAborted();
    switch (change.action) {
      case 'edit-config':
        await applyConfigEdit(ctx, change, snapshotFor(observed, change.location.path));
        break;
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

/** Removes exactly the inventory's lines; restarts the spec's container when it runs and `restart: if-running`. */
export async function finalizeLxcDevice(ctx: Ctx): Promise<void> {
  const spec = ctx.resource.spec;
  for (const { location } of await removeOwnLines(ctx)) {
    if (spec.restart !== 'if-running' || location.container !== spec.container) continue;
    const tools = containerTools(ctx.host, location.flavor, location.container);
    if ((await tools.state(ctx.signal)).running) {
      await tools.restart(ctx.signal);
      ctx.event('Normal', 'Restarted', `restarted container ${location.container} (${tools.restartCommand}) so that the devices are gone`);
    }
  }
}
