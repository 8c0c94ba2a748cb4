/**
 * What VpnSidecar's `observe` returns and its `plan` emits: plain data (no Docker objects, no secret values), so
 * that planning stays pure and every change prints itself for `diff`.
 */
import type { Change } from '../core/contract.js';
import type { DesiredContainer } from './desired.js';
import type { Role } from './labels.js';
import type { LiveConfig } from './live-config.js';
import type { ControlServerFault, PublicIp } from './control-server.js';
import type { VpnSidecarStallReason } from './reasons.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthStatus = 'none' | 'starting' | 'healthy' | 'unhealthy';

/** A volume (named or anonymous) mounted in a container: kept across a recreate. */
export interface VolumeMount {
  name: string;
  destination: string;
  readOnly: boolean;
}

export interface ObservedContainer {
  id: string;
  name: string;
  /** The image reference the container was created from (Config.Image). */
  image: string;
  /** The id of the image it runs (Image), when known: `pull: always` compares it with the tag's current id. */
  imageId?: string;
  /** The owner label (`VpnSidecar/<name>`), or null when homeostat did not create it. */
  owner: string | null;
  /** The role label (`gateway` / `dependent`), or null. */
  role: string | null;
  specHash: string | null;
  /** The spec-fields label, parsed. */
  fields: Record<string, string>;
  /** sha256 of each environment variable's value, by name. Values themselves are never kept. */
  envHashes: Record<string, string>;
  status: ContainerStatus;
  /** Docker's State.StartedAt (RFC 3339 with nanoseconds); 0001-01-01T00:00:00Z when never started. */
  startedAt: string;
  health: HealthStatus;
  /** HostConfig.NetworkMode: `container:<id>` for a dependent, `bridge`, `default`, a network name, ... */
  networkMode: string;
  /**
   * For network mode `container:<id>`: that container, and whether it runs (if it is not the gateway and runs,
   * this container's traffic leaves through it: a leak). Null for any other mode.
   */
  peer: { id: string; running: boolean } | null;
  /** Networks the container is attached to itself (a dependent has none). */
  networks: string[];
  volumes: VolumeMount[];
  /** The main process on the Docker host (0 when not running). */
  pid: number;
  /** Inode of /proc/<pid>/ns/net, when the Docker host's /proc is readable through the Host. */
  netns: number | null;
  /**
   * A container without homeostat's owner label, read when `spec.adopt` is on, for in-place adoption
   * (plan/adoption.ts). `imageFound` false: its image is gone, so its defaults are unknown.
   */
  live?: LiveConfig & { imageFound: boolean };
  /** Owned through an inventory record of an in-place adoption (it has no homeostat labels). */
  adoptedInPlace?: true;
}

export interface ObservedApp {
  /** The app's listening port, or null when it could not be read. */
  listenPort: number | null;
  error?: string;
}

export interface ObservedPortForwarding {
  /** The port the VPN forwards (0: none yet), or null when the control server could not be read. */
  forwardedPort: number | null;
  error?: string;
  /** By dependent name. */
  apps: Record<string, ObservedApp>;
}

/** The leak probe's attempt, from where it ran. `unavailable`: it could not run there (not a verdict). */
export type ObservedProbe =
  | { result: 'connected'; from: string }
  | { result: 'failed'; from: string; error: string }
  | { result: 'unavailable'; error: string };

/** What gluetun's control server says about the tunnel (read when homeostat talks to it and the gateway runs). */
export interface ObservedTunnel {
  /** gluetun's VPN status (`running`, `stopped`, `starting`, `crashed`, ...), or null when it could not be read. */
  status: string | null;
  /** Why it could not be read. */
  error?: { fault: ControlServerFault; message: string };
  /** Where the VPN exits, when gluetun knows (null: it knows none, or it could not be read). */
  publicIp: PublicIp | null;
  /** The leak probe, when the spec has one and gluetun says the tunnel is not running; otherwise null. */
  probe: ObservedProbe | null;
}

export interface VpnObserved {
  gateway: ObservedContainer | null;
  /** By dependent name; null when no container has that name. */
  dependents: Record<string, ObservedContainer | null>;
  /** Containers labelled as this resource's that the spec no longer declares. */
  strays: ObservedContainer[];
  /** sha256 of each referenced secret file's value, by file. */
  secrets: Record<string, string>;
  /** Whether each declared image is present on the Docker host. */
  images: Record<string, boolean>;
  /** The image id each declared reference points to on the Docker host (null: absent), when read. */
  imageIds?: Record<string, string | null>;
  /** Null when no dependent uses port forwarding, or the gateway is not running. */
  portForwarding: ObservedPortForwarding | null;
  /** Null when homeostat does not talk to the control server, or the gateway is not running. */
  tunnel: ObservedTunnel | null;
}

export interface ContainerRef {
  id: string;
  name: string;
  role: Role;
}

/**
 * A container with a dependent's name whose traffic leaves around the kill switch: on another network, or (the leak
 * probe) in the gateway's network namespace while the tunnel is down and a connection still gets out. Stopped first.
 */
export interface StopLeakChange extends Change {
  action: 'stop';
  ref: ContainerRef;
  networkMode: string;
  /** Found by the leak probe (the NoLeak condition reports it) rather than by its network mode. */
  leakProbe?: true;
}

export interface PullChange extends Change {
  action: 'pull';
  image: string;
  /** `pull: always` with the image on the Docker host: a failed pull is a warning and the local image is used. */
  present?: true;
}

/** A container this resource created that the spec no longer declares. */
export interface RemoveChange extends Change {
  action: 'remove';
  ref: ContainerRef;
}

export interface CreateChange extends Change {
  action: 'create';
  desired: DesiredContainer;
}

export interface RecreateChange extends Change {
  action: 'recreate';
  desired: DesiredContainer;
  old: ContainerRef;
  reasons: string[];
  /** Volumes of the old container that the spec does not declare (anonymous ones): mounted again. */
  carry: VolumeMount[];
}

export interface StartChange extends Change {
  action: 'start';
  ref: ContainerRef;
}

export interface RestartChange extends Change {
  action: 'restart';
  ref: ContainerRef;
  reason: string;
}

export interface SetListenPortChange extends Change {
  action: 'set-listen-port';
  dependent: string;
  from: number;
  to: number;
}

/** After stopping leaks: containers homeostat may not touch (not its own, adopt: false). Apply stalls. */
export interface StallChange extends Change {
  action: 'stall';
  reason: VpnSidecarStallReason;
  message: string;
}

export type VpnChange =
  | StopLeakChange
  | PullChange
  | RemoveChange
  | CreateChange
  | RecreateChange
  | StartChange
  | RestartChange
  | SetListenPortChange
  | StallChange;
