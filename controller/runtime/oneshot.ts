/**
 * The one-shot commands built on the same pieces as the daemon: `diff` (observe + pure plan against the live
 * hosts, in a dry-run context from run-context.ts, changing nothing) and `apply` (converge every resource once
 * through the controller session, then exit), and an offline `prune --confirm`. Both have a deadline
 * (`--timeout`, default DEFAULT_ONESHOT_TIMEOUT_MS): what has not settled by then is aborted and reported per
 * resource, so nothing (a hung host, a folder a container keeps flipping) keeps them running.
 */
import type { Logger } from 'pino';
import type { Change, InventoryItem, Plan, Reconciler } from '../../reconcilers/core/contract.js';
import { isStalledError } from '../../reconcilers/core/contract.js';
import { errorMessage, formatProblem } from '../../reconcilers/core/problem.js';
import { formatMs } from '../../reconcilers/core/duration.js';
import { planInputOf } from '../../reconcilers/core/machine.js';
import { keyOf, type Resource, type ResourceKey } from '../../reconcilers/core/resource.js';
import { StateStore } from '../state/store.js';
import { listResourceViews, type ResourceView } from '../status/views.js';
import { openControllerSession } from './session.js';
import type { HostPool } from './hosts.js';
import { startOneShot, type OneShotSource, type OneShotStart } from './oneshot-start.js';
import { buildRunEnv } from './run-context.js';
import { DEFAULT_PER_HOST_CONCURRENCY } from './controller.js';
import { mapLimited } from '../../reconcilers/core/map-limited.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export { ManifestsInvalid } from './oneshot-start.js';

export interface OneShotOptions extends OneShotSource {
  reconcilers: Reconciler<any, any, Change>[];
  /** The deadline of the whole command. Default DEFAULT_ONESHOT_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * The manifests already read and their Hosts already connecting (startOneShot, which the CLI runs before it
   * loads this module); read here when not given.
   */
  start?: OneShotStart;
}

/** `--timeout` when not given: 5 minutes. */
export const DEFAULT_ONESHOT_TIMEOUT_MS = 5 * 60_000;
/** No single resource's plan may take longer than this in `diff`, whatever the deadline. */
const PLAN_TIMEOUT_MS = 60_000;

/** A resource that had not settled when the deadline passed. */
export interface Unsettled {
  key: ResourceKey;
  /** Running (aborted at the deadline), or still waiting for its turn. */
  state: 'running' | 'queued';
}

/** Resolves true when `work` settles within `ms`, false when the deadline passes first. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ResourceDiff {
  key: ResourceKey;
  host: string;
  changes: Change[];
  degraded?: string;
  /** The plan's notes: what `diff` says that is not a change (see Plan.notes). */
  notes?: string[];
  /** The resource could not be planned (host unreachable, stalled...). */
  error?: string;
  /** The resource is gone from the manifests: its inventory would be pruned. */
  prune?: readonly InventoryItem[];
}

