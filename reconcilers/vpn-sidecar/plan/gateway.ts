/**
 * Step 4 of VpnSidecar's plan: the gateway. Created when missing, recreated when it no longer matches its
 * declaration (or is adopted), started when it is down. While Docker's restart policy is at work on it the
 * plan waits (GatewayRestarting, nothing more planned; its events trigger a run); a running gateway whose
 * healthcheck fails is GatewayUnhealthy (its dependents stay behind it, without network).
 */
import { desiredGateway } from '../desired.js';
import { createChange, pulledImageReason, recreateChange, recreateReasons } from './container-changes.js';
import { isUp } from './leaks.js';
import { containerTarget, degradedBecause, extend, ref, type VpnPlanStep } from './step.js';

/** How soon to look again while something outside homeostat's hands settles (Docker restarting the gateway). */
export const SETTLING_RECHECK_MS = 1_000;

export const planGateway: VpnPlanStep = ({ spec, observed, owner }, plan) => {
  const gw = observed.gateway;
  const desired = desiredGateway(spec, observed.secrets);
  if (!gw) return extend(plan, { changes: [createChange(desired)] });
  const reasons = recreateReasons(gw, desired, owner);
  const pulled = pulledImageReason(gw, desired, observed);
  if (pulled) reasons.push(pulled);
  if (reasons.length > 0) return extend(plan, { changes: [recreateChange(gw, desired, reasons, [])] });
  if (gw.status === 'restarting' || gw.status === 'removing') {
    return extend(plan, {
      degraded: degradedBecause('GatewayRestarting', `the gateway ${gw.name} is ${gw.status}`),
      requeueAfterMs: SETTLING_RECHECK_MS,
      final: true,
    });
  }
  if (!isUp(gw)) {
    return extend(plan, {
      changes: [{ action: 'start', target: containerTarget(gw.name), summary: `start the gateway ${gw.name} (it is ${gw.status})`, ref: ref(gw, 'gateway') }],
    });
  }
  if (gw.health === 'unhealthy') {
    return extend(plan, {
      degraded: degradedBecause('GatewayUnhealthy', `the gateway ${gw.name} reports unhealthy (its dependents stay behind it, without network)`),
    });
  }
  return plan;
};
