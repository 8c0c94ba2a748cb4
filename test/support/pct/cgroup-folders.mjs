/**
 * Proxmox's running-state folder, emulated. On a cgroup-v2 Proxmox host (PVE 7/8) a running CT <vmid> has
 * `/sys/fs/cgroup/lxc/<vmid>/`, made by LXC when the CT starts and removed when it stops, so listing
 * `/sys/fs/cgroup/lxc` names every running CT at once. In the stand-in world CT <vmid> of sandbox root R is a
 * real container, and `R/sys/fs/cgroup/lxc/<vmid>/` exists exactly while that container runs, whoever starts or
 * stops it (pct, lxc-start/lxc-stop, its init dying), because two LXC hooks in its config keep it in step:
 *
 *   lxc.hook.start-host = <this folder>/cgroup-hook up <lxcpath>/<name>/pve-standin-cgroup-folders
 *   lxc.hook.stop       = <this folder>/cgroup-hook down <lxcpath>/<name>/pve-standin-cgroup-folders
 *
 * The folders file lists the sandbox folders the container stands for (one per root and vmid) and is read at
 * every start and stop, so a folder registered while the container runs is removed at its next stop. LXC reads
 * the hook lines only when a container starts: install them while it is stopped (createTestContainer does at
 * creation, the stand-in before every start).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureConfigLines, writeAtomic } from './real-lxc.mjs';

export const HOOK_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'cgroup-hook');
const FOLDERS_FILE = 'pve-standin-cgroup-folders';

/** `<root>/sys/fs/cgroup/lxc/<vmid>`: where Proxmox's folder of CT `vmid` is in sandbox `root` (never `/`). */
export function cgroupFolder(root, vmid) {
  if (!root.startsWith('/') || root === '/' || /[\n\r]/.test(root)) throw new Error(`pct stand-in: unusable sandbox root for a cgroup folder: ${JSON.stringify(root)}`);
  if (!/^[1-9]\d*$/.test(String(vmid))) throw new Error(`pct stand-in: bad vmid ${JSON.stringify(vmid)}`);
  return join(root, 'sys/fs/cgroup/lxc', String(vmid));
}

const foldersFile = (containerDir) => join(containerDir, FOLDERS_FILE);

/**
 * The two hook lines for the real container in `containerDir` (`<lxcpath>/<name>`). LXC runs a hook line
 * through `sh -c` but first strips a value's outer quotes, so the paths go unquoted and must need no quoting.
 */
export function cgroupHookLines(containerDir) {
  for (const path of [HOOK_SCRIPT, containerDir]) {
    if (!/^\/[\w./+-]*$/.test(path)) throw new Error(`pct stand-in: ${JSON.stringify(path)} would need quoting in an LXC hook line`);
  }
  const hook = (action) => `${HOOK_SCRIPT} ${action} ${foldersFile(containerDir)}`;
  return [`lxc.hook.start-host = ${hook('up')}`, `lxc.hook.stop = ${hook('down')}`];
}

/** Whether the container's config already has both hook lines (then a running instance keeps its folders in step). */
export function cgroupHooksInstalled(containerDir) {
  const config = readFileSync(join(containerDir, 'config'), 'utf8').split('\n');
  return cgroupHookLines(containerDir).every((line) => config.includes(line));
}

/** Appends the hook lines the config lacks; nothing else in it changes. Takes effect at the next start. */
export function installCgroupHooks(containerDir) {
  ensureConfigLines(join(containerDir, 'config'), cgroupHookLines(containerDir));
}

function readFolders(containerDir) {
  const file = foldersFile(containerDir);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function writeFolders(containerDir, folders) {
  writeAtomic(foldersFile(containerDir), folders.map((f) => `${f}\n`).join(''), 0o644);
}

/** Adds `folder` to the container's list (idempotent). */
export function registerCgroupFolder(containerDir, folder) {
  const folders = readFolders(containerDir);
  if (!folders.includes(folder)) writeFolders(containerDir, [...folders, folder]);
}

/** Removes `folder` from the container's list, when the container (still) exists. */
export function unregisterCgroupFolder(containerDir, folder) {
  if (!existsSync(containerDir)) return;
  const folders = readFolders(containerDir);
  if (folders.includes(folder)) writeFolders(containerDir, folders.filter((f) => f !== folder));
}

/** Makes `folder` exist exactly when `running` (what the hooks do at start and stop). */
export function matchCgroupFolder(folder, running) {
  if (running) {
    mkdirSync(folder, { recursive: true });
    return;
  }
  try {
    rmdirSync(folder);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
}
