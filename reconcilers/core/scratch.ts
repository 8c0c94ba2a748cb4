/**
 * homeostat's own scratch files (e.g. UnifiedNamespace's hardlink probe) are named `.homeostat-…`. Creating and
 * removing them inside watched folders is not drift: the controller ignores watch events on them, so a check that
 * writes scratch files cannot trigger itself (a Stalled probe re-probing on its own events was a busy loop).
 */
import { posix } from 'node:path';

export const SCRATCH_PREFIX = '.homeostat-';

/** True when the last component of `path` is a homeostat scratch file name. */
export function isScratchPath(path: string): boolean {
  return posix.basename(path).startsWith(SCRATCH_PREFIX);
}
