/**
 * The StorageKeepalive spec as reconcilers see it: after ajv has validated it against
 * `crds/storagekeepalive.yaml` and filled in every default. (A local copy until the generated
 * `crds/types.ts` replaces it; keep the two identical.)
 */

export interface StorageKeepaliveSpec {
  /** The Host whose disk to keep awake. Default `local`. */
  host: string;
  /** Absolute path of the disk's mountpoint (or a directory on it). */
  path: string;
  /** How often to write the heartbeat: `^[0-9]+(ms|s|m|h)$`. Default `5m`. */
  interval: string;
  /** `write-fsync` writes and fsyncs (reaches the disk now); `touch` only writes. Default `write-fsync`. */
  method: 'write-fsync' | 'touch';
  /** `controller`: homeostat writes the heartbeat itself; `cron`: a converged `/etc/cron.d` file does. Default `controller`. */
  mode: 'controller' | 'cron';
  /** Never write unless `path` is a mountpoint (an unplugged disk leaves a bare directory). Default true. */
  requireMountpoint: boolean;
  /** Name of the heartbeat file inside `path`. Default `.homeostat-keepalive`. */
  file: string;
  /** A heartbeat slower than this means the disk had spun down (event `DiskWokeUp`). Default `2s`. */
  slowThreshold: string;
}
