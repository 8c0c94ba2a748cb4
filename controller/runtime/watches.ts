/**
 * Where drift comes from, and the host connections it lives on. Per resource: a watch on the host paths its
 * reconciler names (`watchTargets`) and the reconciler's own `watch` (e.g. Docker events), renewed when the host,
 * the targets or (for an own watch) the generation change, closed on suspend, delete and shutdown. A firing watch
 * calls `onDrift(key)`; events on homeostat's own scratch files (core/scratch.ts) and the echoes of its own
 * writes (host/own-writes.ts) are not drift. Host lifetimes: `syncHosts` brings the HostPool in line with the Host resources in force
 * and closes the watches that lived on a connection it replaced.
 */
import type { Logger } from 'pino';
import type { Change, ReconcileContext, Reconciler } from '../../reconcilers/core/contract.js';
import { parseKey, type Resource, type ResourceKey } from '../../reconcilers/core/resource.js';
import { isScratchPath } from '../../reconcilers/core/scratch.js';
import { isEcho, normalizeHostPath, type Disposable, type Host } from '../../reconcilers/host/index.js';
import type { HostPool, HostSpecInput } from './hosts.js';

export interface DriftWatchesOptions {
  hosts: HostPool;
  log: Logger;
  /** The host of `key` may have changed. */
  onDrift(key: ResourceKey): void;
  /** Records an event a reconciler's watch reports with its trigger. */
  event(kind: string, name: string, ...event: Parameters<ReconcileContext['event']>): void;
}

interface Watch {
  /** Host name, targets and (for an own watch) generation: a change renews the watch. */
  identity: string;
  host: string;
  handle: Disposable;
}

export class DriftWatches {
  private readonly watches = new Map<ResourceKey, Watch>();

  constructor(private readonly opts: DriftWatchesOptions) {}

  /** Brings the HostPool in line with `hostResources`; returns the hosts whose connection changed. */
  async syncHosts(hostResources: readonly Resource[]): Promise<string[]> {
    const unique = new Map(hostResources.map((r) => [r.metadata.name, r as Resource<HostSpecInput>]));
    const changed = await this.opts.hosts.update([...unique.values()]);
    for (const [key, watch] of this.watches) {
      if (changed.includes(watch.host)) this.close(key);
    }
    return changed;
  }

  /** Makes sure `key` is watched as its reconciler asks, on `host`. */
  ensure(key: ResourceKey, resource: Resource, reconciler: Reconciler<any, any, Change>, host: Host): void {
    const targets = reconciler.watchTargets?.(resource.spec, resource.metadata.name) ?? [];
    // A reconciler's own watch (e.g. Docker events) depends on the whole spec: renew it when the generation changes.
    const identity = `${host.name}|${targets.join('|')}${reconciler.watch ? `|gen:${resource.generation}` : ''}`;
    if (this.watches.get(key)?.identity === identity) return;
    this.close(key);
    if (targets.length === 0 && !reconciler.watch) return;
    const { log } = this.opts;
    const handles: Disposable[] = [];
    if (targets.length > 0) {
      handles.push(
        host.watch(targets, (event) => {
          if (isScratchPath(event.path)) return; // homeostat's own scratch file (e.g. the hardlink probe): not drift
          const drift = () => {
            log.debug({ resource: key, path: event.path, kind: event.kind }, 'drift event');
            this.opts.onDrift(key);
          };
          // The echo of a write homeostat made itself (own-writes.ts) is not drift: the path must still be exactly
          // what was written, change time included; anything else, or a failed look, is drift.
          const path = normalizeHostPath(event.path) ?? event.path;
          const expected = event.kind === 'unmount' ? undefined : host.ownWrites?.expected(path);
          if (expected === undefined) return drift();
          expected
            .then(async (signature) => (signature === undefined ? false : isEcho(signature, await host.lstat(path))))
            .then((echo) => (echo ? log.debug({ resource: key, path }, 'own write, not drift') : drift()), drift);
        }),
      );
    }
    if (reconciler.watch) {
      const { kind, name } = parseKey(key);
      try {
        handles.push(
          reconciler.watch(resource.spec, name, {
            host,
            log: log.child({ resource: key }),
            trigger: (event) => {
              if (event) this.opts.event(kind, name, event.type, event.reason, event.message);
              log.debug({ resource: key }, 'drift event');
              this.opts.onDrift(key);
            },
          }),
        );
      } catch (err) {
        // The run itself reports what is wrong (e.g. no Docker endpoint); the resync still covers drift.
        log.warn({ resource: key, err }, 'cannot watch for drift');
      }
    }
    this.watches.set(key, { identity, host: host.name, handle: { close: () => handles.forEach((h) => h.close()) } });
  }

  close(key: ResourceKey): void {
    this.watches.get(key)?.handle.close();
    this.watches.delete(key);
  }

  closeAll(): void {
    for (const key of [...this.watches.keys()]) this.close(key);
  }
}
