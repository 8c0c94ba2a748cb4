/**
 * What the tunnel's observation means, pure: VpnSidecar's own conditions (`NoLeak`, then `TunnelUp`: the most
 * important first, so a leak is Ready's reason before a tunnel that is down), the status fields (tunnel state, public
 * IP and place), whether the leak probe found traffic leaving around the tunnel (the plan stops the dependents then,
 * and keeps them stopped until the tunnel is up), and when the probe runs again.
 *
 * Ready: TunnelUp False makes Ready False (reason TunnelDown). The kill switch still keeps the dependents' traffic in,
 * but they have no network: the lab is not doing its job, and a person should hear of it. TunnelUp Unknown (the control
 * server cannot be asked) leaves Ready alone: it is no evidence of a fault, and a hiccup must not flap Ready.
 */
import type { KindCondition } from '../core/contract.js';
import { parseDuration } from '../core/duration.js';
import type { ControlServerFault } from './control-server.js';
import type { ObservedTunnel, VpnObserved } from './model.js';
import type { NoLeakReason, TunnelUpReason } from './reasons.js';
import type { VpnLeakProbe, VpnSidecarSpec } from './spec.js';

const DEFAULT_PROBE_TIMEOUT_MS = 3_000;
const DEFAULT_PROBE_INTERVAL_MS = 60_000;

export function probeTimeoutMs(probe: VpnLeakProbe): number {
  return parseDuration(probe.timeout) ?? DEFAULT_PROBE_TIMEOUT_MS;
}

export function probeIntervalMs(probe: VpnLeakProbe): number {
  return parseDuration(probe.interval) ?? DEFAULT_PROBE_INTERVAL_MS;
}

/** gluetun answered, and the VPN is not running. */
export function tunnelDown(tunnel: ObservedTunnel | null): boolean {
  return tunnel !== null && tunnel.status !== null && tunnel.status !== 'running';
}

/** The leak probe got out while the tunnel is down. */
export function leakFound(observed: Pick<VpnObserved, 'tunnel'>): boolean {
  return tunnelDown(observed.tunnel) && observed.tunnel?.probe?.result === 'connected';
}

/** `with the tunnel down (gluetun: stopped), a TCP connection to 1.1.1.1:443 from <where>`: what the probe did. */
function attempt(spec: VpnSidecarSpec, tunnel: ObservedTunnel, from: string): string {
  const probe = spec.leakProbe!;
  const address = probe.address.includes(':') ? `[${probe.address}]` : probe.address;
  return `with the tunnel down (gluetun: ${tunnel.status}), a TCP connection to ${address}:${probe.port} from ${from}`;
}

/** Why a dependent is stopped for a leak the probe found (also the NoLeak message). */
export function leakMessage(spec: VpnSidecarSpec, observed: Pick<VpnObserved, 'tunnel'>): string {
  const tunnel = observed.tunnel!;
  const from = tunnel.probe && 'from' in tunnel.probe ? tunnel.probe.from : 'the dependents\' network namespace';
  return `${attempt(spec, tunnel, from)} got out: traffic leaves around the tunnel`;
}

const UNKNOWN_REASON: Record<ControlServerFault, TunnelUpReason> = {
  unreachable: 'ControlServerUnreachable',
  refused: 'ControlServerRefused',
  'bad-answer': 'ControlServerError',
};

function condition<R extends string>(type: string, status: KindCondition['status'], reason: R, message: string): KindCondition {
  return { type, status, reason, message };
}

/** TunnelUp (and NoLeak first when the spec has a leak probe); none when the tunnel was not read. */
export function tunnelConditions(spec: VpnSidecarSpec, observed: Pick<VpnObserved, 'tunnel'>): KindCondition[] {
  const tunnel = observed.tunnel;
  if (!tunnel) return [];
  const conditions: KindCondition[] = [];
  if (spec.leakProbe) conditions.push(noLeakCondition(spec, tunnel, observed));
  conditions.push(tunnelUpCondition(tunnel));
  return conditions;
}

function tunnelUpCondition(tunnel: ObservedTunnel): KindCondition {
  const at = (reason: TunnelUpReason, status: KindCondition['status'], message: string) => condition('TunnelUp', status, reason, message);
  if (tunnel.status === null) {
    const error = tunnel.error ?? { fault: 'unreachable' as const, message: 'no answer' };
    return at(UNKNOWN_REASON[error.fault], 'Unknown', `cannot ask gluetun's control server: ${error.message}`);
  }
  if (tunnel.status !== 'running') return at('TunnelDown', 'False', `gluetun reports the VPN ${tunnel.status}: the dependents have no way out until it runs again`);
  const exit = tunnel.publicIp ? `, exiting at ${tunnel.publicIp.ip}${placeOf(tunnel) ? ` (${placeOf(tunnel)})` : ''}` : '';
  return at('TunnelUp', 'True', `gluetun reports the VPN running${exit}`);
}

function noLeakCondition(spec: VpnSidecarSpec, tunnel: ObservedTunnel, observed: Pick<VpnObserved, 'tunnel'>): KindCondition {
  const at = (reason: NoLeakReason, status: KindCondition['status'], message: string) => condition('NoLeak', status, reason, message);
  const probe = tunnel.probe;
  if (tunnel.status === null) return at('NotProbed', 'Unknown', 'the tunnel\'s state is unknown, so the probe would prove nothing');
  if (tunnel.status === 'running' || !probe) {
    return at('NotProbed', 'Unknown', 'the probe runs while the tunnel is down (through a running tunnel a connection proves nothing)');
  }
  if (probe.result === 'unavailable') return at('ProbeUnavailable', 'Unknown', probe.error);
  if (probe.result === 'connected') return at('KillSwitchViolation', 'False', `${leakMessage(spec, observed)}; the dependents are stopped until the tunnel is up`);
  return at('KillSwitchHeld', 'True', `${attempt(spec, tunnel, probe.from)} failed (${probe.error}), as it must`);
}

function placeOf(tunnel: ObservedTunnel): string {
  const ip = tunnel.publicIp;
  return ip ? [ip.city, ip.region, ip.country].filter((p) => p !== undefined).join(', ') : '';
}

/**
 * The status fields: `tunnel` (gluetun's VPN status, `unknown` when it cannot be asked), `publicIp`, `country`,
 * `region`, `city`. A field with nothing to say is set to undefined, which drops it from the stored status (JSON).
 */
export function tunnelStatusFields(observed: Pick<VpnObserved, 'tunnel'>): Record<string, unknown> {
  const tunnel = observed.tunnel;
  const ip = tunnel?.publicIp ?? null;
  return {
    tunnel: tunnel ? (tunnel.status ?? 'unknown') : undefined,
    publicIp: ip?.ip,
    country: ip?.country,
    region: ip?.region,
    city: ip?.city,
  };
}
