/**
 * StorageKeepalive's observation: is `spec.path` there and a mountpoint, and the one file the mode cares about
 * (the heartbeat file's mtime, or the cron file's bytes and mode). Reads only; never touches the disk's data.
 */
import type { ReconcileContext } from '../core/contract.js';
import { CRON_DIR, cronFilePath } from './cron.js';
import type { ObservedFile, StorageKeepaliveObserved } from './model.js';
import type { StorageKeepaliveSpec } from './spec.js';
import { heartbeatPath } from './targets.js';

/**
 * Every read is issued at once: over SSH the stats of one tick share a single exec (~30–50 ms each), so an
 * observation costs one round trip, not one per question.
 */
export async function observeKeepalive(ctx: ReconcileContext<StorageKeepaliveSpec>): Promise<StorageKeepaliveObserved> {
  const spec = ctx.resource.spec;
  const host = ctx.host;
  const cronPath = cronFilePath(ctx.resource.metadata.name);
  const cronMode = spec.mode === 'cron';
  const [pathStat, mountpoint, heartbeatStat, dirStat, raw, fileStat] = await Promise.all([
    host.stat(spec.path),
    host.isMountpoint(spec.path).catch(() => false),
    cronMode ? null : host.stat(heartbeatPath(spec)).catch(() => null),
    cronMode ? host.stat(CRON_DIR) : null,
    cronMode ? host.readFileIfExists(cronPath, { signal: ctx.signal }) : null,
    cronMode ? host.stat(cronPath) : null,
  ]);
  const isDirectory = pathStat?.type === 'directory';
  const target = { exists: pathStat !== null, isDirectory, isMountpoint: isDirectory && mountpoint };

  if (!cronMode) {
    const heartbeat = isDirectory && heartbeatStat ? { mtimeMs: heartbeatStat.mtimeMs } : null;
    return { target, heartbeat, cron: null };
  }
  const file: ObservedFile | null =
    raw === null ? null : { raw, content: raw.toString('utf8'), mode: fileStat?.mode ?? 0 };
  return { target, heartbeat: null, cron: { dirExists: dirStat?.type === 'directory', file } };
}
