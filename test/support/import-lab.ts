/**
 * What the `import host` end-to-end tests share: a fingerprint of every path under a sandbox root (bytes of
 * files, mtime, ctime, mode and owner), so that "the import and the diff wrote nothing" is one comparison (the
 * ctime catches a chmod or chown that set a value back to what it was), and the import → validate → diff sequence
 * every one of them runs.
 */
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { runCli, type CliRun } from './built-cli.js';

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

/** A lab's sandbox root, manifests folder (holding the Host `pve`) and state folder. */
export interface ImportLabPaths {
  root: string;
  manifests: string;
  state: string;
}

/**
 * `import host pve` on the lab, its output written beside the Host as imported.yaml, then `validate` and `diff`: the
 * import exits 0 without a word on stderr and writes nothing under the root, validate finds no error, and diff has
 * no change (exit 0). Returns the import's output, the root as it was before, and the diff's run.
 */
export function importValidateDiff(lab: ImportLabPaths, env: NodeJS.ProcessEnv): { imported: string; before: Map<string, string>; diff: CliRun } {
  const before = treeState(lab.root);
  const run = runCli(['import', 'host', 'pve', '--manifests', lab.manifests, '--state', lab.state], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(treeState(lab.root)).toEqual(before); // the import wrote nothing
  writeFileSync(join(lab.manifests, 'imported.yaml'), run.stdout);

  const validate = runCli(['validate', '--manifests', lab.manifests], env);
  expect(validate.stdout + validate.stderr).not.toMatch(/error/i);
  expect(validate.code).toBe(0);
  const diff = runCli(['diff', '--manifests', lab.manifests, '--state', lab.state], env);
  expect(diff.stdout + diff.stderr, diff.stdout + diff.stderr).not.toMatch(/^[~!-] /m);
  expect(diff.code).toBe(0);
  return { imported: run.stdout, before, diff };
}
