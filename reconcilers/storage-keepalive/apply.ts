/**
 * StorageKeepalive's side effects: write heartbeats (timing each one: slow means the disk had spun down),
 * converge the cron file with a compare-and-swap write, remove files the spec no longer wants, and, on delete,
 * remove exactly the inventory. Every write goes through `Host`; the inventory is updated as each step lands.
 */
import { performance } from 'node:perf_hooks';
import { RetryableError, type ReconcileContext } from '../core/contract.js';
import { durationMs, formatMs } from '../core/duration.js';
import { forgetKeepaliveMetrics, keepaliveMetrics } from './metrics.js';
import type { HeartbeatChange, StorageKeepaliveChange, StorageKeepaliveMemo, StorageKeepaliveObserved } from './model.js';
import type { StorageKeepaliveSpec } from './spec.js';
import { fileItem } from './targets.js';

type Ctx = ReconcileContext<StorageKeepaliveSpec>;

export async function applyKeepalive(
  changes: StorageKeepaliveChange[],
  observed: StorageKeepaliveObserved,
  ctx: Ctx,
): Promise<void> {
  for (const change of changes) {
    ctx.signal.throwIfAborted();
    switch (change.action) {
      case 'heartbeat':
        await writeHeartbeat(change, ctx);
        break;
      case 'write':
        // Only over the bytes we planned against: a human's edit in between is a conflict, retried from observe.
        await ctx.host.writeFileAtomic(change.path, change.content, {
          expected: observed.cron?.file?.raw ?? null,
          mode: change.mode,
          fsync: true,
          signal: ctx.signal,
        });
        await ctx.recordInventory(fileItem(ctx.host.name, change.path));
        break;
      case 'chmod':
        await ctx.host.chmod(change.path, change.mode);
        break;
      case 'adopt':
        await ctx.recordInventory(change.item);
        break;
      case 'delete':
        await ctx.host.unlink(change.item.id);
        ctx.forgetInventory(change.item);
        break;
    }
    ctx.log.debug({ action: change.action, target: change.target }, change.summary);
  }
}

async function writeHeartbeat(change: HeartbeatChange, ctx: Ctx): Promise<void> {
  // The plan saw a mountpoint; the disk may have gone since. Never write onto the filesystem below it.
  if (change.guardMountpoint !== null && !(await ctx.host.isMountpoint(change.guardMountpoint))) {
    throw new RetryableError('NotMounted', `${change.guardMountpoint} stopped being a mountpoint before the heartbeat; nothing written`);
  }
  const at = new Date(ctx.now).toISOString();
  const started = performance.now();
  await ctx.host.writeFileAtomic(change.path, `${at}\n`, { fsync: change.fsync, signal: ctx.signal });
  const latencyMs = performance.now() - started;

  if (change.record) await ctx.recordInventory(fileItem(ctx.host.name, change.path));
  const memo: StorageKeepaliveMemo = { lastHeartbeatAt: ctx.now, lastHeartbeatPath: change.path };
  Object.assign(ctx.memo, memo);
  ctx.setStatus({ lastHeartbeat: at, lastHeartbeatLatencyMs: Math.round(latencyMs * 10) / 10 });

  const resource = ctx.resource.metadata.name;
  const metrics = keepaliveMetrics();
  metrics.heartbeatSeconds.observe({ resource }, latencyMs / 1000);
  const slowMs = durationMs(ctx.resource.spec.slowThreshold);
  if (latencyMs > slowMs) {
    metrics.diskWakeups.inc({ resource });
    ctx.event(
      'Warning',
      'DiskWokeUp',
      `heartbeat to ${ctx.host.name}:${change.path} took ${formatMs(latencyMs)} (slow threshold ${ctx.resource.spec.slowThreshold}): the disk had probably spun down`,
    );
  }
}

/** Remove the files in the inventory (only those, only on this resource's host), forgetting each as it goes. */
export async function finalizeKeepalive(ctx: Ctx): Promise<void> {
  for (const item of ctx.inventory) {
    if (item.type !== 'file') continue;
    if (item.host !== ctx.host.name) {
      ctx.log.warn({ item }, `cannot remove ${item.host}:${item.id} through host ${ctx.host.name}; left in the inventory`);
      continue;
    }
    ctx.signal.throwIfAborted();
    await ctx.host.unlink(item.id);
    ctx.forgetInventory(item);
  }
  forgetKeepaliveMetrics(ctx.resource.metadata.name);
}
