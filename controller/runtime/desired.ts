/**
 * The desired state in force, fed by manifest snapshots, with the mass-deletion guard: a reload that would
 * delete more than half of the resources (and more than two) holds those deletions (the resources stay in
 * force with their last good spec) and reports a controller condition, until the files come back or a
 * human confirms the prune. Pure bookkeeping: no I/O.
 */
import type { Resource, ResourceKey } from '../../reconcilers/core/resource.js';

export interface DesiredChange {
  /** Keys added or whose generation changed. */
  changed: ResourceKey[];
  /** Keys to prune now. */
  deleted: Array<{ key: ResourceKey; resource: Resource }>;
  /** Keys whose deletion is held by the guard (all of them, not only new ones). */
  held: ResourceKey[];
}

export function wouldTripGuard(inForce: number, deletions: number): boolean {
  return deletions > 2 && deletions > inForce / 2;
}

export class DesiredState {
  private readonly inForce = new Map<ResourceKey, Resource>();
  private readonly heldKeys = new Set<ResourceKey>();

  get(key: ResourceKey): Resource | undefined {
    return this.inForce.get(key);
  }

  all(): Resource[] {
    return [...this.inForce.values()];
  }

  keys(): ResourceKey[] {
    return [...this.inForce.keys()];
  }

  held(): ResourceKey[] {
    return [...this.heldKeys];
  }

  /**
   * Takes a new snapshot of the manifests. The guard compares the deletions with the resources in force
   * *before* the reload, so replacing every resource by new ones also counts as a mass deletion. `known` are keys that exist outside the manifests (in the state
   * store from an earlier run) and count as in force for the guard; `confirm` releases held deletions.
   */
  accept(
    snapshot: ReadonlyMap<ResourceKey, Resource>,
    known: ReadonlyMap<ResourceKey, Resource> = new Map(),
    /** Keys named by a manifest error (e.g. claimed by two files): absent from the snapshot, but never pruned. */
    disputed: ReadonlySet<ResourceKey> = new Set(),
  ): DesiredChange {
    for (const [key, resource] of known) if (!this.inForce.has(key)) this.inForce.set(key, resource);

    const inForceBefore = this.inForce.size;
    const changed: ResourceKey[] = [];
    for (const [key, resource] of snapshot) {
      const previous = this.inForce.get(key);
      this.heldKeys.delete(key);
      if (!previous || previous.generation !== resource.generation || known.has(key)) changed.push(key);
      this.inForce.set(key, resource);
    }

    const missing = [...this.inForce.keys()].filter((key) => !snapshot.has(key) && !disputed.has(key));
    if (wouldTripGuard(inForceBefore, missing.length)) {
      for (const key of missing) this.heldKeys.add(key);
      return { changed, deleted: [], held: this.held() };
    }
    const deleted = missing.map((key) => ({ key, resource: this.inForce.get(key)! }));
    for (const { key } of deleted) {
      this.inForce.delete(key);
      this.heldKeys.delete(key);
    }
    return { changed, deleted, held: [] };
  }

  /** Releases the held deletions (`homeostat prune --confirm`). */
  confirmPrune(): Array<{ key: ResourceKey; resource: Resource }> {
    const deleted = this.held().map((key) => ({ key, resource: this.inForce.get(key)! }));
    for (const { key } of deleted) this.inForce.delete(key);
    this.heldKeys.clear();
    return deleted;
  }
}
