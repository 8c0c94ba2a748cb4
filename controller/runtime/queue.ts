/**
 * The work queue, with controller-runtime's semantics: items are keys (`kind/name`), never events.
 * - A key is queued at most once; adding a key that is being processed marks it dirty, and it runs again
 *   right after (one run per key at a time, no event lost).
 * - Different keys run in parallel under a global limit and a per-group (per-host) limit, without
 *   head-of-line blocking: a key whose host is busy does not hold back keys of other hosts.
 * - `addRateLimited` retries with exponential backoff and full jitter, from under a second up to a cap;
 *   a success resets it (`noteConverged`, below). `addAfter` schedules a later run (resync, requeue-after); the
 *   earliest pending schedule wins.
 * - `addRespectingBackoff` is for drift (watch events): it runs the key now only when its last run converged;
 *   after a failure or a stall it runs no sooner than the key's backoff, even when the event came during the run
 *   (a reconcile's own chmod, or a process flipping a folder, cannot make a key that does not converge spin).
 *   A converged run forgets the failure count only once the key has gone its backoff ceiling without failing
 *   again (`noteConverged`), so a resource that flaps between converged and not backs off further each time.
 */

export interface WorkQueueOptions {
  /** Runs one key; the signal aborts on shutdown. Errors are the handler's business (it decides the requeue). */
  handler: (key: string, signal: AbortSignal) => Promise<void>;
  /** The group a key belongs to (its host), for the per-group limit. */
  groupOf?: (key: string) => string;
  concurrency?: number;
  perGroupConcurrency?: number;
  /** First retry delay (before jitter). Default 500 ms. */
  baseDelayMs?: number;
  /** Backoff cap. Default 5 minutes. */
  maxDelayMs?: number;
  /** Random source in [0, 1), for tests. */
  random?: () => number;
  /** Milliseconds now, for tests. Default `Date.now`. */
  now?: () => number;
}

export class WorkQueue {
  private readonly queued: string[] = [];
  private readonly queuedSet = new Set<string>();
  private readonly processing = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  /** Keys a drift event hit while they ran: run again after, within their backoff. */
  private readonly driftedWhileRunning = new Set<string>();
  private readonly groupLoad = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  /** After a converged run of a key with failures: when its count is forgotten, unless it fails again before. */
  private readonly quietUntil = new Map<string, number>();
  private readonly abort = new AbortController();
  private shuttingDown = false;
  private readonly idleWaiters: Array<() => void> = [];

  private readonly concurrency: number;
  private readonly perGroup: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly groupOf: (key: string) => string;

  constructor(private readonly opts: WorkQueueOptions) {
    this.concurrency = opts.concurrency ?? 4;
    this.perGroup = opts.perGroupConcurrency ?? 2;
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.groupOf = opts.groupOf ?? (() => '');
  }

  /** Number of keys waiting to run (not counting scheduled or running ones). */
  get depth(): number {
    return this.queued.length;
  }

