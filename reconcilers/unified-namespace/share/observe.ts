/**
 * Reads the config of every container the tree is shared into, and of every container holding a line this
 * resource wrote earlier (so that it can be removed when the spec stops wanting it). Read-only.
 */
import type { ReconcileContext } from '../../core/contract.js';
import { errorMessage } from '../../core/problem.js';
import { configLocation, isConfigReadError, linesByPath, locationOfPath, readConfig, type ConfigLocation } from '../../lxc-config/index.js';
import type { UnifiedNamespaceSpec } from '../spec.js';
import type { ObservedConfig } from './model.js';

export async function observeShares(ctx: ReconcileContext<UnifiedNamespaceSpec>): Promise<ObservedConfig[]> {
  const containers = new Set(ctx.resource.spec.shareInto.map((s) => s.container));
  for (const path of linesByPath(ctx.inventory, ctx.host.name).keys()) containers.add(locationOfPath(path).container);
  return Promise.all([...containers].sort().map((container) => observeConfig(ctx, container)));
}

async function observeConfig(ctx: ReconcileContext<UnifiedNamespaceSpec>, container: string): Promise<ObservedConfig> {
  let location: ConfigLocation;
  try {
    location = configLocation(ctx.host.platform, container);
  } catch (err) {
    return { container, location: null, snapshot: null, problem: { reason: 'InvalidContainer', message: errorMessage(err) } };
  }
  try {
    const snapshot = await readConfig(ctx.host, location, { signal: ctx.signal });
    return { container, location, snapshot, problem: null };
  } catch (err) {
    if (isConfigReadError(err)) return { container, location, snapshot: null, problem: { reason: err.reason, message: err.message } };
    throw err;
  }
}
