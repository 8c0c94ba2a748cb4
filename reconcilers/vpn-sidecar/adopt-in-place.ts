/**
 * The one side effect of in-place adoption (plan/adoption.ts): after a converged run, each container the plan
 * found matching its declaration is recorded in the resource's inventory as owned, with the spec hash it matched,
 * and an event says so. Nothing on the Docker host changes. Runs from verify, so `apply` adopts and `diff` never.
 */
import type { ReconcileContext } from '../core/contract.js';
import { adoptionItem, type InPlaceAdoption } from './plan/index.js';
import type { VpnSidecarSpec } from './spec.js';

export async function recordInPlaceAdoptions(adoptions: readonly InPlaceAdoption[], ctx: ReconcileContext<VpnSidecarSpec>): Promise<void> {
  for (const adoption of adoptions) {
    await ctx.recordInventory(adoptionItem(ctx.host.name, adoption));
    ctx.event(
      'Normal',
      'AdoptedInPlace',
      `${adoption.name} (${adoption.id.slice(0, 12)}) matches its declaration: adopted as it runs, not recreated (a later spec change recreates it with homeostat's labels)`,
    );
  }
}
