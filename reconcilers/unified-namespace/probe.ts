/**
 * The hardlink probe: proves on the real filesystem what device ids only suggest. An empty file is made in the
 * root, hardlinked into every declared folder (link(2)), and every name is removed again, whatever happens; all
 * through descriptors of the folders observed (`Host.probeHardlinks`), so a container swapping a folder for a
 * symlink at that moment cannot make it create or remove anything outside the tree.
 * EXDEV means the folder is on another mount (even a bind mount of the same filesystem, which has the same
 * device id); EPERM means the filesystem refuses hardlinks. Files are named after the resource, so a probe cut
 * short is cleaned up by the next one.
 */
import type { CheckedFolder, Host } from '../host/index.js';
import { folderLabel, treeOf } from './layout.js';
import { formatDevice } from './mounts.js';
import type { ObservedFolder } from './model.js';
import { SCRATCH_PREFIX } from '../core/scratch.js';

export interface ProbeFailure {
  folder: ObservedFolder;
  code: 'EXDEV' | 'EPERM';
  message: string;
}

export function probeFileName(resourceName: string): string {
  return `${SCRATCH_PREFIX}hardlink-probe-${resourceName}`; // .homeostat-scratch-hardlink-probe-NAME
}

/** Folders the probe links into: every declared folder that is a real folder or a symlink within the root. */
export function probeTargets(folders: readonly ObservedFolder[]): ObservedFolder[] {
  return folders.filter(
    (f) => f.rel !== '' && (f.state.kind === 'directory' || (f.state.kind === 'symlink' && f.state.insideRoot && f.state.resolved?.type === 'directory')),
  );
}

/** The identity of what the probe tests: when it changes, the probe runs again. */
export function probeSignature(folders: readonly ObservedFolder[]): string {
  return folders
    .map((f) => {
      const s = f.state;
      if (s.kind === 'directory') return `${f.rel}=${s.dev}:${s.ino}${s.mountpoint ? 'm' : ''}`;
      if (s.kind === 'symlink') return `${f.rel}->${s.target}:${s.resolved?.dev ?? '-'}`;
      return `${f.rel}:${s.kind}`;
    })
    .join('|');
}

/**
 * Where the probe acts for one folder, as a checked folder: a real folder must still be the inode observed
 * (inside its tree); a symlink within the root is probed at the folder it leads to, which must lie in the root.
 */
function probeFolder(rootPath: string, folder: ObservedFolder): CheckedFolder {
  const s = folder.state;
  if (s.kind === 'symlink' && s.target !== null) return { path: s.target, check: { within: rootPath } };
  const expect = s.kind === 'directory' ? { dev: s.dev, ino: s.ino } : undefined;
  return { path: folder.path, check: { within: treeOf(rootPath, folder.path), expect } };
}

/**
 * Runs the probe; `[]` when every folder accepts a hardlink from the root. Every step acts through descriptors
 * of the folders checked (`Host.probeHardlinks`), never by path: a folder swapped for a symlink meanwhile is
 * refused (ECONFLICT) and nothing is made or removed outside the tree.
 */
export async function hardlinkProbe(host: Host, folders: readonly ObservedFolder[], resourceName: string): Promise<ProbeFailure[]> {
  const root = folders[0]!;
  const rootDev = root.state.kind === 'directory' ? formatDevice(root.state.dev) : '?';
  const targets = probeTargets(folders);
  if (targets.length === 0) return [];
  const outcomes = await host.probeHardlinks(
    probeFolder(root.path, root),
    targets.map((folder) => probeFolder(root.path, folder)),
    probeFileName(resourceName),
  );
  const failures = await Promise.all(
    targets.map(async (folder, i): Promise<ProbeFailure | null> => {
      const code = outcomes[i];
      if (code === 'linked' || code === undefined) return null;
      const st = await host.stat(folder.path);
      const device = st ? formatDevice(st.dev) : '?';
      const message =
        code === 'EXDEV'
          ? `hardlink probe: link(2) from the root ${root.path} (device ${rootDev}) into ${folderLabel(folder)} (device ${device}) failed with EXDEV: they are on different mounts`
          : `hardlink probe: link(2) from the root ${root.path} into ${folderLabel(folder)} failed with EPERM: the filesystem (device ${device}) refuses hardlinks`;
      return { folder, code, message };
    }),
  );
  return failures.filter((f): f is ProbeFailure => f !== null);
}
