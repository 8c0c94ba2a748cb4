/**
 * Step 2 of VpnSidecar's plan: containers with a declared name that homeostat did not create for this resource
 * are never touched unless `spec.adopt` says so. Without adopt the resource stalls (ContainerNotOwned): at once
 * when nothing was planned before, else after the leaks are stopped (a `stall` change ends the plan).
 */
import { StalledError } from '../../core/contract.js';
import type { ObservedContainer } from '../model.js';
import { leaks } from './leaks.js';
import { containerTarget, extend, shortId, type VpnPlanStep } from './step.js';
import type { VpnSidecarStallReason } from '../reasons.js';

export const planForeign: VpnPlanStep = ({ spec, observed, owner }, plan) => {
  const gw = observed.gateway;
  const foreign = [gw, ...spec.dependents.map((d) => observed.dependents[d.name] ?? null)].filter(
    (c): c is ObservedContainer => c !== null && c.owner !== owner,
  );
  if (foreign.length === 0 || spec.adopt) return plan;
  const message = foreign
    .map(
      (c) =>
        `container ${c.name} (${shortId(c.id)}) exists but was not created by homeostat for ${owner}` +
        (c.owner ? ` (it belongs to ${c.owner})` : '') +
        (leaks(c, gw) ? '; it bypassed the kill switch and is stopped' : '; it is left as it is'),
    )
    .join('; ');
  const full = `${message}. Remove it, or set spec.adopt: true to let homeostat recreate it`;
  const reason: VpnSidecarStallReason = 'ContainerNotOwned';
  if (plan.changes.length === 0) throw new StalledError(reason, full);
  return extend(plan, {
    changes: [{ action: 'stall', target: containerTarget(foreign[0]!.name), summary: `then stop: ${full}`, reason, message: full }],
    final: true,
  });
};
