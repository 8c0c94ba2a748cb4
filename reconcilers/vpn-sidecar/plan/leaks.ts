/**
 * Step 1 of VpnSidecar's plan: a container with a dependent's name whose traffic would not go through the
 * gateway (another network mode, or the network stack of another running container) leaks around the kill
 * switch; it is stopped before anything else happens. `leaks` is also what the watch uses to stop one at once.
 */
import type { ObservedContainer } from '../model.js';
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
  const leaking = spec.dependents.flatMap((d) => {
    const c = observed.dependents[d.name];
    return c && leaks(c, gw) ? [c] : [];
  });
  return extend(plan, {
    changes: leaking.map((c) => ({
      action: 'stop',
      target: containerTarget(c.name),
      summary: `stop ${c.name} at once: it runs on network mode ${describeMode(c.networkMode, gw)}, outside the gateway ${spec.gateway.name} (kill switch)`,
      ref: ref(c, 'dependent'),
      networkMode: c.networkMode,
    })),
  });
};
