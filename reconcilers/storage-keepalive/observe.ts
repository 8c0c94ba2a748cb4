/**
 * StorageKeepalive's observation: is `spec.path` there and a mountpoint, and the one file the mode cares about
 * (the heartbeat file's mtime, or the cron file's bytes and mode). Reads only; never touches the disk's data.
 */
import type { ReconcileContext } from '../core/contract.js';
import { CRON_DIR, cronFilePath } from './cron.js';
import type { ObservedFile, StorageKeepaliveObserved } from './model.js';
import type { StorageKeepaliveSpec } from './spec.js';
import { heartbeatPath } from './targets.js';

export async function observeKeepalive(ctx: ReconcileContext<StorageKeepaliveSpec>): Promise<StorageKeepaliveObserved> {
  const spec = ctx.resource.spec;
  const host = ctx.host;
  const pathStat = await host.stat(spec.path);
  const isDirectory = pathStat?.type === 'directory';
  const target = {
    exists: pathStat !== null,
    isDirectory,
    isMountpoint: isDirectory ? await host.isMountpoint(spec.path) : false,
  };

  if (spec.mode === 'controller') {
    const heartbeatStat = isDirectory ? await host.stat(heartbeatPath(spec)) : null;
    return { target, heartbeat: heartbeatStat ? { mtimeMs: heartbeatStat.mtimeMs } : null, cron: null };
  }

  const path = cronFilePath(ctx.resource.metadata.name);
  const [dirStat, raw, fileStat] = await Promise.all([
    host.stat(CRON_DIR),
    host.readFileIfExists(path, { signal: ctx.signal }),
    host.stat(path),
  ]);
  const file: ObservedFile | null =
    raw === null ? null : { raw, content: raw.toString('utf8'), mode: fileStat?.mode ?? 0 };
  return { target, heartbeat: null, cron: { dirExists: dirStat?.type === 'directory', file } };
}
