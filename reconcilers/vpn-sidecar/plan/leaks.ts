/**
 * Step 1 of VpnSidecar's plan: a container with a dependent's name whose traffic would not go through the
 * gateway leaks around the kill switch; it is stopped before anything else happens. Two ways to know: its network
 * mode (another mode, or the network stack of another running container; `leaks` is also what the watch uses to
 * stop one at once), or the leak probe (with the tunnel down, a connection from the dependents' network namespace
 * still got out: every dependent is stopped, and planDependents keeps them stopped until the tunnel is up). While the
 * tunnel stays down the probe is run again every `leakProbe.interval`.
 */
import type { ObservedContainer, VpnChange } from '../model.js';
import { leakFound, leakMessage, probeIntervalMs, tunnelDown } from '../tunnel.js';
import { containerTarget, describeMode, extend, ref, type VpnPlanStep } from './step.js';

const UP = new Set(['running', 'paused', 'restarting']);

export function isUp(c: ObservedContainer): boolean {
  return UP.has(c.status);
}

/** Traffic of `c` would not go through `gateway`: another network mode, or sharing a container that runs. */
export function leaks(c: ObservedContainer, gateway: ObservedContainer | null): boolean {
  if (!isUp(c)) return false;
  if (!c.networkMode.startsWith('container:')) return true;
  return c.peer !== null && c.peer.id !== gateway?.id && c.peer.running;
}

export const planLeaks: VpnPlanStep = ({ spec, observed }, plan) => {
  const gw = observed.gateway;
  const probed = leakFound(observed);
  const changes: VpnChange[] = [];
  for (const d of spec.dependents) {
    const c = observed.dependents[d.name];
    if (!c) continue;
    if (leaks(c, gw)) {
      changes.push({
        action: 'stop',
        target: containerTarget(c.name),
        summary: `stop ${c.name} at once: it runs on network mode ${describeMode(c.networkMode, gw)}, outside the gateway ${spec.gateway.name} (kill switch)`,
        ref: ref(c, 'dependent'),
        networkMode: c.networkMode,
      });
    } else if (probed && isUp(c)) {
      changes.push({
        action: 'stop',
        target: containerTarget(c.name),
        summary: `stop ${c.name} at once: ${leakMessage(spec, observed)} (leak probe)`,
        ref: ref(c, 'dependent'),
        networkMode: c.networkMode,
        leakProbe: true,
      });
    }
  }
  const reprobe = spec.leakProbe && tunnelDown(observed.tunnel) ? { requeueAfterMs: probeIntervalMs(spec.leakProbe) } : {};
  return extend(plan, { changes, ...reprobe });
};