/** Plans every resource against its live host; changes nothing anywhere. */
export async function diffOnce(opts: OneShotOptions): Promise<ResourceDiff[]> {
  const { snapshot, hosts } = opts.start ?? (await startOneShot(opts, 'read'));
  let store: StateStore | null = null;
  try {
    store = existsSync(join(opts.stateDir, 'state.db')) ? new StateStore(opts.stateDir, { readonly: true }) : null;
  } catch (err) {
    await hosts.closeAll();
    throw err;
  }
  const byKind = new Map(opts.reconcilers.map((r) => [r.kind, r]));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ONESHOT_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const expired = new Promise<'expired'>((resolve) => deadline.addEventListener('abort', () => resolve('expired'), { once: true }));
  const late = `did not finish within ${formatMs(timeoutMs)} (--timeout)`;
  try {
    // Like the daemon: resources of one host are planned DEFAULT_PER_HOST_CONCURRENCY at a time, hosts in
    // parallel; the report keeps the manifests' order.
    const planned = [...snapshot.resources.values()].flatMap((resource) => {
      const reconciler = byKind.get(resource.kind);
      return reconciler ? [{ resource, reconciler, hostName: reconciler.hostOf(resource.spec, resource.metadata.name) }] : [];
    });
    const diffs: ResourceDiff[] = new Array(planned.length);
    const byHost = new Map<string, Array<(typeof planned)[number] & { index: number }>>();
    planned.forEach((p, index) => {
      const items = byHost.get(p.hostName) ?? [];
      items.push({ ...p, index });
      byHost.set(p.hostName, items);
    });
    await Promise.all(
      [...byHost.values()].map((items) =>
        mapLimited(items, DEFAULT_PER_HOST_CONCURRENCY, async ({ resource, reconciler, hostName, index }) => {
          const diff = deadline.aborted ? 'expired' : await Promise.race([diffResource(resource, reconciler, hosts, store, opts.log, deadline), expired]);
          diffs[index] = diff === 'expired' ? { key: keyOf(resource), host: hostName, changes: [], error: late } : diff;
        }),
      ),
    );
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
  deadline: AbortSignal,
): Promise<ResourceDiff> {
  const key = keyOf(resource);
  const hostName = reconciler.hostOf(resource.spec, resource.metadata.name);
  const host = hosts.get(hostName);
  if (!host) return { key, host: hostName, changes: [], error: `no Host named "${hostName}"` };
  const problems = reconciler.validate?.(resource.spec) ?? [];
  if (problems.length > 0) return { key, host: hostName, changes: [], error: problems.map(formatProblem).join('; ') };
  const signal = AbortSignal.any([deadline, AbortSignal.timeout(PLAN_TIMEOUT_MS)]);
  const { env } = buildRunEnv({ resource, reconciler, host, signal }, { mode: 'dryRun', store, log });
  try {
    const observed = await reconciler.observe(env.ctx);
    const plan: Plan = reconciler.plan(resource.spec, observed, planInputOf(env));
    return {
      key,
      host: hostName,
      changes: plan.changes,
      ...(plan.degraded ? { degraded: `${plan.degraded.reason}: ${plan.degraded.message}` } : {}),
      ...(plan.notes && plan.notes.length > 0 ? { notes: plan.notes } : {}),
    };
  } catch (err) {
    return { key, host: hostName, changes: [], error: isStalledError(err) ? `${err.reason}: ${errorMessage(err)}` : errorMessage(err) };
  }
}

export interface ApplyResult {
  views: ResourceView[];
  /** Deletions the mass-deletion guard holds. */
  held: string[];
  /** What had not settled at the deadline (aborted); empty when everything settled in time. */
  unsettled: Unsettled[];
}

/**
 * Converges every resource once (and prunes what left the manifests, within the guard); returns the views.
 * At the deadline, the runs still going are aborted (every write is atomic) and reported as unsettled.
 */
export async function applyOnce(opts: OneShotOptions & { confirmPrune?: boolean }): Promise<ApplyResult> {
  const { snapshot, hosts } = opts.start ?? (await startOneShot(opts, 'write'));
  let session;
  try {
    session = openControllerSession({ ...opts, hosts, drainMs: 30_000, watchDrift: false });
  } catch (err) {
    await hosts.closeAll(); // another controller holds the state directory, say
    throw err;
  }
  const { store, controller } = session;
  try {
    const settled = await within(
      (async () => {
        await controller.accept(snapshot);
        if (opts.confirmPrune) controller.confirmPrune();
        await controller.idle();
      })(),
      opts.timeoutMs ?? DEFAULT_ONESHOT_TIMEOUT_MS,
    );
    const pending = settled ? [] : controller.queue.pendingKeys();
    // Nothing pending yet: the deadline passed while the manifests were taken in (hosts connecting).
    const unsettled = settled || pending.length > 0 ? pending : controller.desired.keys().map((key) => ({ key, state: 'queued' as const }));
    if (!settled) await controller.stop(0);
    const held = controller.desired.held();
    const keys = new Set(controller.desired.keys());
    return { views: listResourceViews(store).filter((v) => keys.has(`${v.kind}/${v.name}`)), held, unsettled };
  } finally {
    await session.close();
  }
}
