/**
 * homeostat's own scratch files — made and removed again within one operation, e.g. UnifiedNamespace's hardlink probe —
 * are named `.homeostat-scratch-…`. Creating and removing them inside watched folders is not drift: the controller
 * ignores watch events on them, so a check that writes scratch files cannot trigger itself (a Stalled probe re-probing
 * on its own events was a busy loop). Files a resource keeps (a StorageKeepalive heartbeat) are not scratch.
 */
import { posix } from 'node:path';

export const SCRATCH_PREFIX = '.homeostat-scratch-';

/** True when the last component of `path` is a homeostat scratch file name. */
export function isScratchPath(path: string): boolean {
  return posix.basename(path).startsWith(SCRATCH_PREFIX);
}
