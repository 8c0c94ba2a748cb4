/**
 * Step 7 of VpnSidecar's plan: the VPN's forwarded port delivered to the app that receives it, once no container
 * changes (an app that was just created or restarted may not answer yet: looked at again soon). A forwarded
 * port that cannot be read, is not there yet, or cannot be delivered is Degraded, and rechecked soon.
 */
import type { VpnChange } from '../model.js';
import { usesPortForwarding } from '../desired.js';
import { isContainerChange } from './pulls.js';
import { degradedBecause, extend, type VpnPlanStep } from './step.js';

/** How soon to try delivering the forwarded port again after it could not be. */
export const PORT_FORWARDING_RECHECK_MS = 5_000;

export const planPortForwarding: VpnPlanStep = ({ spec, observed }, plan) => {
  const pf = observed.portForwarding;
  if (plan.changes.length > 0) {
    const containersChange = plan.changes.some(isContainerChange) && usesPortForwarding(spec);
    return containersChange ? extend(plan, { requeueAfterMs: PORT_FORWARDING_RECHECK_MS }) : plan;
  }
  if (!pf) return plan;
  const recheck = { requeueAfterMs: PORT_FORWARDING_RECHECK_MS };
  if (pf.forwardedPort === null) {
    return extend(plan, { ...recheck, degraded: degradedBecause('PortForwardingUnavailable', `cannot read the forwarded port: ${pf.error ?? 'unknown error'}`) });
  }
  if (pf.forwardedPort === 0) return extend(plan, { ...recheck, degraded: degradedBecause('NoForwardedPort', 'the VPN has not forwarded a port (yet)') });
  const changes: VpnChange[] = [];
  const problems: string[] = [];
  for (const dependent of spec.dependents) {
    if (!dependent.portForwarding) continue;
    const app = pf.apps[dependent.name];
    if (!app || app.listenPort === null) {
      problems.push(`${dependent.name}: ${app?.error ?? 'not reachable'}`);
      continue;
    }
    if (app.listenPort !== pf.forwardedPort) {
      changes.push({
        action: 'set-listen-port',
        target: `app/${dependent.name}`,
        summary: `set ${dependent.name}'s listening port ${app.listenPort} → ${pf.forwardedPort} (the VPN's forwarded port)`,
        dependent: dependent.name,
        from: app.listenPort,
        to: pf.forwardedPort,
      });
    }
  }
  if (problems.length === 0) return extend(plan, { changes });
  const message = `cannot deliver the forwarded port ${pf.forwardedPort}: ${problems.join('; ')}`;
  return extend(plan, { ...recheck, changes, degraded: degradedBecause('PortForwardingUnavailable', message) });
};
