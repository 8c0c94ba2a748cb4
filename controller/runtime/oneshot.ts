/**
 * The one-shot commands built on the same pieces as the daemon: `diff` (observe + pure plan against the live
 * hosts, in a dry-run context from run-context.ts, changing nothing) and `apply` (converge every resource once
 * through the controller session, then exit), and an offline `prune --confirm`.
 */
import type { Logger } from 'pino';
import type { Change, InventoryItem, Plan, Reconciler } from '../../reconcilers/core/contract.js';
import { isStalledError } from '../../reconcilers/core/contract.js';
import { errorMessage, formatProblem } from '../../reconcilers/core/problem.js';
import { planInputOf } from '../../reconcilers/core/machine.js';
import { keyOf, type Resource, type ResourceKey } from '../../reconcilers/core/resource.js';
import { loadManifestDir, readRevision, type ManifestError } from '../manifests/index.js';
import { StateStore } from '../state/store.js';
import { listResourceViews, type ResourceView } from '../status/views.js';
import { openControllerSession } from './session.js';
import { HostPool, type HostSpecInput } from './hosts.js';
import { buildRunEnv } from './run-context.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface OneShotOptions {
  manifestsDir: string;
  stateDir: string;
  log: Logger;
  reconcilers: Reconciler<any, any, Change>[];
}

export class ManifestsInvalid extends Error {
  override readonly name = 'ManifestsInvalid';
  constructor(readonly errors: ManifestError[]) {
    super(`${errors.length} manifest error(s)`);
  }
}

async function loadSnapshot(dir: string) {
  const { resources, errors } = await loadManifestDir(dir);
  if (errors.length > 0) throw new ManifestsInvalid(errors);
  return { resources: new Map(resources.map((r) => [keyOf(r), r] as const)), revision: await readRevision(dir) };
}

export interface ResourceDiff {
  key: ResourceKey;
  host: string;
  changes: Change[];
  degraded?: string;
  /** The resource could not be planned (host unreachable, stalled...). */
  error?: string;
  /** The resource is gone from the manifests: its inventory would be pruned. */
  prune?: InventoryItem[];
}

/** Plans every resource against its live host; changes nothing anywhere. */
export async function diffOnce(opts: OneShotOptions): Promise<ResourceDiff[]> {
  const snapshot = await loadSnapshot(opts.manifestsDir);
  const store = existsSync(join(opts.stateDir, 'state.db')) ? new StateStore(opts.stateDir, { readonly: true }) : null;
  const hosts = new HostPool({ manifestsDir: opts.manifestsDir, stateDir: opts.stateDir, log: opts.log });
  const byKind = new Map(opts.reconcilers.map((r) => [r.kind, r]));
  try {
    const hostResources = [...snapshot.resources.values()].filter((r) => r.kind === 'Host') as Resource<HostSpecInput>[];
    await hosts.update(hostResources);
    const diffs: ResourceDiff[] = [];
    for (const resource of snapshot.resources.values()) {
      const reconciler = byKind.get(resource.kind);
      if (!reconciler) continue;
      diffs.push(await diffResource(resource, reconciler, hosts, store, opts.log));
    }
    for (const row of store?.listResources() ?? []) {
      const key = `${row.kind}/${row.name}`;
      if (snapshot.resources.has(key)) continue;
      const inventory = store!.listInventory(row.kind, row.name);
      diffs.push({ key, host: row.host, changes: [], prune: inventory });
    }
    return diffs;
  } finally {
    await hosts.closeAll();
    store?.close();
  }
}

async function diffResource(
  resource: Resource,
  reconciler: Reconciler<any, any, Change>,
  hosts: HostPool,
  store: StateStore | null,
  log: Logger,
): Promise<ResourceDiff> {
  const key = keyOf(resource);
  const hostName = reconciler.hostOf(resource.spec, resource.metadata.name);
  const host = hosts.get(hostName);
  if (!host) return { key, host: hostName, changes: [], error: `no Host named "${hostName}"` };
  const problems = reconciler.validate?.(resource.spec) ?? [];
  if (problems.length > 0) return { key, host: hostName, changes: [], error: problems.map(formatProblem).join('; ') };
  const { env } = buildRunEnv({ resource, reconciler, host, signal: AbortSignal.timeout(60_000) }, { mode: 'dryRun', store, log });
  try {
    const observed = await reconciler.observe(env.ctx);
    const plan: Plan = reconciler.plan(resource.spec, observed, planInputOf(env));
    return {
      key,
      host: hostName,
      changes: plan.changes,
      ...(plan.degraded ? { degraded: `${plan.degraded.reason}: ${plan.degraded.message}` } : {}),
    };
  } catch (err) {
    return { key, host: hostName, changes: [], error: isStalledError(err) ? `${err.reason}: ${err.message}` : errorMessage(err) };
  }
}

/** Converges every resource once (and prunes what left the manifests, within the guard); returns the views. */
export async function applyOnce(opts: OneShotOptions & { confirmPrune?: boolean }): Promise<{ views: ResourceView[]; held: string[] }> {
  const snapshot = await loadSnapshot(opts.manifestsDir);
  const session = openControllerSession({ ...opts, drainMs: 30_000 });
  const { store, controller } = session;
  try {
    await controller.accept(snapshot);
    if (opts.confirmPrune) controller.confirmPrune();
    await controller.idle();
    const held = controller.desired.held();
    const keys = new Set(controller.desired.keys());
    return { views: listResourceViews(store).filter((v) => keys.has(`${v.kind}/${v.name}`)), held };
  } finally {
    await session.close();
  }
}
