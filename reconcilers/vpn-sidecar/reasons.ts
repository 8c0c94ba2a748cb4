/**
 * The reasons VpnSidecar reports, one union per kind of condition: why it stalls (a person must act), why a run
 * failed and is retried (what Ready says meanwhile; `DockerUnreachable` comes from the host layer), why it
 * is Degraded (it works, but not as declared), and those of its own conditions TunnelUp and NoLeak.
 */

/** Stalled until a person acts: the Host has no Docker endpoint; a declared name belongs to a container homeostat does not own. */
export type VpnSidecarStallReason = 'NoDockerEndpoint' | 'ContainerNotOwned';

/** Retried with backoff, and shown as Ready's reason meanwhile. */
export type VpnSidecarRetryReason =
  /** After a converged run, a dependent does not share the gateway's network stack. */
  | 'KillSwitchNotVerified'
  /** The gateway did not become healthy (or settle), exited, or disappeared: its dependents were not started. */
  | 'GatewayNotReady'
  /** An image could not be pulled; nothing was removed. */
  | 'ImagePullFailed'
  /** A secret file does not exist, cannot be read, or holds something no secret can be (several lines, a NUL). */
  | 'SecretFileMissing'
  | 'SecretFileUnreadable'
  | 'SecretFileInvalid';

/** Degraded: the containers run, but not everything works as declared. */
export type VpnSidecarDegradedReason = 'GatewayRestarting' | 'GatewayUnhealthy' | 'PortForwardingUnavailable' | 'NoForwardedPort';

/** TunnelUp: True `TunnelUp`; False `TunnelDown` (gluetun reports the VPN not running); Unknown when the control server cannot be asked. */
export type TunnelUpReason = 'TunnelUp' | 'TunnelDown' | 'ControlServerUnreachable' | 'ControlServerRefused' | 'ControlServerError';

/**
 * NoLeak (with spec.leakProbe): True `KillSwitchHeld` (with the tunnel down, the probe's connection failed); False
 * `KillSwitchViolation` (it got out: the same reason as a dependent stopped for running outside the gateway); Unknown
 * `NotProbed` (the tunnel is up, or its state unknown) or `ProbeUnavailable` (the probe could not run).
 */
export type NoLeakReason = 'KillSwitchHeld' | 'KillSwitchViolation' | 'NotProbed' | 'ProbeUnavailable';
