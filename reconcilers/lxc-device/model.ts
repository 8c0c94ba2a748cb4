/**
 * What LxcDevice's observe returns and its plan emits: plain data, so planning stays pure and every change
 * prints itself for `diff`.
 */
import type { Change, InventoryItem, Plan } from '../core/contract.js';
import type { ConfigReadReason, ConfigSnapshot, ContainerState, DeviceType, EditConfigChange } from '../lxc-config/index.js';

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

/** `edit-config`: add and remove lines in one config file (one compare-and-swap write; see lxc-config). */
export type LxcDeviceChange = EditConfigChange | ForgetChange | RestartChange | StartChange;

/** The plan, and what verify reports from it: the human lines the config relies on. */
export interface LxcDevicePlan extends Plan<LxcDeviceChange> {
  adopted: string[];
}

/** Why an LxcDevice waits for a person (the Stalled condition's reason). */
export type LxcDeviceStallReason =
  | 'InvalidSpec'
  | 'ContainerNotFound'
  | 'DeviceNotFound'
  | 'NotADevice'
  | 'ConflictingDevice'
  | 'NoFreeDeviceIndex'
  | ConfigReadReason;

/** Keys LxcDevice keeps in `ReconcileContext.memo`. */
export interface LxcDeviceMemo {
  /** Set while homeostat restarts this container; a stopped container with this set is started again. */
  restartingContainer?: string;
  /** Human lines relied upon at the last verify (for the `Adopted` event). */
  adoptedLines?: string[];
}
