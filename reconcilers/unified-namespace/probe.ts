/**
 * The hardlink probe: proves on the real filesystem what device ids only suggest. A small file is written in
 * the root, hardlinked into every declared folder (link(2)), and every name is removed again, whatever happens.
 * EXDEV means the folder is on another mount (even a bind mount of the same filesystem, which has the same
 * device id); EPERM means the filesystem refuses hardlinks. Files are named after the resource, so a probe cut
 * short is cleaned up by the next one.
 */
import { posix } from 'node:path';
import { isHostError, type Host } from '../host/index.js';
import { folderLabel } from './layout.js';
import { formatDevice } from './mounts.js';
import type { ObservedFolder } from './model.js';

export interface ProbeFailure {
  folder: ObservedFolder;
  code: 'EXDEV' | 'EPERM';
  message: string;
}

export function probeFileName(resourceName: string): string {
  return `.homeostat-hardlink-probe-${resourceName}`;
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

/** Runs the probe; `[]` when every folder accepts a hardlink from the root. */
export async function hardlinkProbe(host: Host, folders: readonly ObservedFolder[], resourceName: string): Promise<ProbeFailure[]> {
  const root = folders[0]!;
  const rootDev = root.state.kind === 'directory' ? formatDevice(root.state.dev) : '?';
  const name = probeFileName(resourceName);
  const source = posix.join(root.path, name);
  await host.unlink(source);
  await host.writeFileAtomic(source, 'homeostat hardlink probe: safe to delete\n', { fsync: false, mode: 0o600 });
  try {
    const results = await Promise.all(
      probeTargets(folders).map(async (folder): Promise<ProbeFailure | null> => {
        const link = posix.join(folder.path, name);
        await host.unlink(link);
        try {
          await host.link(source, link);
          return null;
        } catch (err) {
          if (!isHostError(err, 'EXDEV') && !isHostError(err, 'EPERM')) throw err;
          const st = await host.stat(folder.path);
          const device = st ? formatDevice(st.dev) : '?';
          const message = isHostError(err, 'EXDEV')
            ? `hardlink probe: link(2) from the root ${root.path} (device ${rootDev}) into ${folderLabel(folder)} (device ${device}) failed with EXDEV: they are on different mounts`
            : `hardlink probe: link(2) from the root ${root.path} into ${folderLabel(folder)} failed with EPERM: the filesystem (device ${device}) refuses hardlinks`;
          return { folder, code: isHostError(err, 'EXDEV') ? 'EXDEV' : 'EPERM', message };
        } finally {
          await host.unlink(link);
        }
      }),
    );
    return results.filter((r): r is ProbeFailure => r !== null);
  } finally {
    await host.unlink(source);
  }
}
