/**
 * What LxcDevice's observe returns and its plan emits: plain data, so planning stays pure and every change
 * prints itself for `diff`.
 */
import type { Change, InventoryItem } from '../core/contract.js';
import type { ConfigSnapshot, DeviceType } from '../lxc-config/index.js';

/** A device node on the host, with the numbers `stat` gave. */
export interface HostDevice {
  path: string;
  type: DeviceType;
  major: number;
  minor: number;
}

/** One bind mount that makes devices appear in the container at the same path. */
export interface DeviceMount {
  /** Host path (a node, or a folder such as /dev/dri). */
  source: string;
  create: 'dir' | 'file';
  optional: boolean;
  /** The device nodes this mount is for: a human's mounts that expose each of them make it unnecessary. */
  covers: string[];
}

/** The spec's devices resolved on the host. */
export interface ResolvedDevices {
  nodes: HostDevice[];
  mounts: DeviceMount[];
  /** Paths of optional entries whose device is missing on the host (skipped). */
  skipped: string[];
}

export interface ContainerState {
  running: boolean;
}

export interface LxcDeviceObserved {
  platform: 'proxmox' | 'lxc';
  /** The spec's container's config. */
  config: ConfigSnapshot;
  devices: ResolvedDevices;
  /** The key device cgroup rules take on this host (`lxc.cgroup2.devices.allow`, or v1's on a legacy host). */
  cgroupKey: string;
  container: ContainerState;
  /** Configs of other containers that inventory lines live in (the spec's container changed); `null`: gone. */
  otherConfigs: Record<string, ConfigSnapshot | null>;
}

/** Add and remove lines in one config file (one compare-and-swap write). */
export interface EditConfigChange extends Change {
  action: 'edit';
  /** Host path of the config. */
  path: string;
  container: string;
  add: string[];
  remove: string[];
  /** The whole new file, computed from the observed bytes. */
  text: string;
  /** Inventory items to record before the write (what is added) and to forget after it (what is removed). */
  record: InventoryItem[];
  forget: InventoryItem[];
}

/** Inventory lines that are in no config any more (a human removed them, or the container is gone). */
export interface ForgetChange extends Change {
  action: 'forget';
  items: InventoryItem[];
}

/** Restart the running container so that it sees the new config (`restart: if-running`). */
export interface RestartChange extends Change {
  action: 'restart';
  container: string;
}

/** Start the container again: homeostat stopped it to restart it, and the start did not happen or failed. */
export interface StartChange extends Change {
  action: 'start';
  container: string;
}

export type LxcDeviceChange = EditConfigChange | ForgetChange | RestartChange | StartChange;

/** Keys LxcDevice keeps in `ReconcileContext.memo`. */
export interface LxcDeviceMemo {
  /** Set while homeostat restarts this container; a stopped container with this set is started again. */
  restartingContainer?: string;
  /** Human lines relied upon at the last verify (for the `Adopted` event). */
  adoptedLines?: string[];
}

export const CONFIG_LINE = 'config-line';
