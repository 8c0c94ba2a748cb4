/** Types of the pct stand-in's emulation of Proxmox's `/sys/fs/cgroup/lxc/<vmid>/` running-state folders. */
export const HOOK_SCRIPT: string;
export function cgroupFolder(root: string, vmid: string | number): string;
export function cgroupHookLines(containerDir: string): string[];
export function cgroupHooksInstalled(containerDir: string): boolean;
export function installCgroupHooks(containerDir: string): void;
export function registerCgroupFolder(containerDir: string, folder: string): void;
export function unregisterCgroupFolder(containerDir: string, folder: string): void;
export function matchCgroupFolder(folder: string, running: boolean): void;
