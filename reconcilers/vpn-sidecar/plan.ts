/**
 * VpnSidecar's plan, pure: from the spec and what Docker shows, the steps that make the gateway and its
 * dependents run as declared, as an ordered list of sub-planners (each `(input, plan so far) → plan`, see
 * plan/step.ts), in the order that keeps the kill switch shut:
 *   1. planLeaks: stop any container with a dependent's name whose traffic would not go through the gateway
 *      (its network mode, or the leak probe getting out while the tunnel is down),
 *   2. planForeign: stall on containers with declared names that homeostat does not own (unless adopt),
 *   3. planRemovals: remove containers it owns that the spec no longer declares,
 *   4. planGateway: create, recreate (which field changed) or start the gateway,
 *   5. planDependents: each dependent created or recreated on the gateway's current id, restarted when it sits
 *      in an older network namespace than the gateway's (the gateway restarted), started when it is not running
 *      (none of it while the probe finds a leak),
 *   6. planPulls: missing images pulled before any of that (nothing is removed for a declaration that cannot
 *      be created),
 *   7. planPortForwarding: the forwarded port delivered to the app.
 * Then, beside the changes, the containers homeostat did not create that already match their declaration
 * (`adoptInPlace`, plan/adoption.ts): no change, so `diff` stays empty and only notes them; verify records them
 * as owned.
 */
import type { Plan, PlanInput } from '../core/contract.js';
import { ownerOf } from './labels.js';
import type { VpnChange, VpnObserved } from './model.js';
import {
  adoptionNote,
  inPlaceAdoptions,
  planDependents,
  planForeign,
  planGateway,
  planLeaks,
  planPortForwarding,
  planPulls,
  planRemovals,
  type InPlaceAdoption,
  type VpnPlanDraft,
  type VpnPlanStep,
} from './plan/index.js';
import type { VpnSidecarSpec } from './spec.js';

export { SETTLING_RECHECK_MS, PORT_FORWARDING_RECHECK_MS } from './plan/index.js';

export const VPN_PLAN_STEPS: readonly VpnPlanStep[] = [planLeaks, planForeign, planRemovals, planGateway, planDependents, planPulls, planPortForwarding];

/**
 * VpnSidecar's plan: the changes, and the containers to record as adopted in place once converged (omitted when
 * none), each also a note for `diff`.
 */
export interface VpnPlan extends Plan<VpnChange> {
  adoptInPlace?: InPlaceAdoption[];
}

export function planVpn(spec: VpnSidecarSpec, observed: VpnObserved, input: PlanInput): VpnPlan {
  const at = { spec, observed, owner: ownerOf(input.name) };
  let plan: VpnPlanDraft = { changes: [] };
  for (const step of VPN_PLAN_STEPS) {
    plan = step(at, plan);
    if (plan.final) break;
  }
  const { final: _final, ...result } = plan;
  if (!spec.adopt || plan.final) return result;
  const adoptInPlace = inPlaceAdoptions(spec, observed, result.changes);
  return adoptInPlace.length > 0 ? { ...result, adoptInPlace, notes: [...(result.notes ?? []), ...adoptInPlace.map(adoptionNote)] } : result;
}
