/**
 * What the `import host` end-to-end tests share: a fingerprint of every path under a sandbox root (bytes of
 * files, mtime, ctime, mode and owner), so that "the import and the diff wrote nothing" is one comparison. The
 * ctime catches a chmod or chown that set a value back to what it was.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every path under `root` (symlinks not followed) with its bytes (files), mtime, ctime, mode and owner. */
export function treeState(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      out.set(relative(root, path), `${st.mtimeMs}:${st.ctimeMs}:${st.mode}:${st.uid}:${st.gid}:${st.isFile() ? readFileSync(path, 'base64') : ''}`);
      if (st.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}