  get running(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queuedSet.has(key)) return;
    this.queued.push(key);
    this.queuedSet.add(key);
    this.pump();
  }

  /**
   * A drift trigger: runs `key` now if its last run converged (no failure counted), else after a backoff delay
   * for its failure count (a run already scheduled sooner, such as the pending retry, stands; a later resync is
   * brought forward to it). So drift never runs a key that does not converge sooner than half its backoff
   * ceiling after its last run. While the key runs, the trigger is remembered and decided when the run ends.
   */
  addRespectingBackoff(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.driftedWhileRunning.add(key);
      return;
    }
    const failures = this.failureCount(key);
    if (failures === 0) return this.add(key);
    if (this.queuedSet.has(key)) return;
    this.addAfter(key, this.backoffDelay(failures));
  }

  /** Runs `key` after `delayMs`, unless an earlier run is already scheduled. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Retries `key` with exponential backoff and full jitter; returns the delay chosen. */
  addRateLimited(key: string): number {
    const n = this.countFailure(key);
    const delay = this.backoffDelay(n);
    this.addAfter(key, delay);
    return delay;
  }

  /** The delay for the n-th consecutive failure: in [ceiling/2, ceiling], ceiling = min(base·2^(n-1), max). */
  backoffDelay(n: number): number {
    const ceiling = this.backoffCeiling(n);
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  backoffCeiling(n: number): number {
    return Math.min(this.baseDelayMs * 2 ** Math.min(n - 1, 30), this.maxDelayMs);
  }

  /** Runs of `key` that did not converge, since it last went its backoff ceiling without failing after converging. */
  failureCount(key: string): number {
    const until = this.quietUntil.get(key);
    if (until !== undefined && this.now() >= until) this.forget(key);
    return this.failures.get(key) ?? 0;
  }

  /** Counts a run that did not converge without scheduling a retry (a stall waits for a human, but drift waits for the backoff). Returns the count. */
  countFailure(key: string): number {
    const n = this.failureCount(key) + 1;
    this.quietUntil.delete(key);
    this.failures.set(key, n);
    return n;
  }

  /** After a converged run: the failure count is forgotten once the key goes its backoff ceiling without failing. */
  noteConverged(key: string): void {
    const n = this.failureCount(key);
    if (n > 0) this.quietUntil.set(key, this.now() + this.backoffCeiling(n));
  }

  /** Keys running or waiting to run now (not the scheduled ones), for a deadline's report. */
  pendingKeys(): Array<{ key: string; state: 'running' | 'queued' }> {
    return [
      ...[...this.processing.keys()].map((key) => ({ key, state: 'running' as const })),
      ...this.queued.map((key) => ({ key, state: 'queued' as const })),
    ];
  }

  /** Forgets the backoff of `key` at once. */
  forget(key: string): void {
    this.failures.delete(key);
    this.quietUntil.delete(key);
  }

  /** Drops everything scheduled for `key` (the resource is gone). A running key finishes. */
  remove(key: string): void {
    this.forget(key);
    this.dirty.delete(key);
    this.driftedWhileRunning.delete(key);
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer.timer);
    this.timers.delete(key);
    if (this.queuedSet.delete(key)) this.queued.splice(this.queued.indexOf(key), 1);
  }

  /** Resolves when nothing is queued or running (scheduled timers do not count). */
  async idle(): Promise<void> {
    if (this.queued.length === 0 && this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking work, waits up to `drainMs` for running keys to finish, then aborts them and waits for
   * them to unwind.
   */
  async shutdown(drainMs = 10_000): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queued.length = 0;
    this.queuedSet.clear();
    const all = Promise.allSettled([...this.processing.values()]);
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      all.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), drainMs))),
    ]);
    clearTimeout(timer);
    if (!drained) {
      this.abort.abort(new Error('controller shutting down'));
      await all;
    }
  }

  private pump(): void {
    for (let i = 0; i < this.queued.length && this.processing.size < this.concurrency; ) {
      const key = this.queued[i]!;
      const group = this.groupOf(key);
      if ((this.groupLoad.get(group) ?? 0) >= this.perGroup) {
        i++;
        continue;
      }
      this.queued.splice(i, 1);
      this.queuedSet.delete(key);
      this.start(key, group);
    }
    if (this.queued.length === 0 && this.processing.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private start(key: string, group: string): void {
    this.groupLoad.set(group, (this.groupLoad.get(group) ?? 0) + 1);
    const run = (async () => {
      try {
        await this.opts.handler(key, this.abort.signal);
      } catch {
        // The handler owns error handling; a throw here must not stop the queue.
      }
    })().finally(() => {
      this.processing.delete(key);
      this.groupLoad.set(group, (this.groupLoad.get(group) ?? 1) - 1);
      const drifted = this.driftedWhileRunning.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      else if (drifted) this.addRespectingBackoff(key);
      this.pump();
    });
    this.processing.set(key, run);
  }
}
