/**
 * Delete: remove exactly the containers this resource owns (its inventory, and anything labelled as its own
 * that the inventory lost; one adopted in place is owned through its inventory record), dependents before the
 * gateway, each stopped gracefully and removed without its volumes. A container whose owner label says otherwise
 * is never touched.
 */
import type { ReconcileContext } from '../core/contract.js';
import { containerItem } from './apply.js';
import { explainDockerError, inspectContainer, stopAndRemoveContainer } from '../host/index.js';
import { dockerOf, toObserved } from './docker.js';
import { LABELS, ownerOf } from './labels.js';
import { withAdoptionRecord } from './plan/index.js';
import type { VpnSidecarSpec } from './spec.js';

export async function finalizeVpn(ctx: ReconcileContext<VpnSidecarSpec>): Promise<void> {
  const docker = dockerOf(ctx.host);
  const owner = ownerOf(ctx.resource.metadata.name);
  try {
    const inventoried = ctx.inventory.filter((i) => i.type === 'container' && i.host === ctx.host.name);
    const labelled = await docker.listContainers({ all: true, filters: { label: [`${LABELS.owner}=${owner}`] }, abortSignal: ctx.signal } as object);
    const ids = [...new Set([...inventoried.map((i) => i.id), ...labelled.map((c) => c.Id)])];
    const found = await Promise.all(ids.map(async (id) => ({ id, info: await inspectContainer(docker, id, ctx.signal) })));
    const owned = found.flatMap(({ id, info }) => {
      const c = info ? withAdoptionRecord(toObserved(info), owner, inventoried, ctx.host.name) : null;
      if (c && c.owner === owner) return [c];
      const item = inventoried.find((i) => i.id === id);
      if (item) ctx.forgetInventory(item); // gone, or no longer ours: nothing to remove
      return [];
    });
    // Dependents first: the gateway goes last, so nothing is ever left with a network of its own.
    owned.sort((a, b) => Number(a.role === 'gateway') - Number(b.role === 'gateway'));
    for (const c of owned) {
      ctx.signal.throwIfAborted();
      await stopAndRemoveContainer(docker, c.id, ctx.signal);
      ctx.forgetInventory(containerItem(ctx.host.name, { id: c.id, name: c.name, role: c.role === 'gateway' ? 'gateway' : 'dependent' }));
      ctx.log.info({ container: c.name, id: c.id.slice(0, 12) }, 'removed');
    }
  } catch (err) {
    throw explainDockerError(ctx.host.name, docker, err);
  }
}
