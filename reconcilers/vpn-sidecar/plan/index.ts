/**
 * VpnSidecar's sub-planners, in the order `planVpn` (../plan.ts) runs them, each a pure step of the same shape
 * (step.ts); and `leaks`, the kill-switch rule the watch applies at once.
 */
export { planLeaks, leaks, isUp } from './leaks.js';
export { planForeign } from './foreign.js';
export { planRemovals } from './removals.js';
export { planGateway, SETTLING_RECHECK_MS } from './gateway.js';
export { planDependents, gatewayRenewal, type GatewayRenewal } from './dependents.js';
export { planPulls, isContainerChange } from './pulls.js';
export { planPortForwarding, PORT_FORWARDING_RECHECK_MS } from './port-forwarding.js';
export { recreateReasons, describeDesired } from './container-changes.js';
export { adoptedInPlaceOf, adoptionItem, adoptionNote, inPlaceAdoptions, inPlaceMismatches, withAdoptionRecord, type InPlaceAdoption } from './adoption.js';
export type { VpnPlanDraft, VpnPlanInput, VpnPlanStep } from './step.js';
