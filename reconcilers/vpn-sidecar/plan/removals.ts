/**
 * Step 3 of VpnSidecar's plan: containers this resource created that the spec no longer declares are removed
 * (stopped gracefully, their volumes and data kept).
 */
import { containerTarget, extend, ref, shortId, type VpnPlanStep } from './step.js';

export const planRemovals: VpnPlanStep = ({ observed, owner }, plan) =>
  extend(plan, {
    changes: observed.strays.map((stray) => ({
      action: 'remove',
      target: containerTarget(stray.name),
      summary: `remove ${stray.name} (${shortId(stray.id)}): ${owner} no longer declares it (its volumes and data stay)`,
      ref: ref(stray, stray.role === 'gateway' ? 'gateway' : 'dependent'),
    })),
  });
