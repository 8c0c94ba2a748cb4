/**
 * The desired state in force, fed by manifest snapshots, with the mass-deletion guard. Deletions less than
 * ten minutes apart form one series, and are counted against the resources in force before the series began:
 * when a series would have deleted more than half of them (and more than two), the deletions still pending are
 * held (the resources stay in force with their last good spec) and a controller condition says so, until the
 * files come back or a human confirms the prune (`homeostat prune --confirm`, which also ends the series). So
 * removing 6 of 8 files in steps of 2, 2 and 2 is held at the third step, as removing them at once is. A file
 * emptied to zero documents deletes its resources like a removed file. Pure bookkeeping: no I/O; the clock is
 * injected.
 */
import type { Resource, ResourceKey } from '../../reconcilers/core/resource.js';

/** Deletions closer together than this belong to one series. */
export const DELETION_SERIES_GAP_MS = 10 * 60_000;

export interface DesiredStateOptions {
  /** Milliseconds now (tests pass a fake clock). Default `Date.now`. */
  now?: () => number;
  /** Default DELETION_SERIES_GAP_MS. */
  seriesGapMs?: number;
}

/** A series of deletions: how many resources were in force when it began, and which of them it removed since. */
interface DeletionSeries {
  startSize: number;
  /** Keys deleted (pruned) in this series and not back since. */
  removed: Set<ResourceKey>;
  /** When the latest deletion of the series was seen. */
  lastAt: number;
}

export interface DesiredChange {
  /** Keys added or whose generation changed. */
  changed: ResourceKey[];
  /** Keys to prune now. */
  deleted: Array<{ key: ResourceKey; resource: Resource }>;
  /** Keys whose deletion is held by the guard (all of them, not only new ones). */
  held: ResourceKey[];
}

/** `deletions` out of `inForce` (a series' starting set) is a mass deletion. */
export function wouldTripGuard(inForce: number, deletions: number): boolean {
  return deletions > 2 && deletions > inForce / 2;
}

export class DesiredState {
  private readonly inForce = new Map<ResourceKey, Resource>();
  private readonly heldKeys = new Set<ResourceKey>();
  private series: DeletionSeries | null = null;
  private readonly now: () => number;
  private readonly seriesGapMs: number;

  constructor(opts: DesiredStateOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.seriesGapMs = opts.seriesGapMs ?? DELETION_SERIES_GAP_MS;
  }

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
   * Takes a new snapshot of the manifests. The guard compares the deletions of the current series (this
   * reload's included) with the resources in force *before* the series, so replacing every resource by new
   * ones also counts as a mass deletion. `known` are keys that exist outside the manifests (in the state
   * store from an earlier run) and count as in force for the guard.
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
      this.series?.removed.delete(key); // back: no longer deleted
      if (!previous || previous.generation !== resource.generation || known.has(key)) changed.push(key);
      this.inForce.set(key, resource);
    }

    const missing = [...this.inForce.keys()].filter((key) => !snapshot.has(key) && !disputed.has(key));
    const series = this.seriesFor(missing, inForceBefore);
    const removed = new Set([...(series?.removed ?? []), ...missing]);
    // Against the series' starting set, and (replacing every resource by new ones) against what was in force just before.
    if (wouldTripGuard(inForceBefore, missing.length) || (series && wouldTripGuard(series.startSize, removed.size))) {
      for (const key of missing) this.heldKeys.add(key);
      return { changed, deleted: [], held: this.held() };
    }
    const deleted = missing.map((key) => ({ key, resource: this.inForce.get(key)! }));
    for (const { key } of deleted) {
      this.inForce.delete(key);
      this.heldKeys.delete(key);
      series?.removed.add(key);
    }
    if (series && deleted.length > 0) series.lastAt = this.now(); // released held deletions happen now too
    return { changed, deleted, held: [] };
  }

  /**
   * The series `missing` belongs to: a deletion not seen before (not already held) continues the current series
   * when the previous one was less than the gap ago, else starts one from the `inForceBefore` resources.
   */
  private seriesFor(missing: readonly ResourceKey[], inForceBefore: number): DeletionSeries | null {
    if (!missing.some((key) => !this.heldKeys.has(key))) return this.series;
    const now = this.now();
    if (!this.series || now - this.series.lastAt >= this.seriesGapMs) {
      this.series = { startSize: inForceBefore, removed: new Set(), lastAt: now };
    } else {
      this.series.lastAt = now;
    }
    return this.series;
  }

  /** Releases the held deletions and ends the series of deletions (`homeostat prune --confirm`). */
  confirmPrune(): Array<{ key: ResourceKey; resource: Resource }> {
    const deleted = this.held().map((key) => ({ key, resource: this.inForce.get(key)! }));
    for (const { key } of deleted) this.inForce.delete(key);
    this.heldKeys.clear();
    this.series = null;
    return deleted;
  }
}
