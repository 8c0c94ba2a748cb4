import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('never runs one key twice at once, and re-runs a key added while it runs (no event lost)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 40 }), async (adds) => {
        const running = new Set<string>();
        const runs: string[] = [];
        let overlap = false;
        const lastAddAt = new Map<string, number>();
        const lastStartAt = new Map<string, number>();
        let clock = 0;
        const q = new WorkQueue({
          concurrency: 3,
          handler: async (key) => {
            if (running.has(key)) overlap = true;
            running.add(key);
            lastStartAt.set(key, ++clock);
            runs.push(key);
            await tick(1);
            running.delete(key);
          },
        });
        for (const key of adds) {
          lastAddAt.set(key, ++clock);
          q.add(key);
          if (Math.random() < 0.3) await tick(0);
        }
        await q.idle();
        expect(overlap).toBe(false);
        // Level-based guarantee: every key ran at least once after its last add.
        for (const [key, addedAt] of lastAddAt) expect(lastStartAt.get(key)!).toBeGreaterThan(addedAt);
        // De-duplication: never more runs than adds.
        expect(runs.length).toBeLessThanOrEqual(adds.length);
      }),
      { numRuns: 60 },
    );
  });

  it('respects the global and the per-host limit without head-of-line blocking', async () => {
    let maxGlobal = 0;
    const perHost = new Map<string, number>();
    let maxPerHost = 0;
    let live = 0;
    const order: string[] = [];
    const q = new WorkQueue({
      concurrency: 3,
      perGroupConcurrency: 1,
      groupOf: (key) => key.split(':')[0]!,
      handler: async (key) => {
        const host = key.split(':')[0]!;
        live++;
        perHost.set(host, (perHost.get(host) ?? 0) + 1);
        maxGlobal = Math.max(maxGlobal, live);
        maxPerHost = Math.max(maxPerHost, perHost.get(host)!);
        order.push(key);
        await tick(5);
        perHost.set(host, perHost.get(host)! - 1);
        live--;
      },
    });
    for (const key of ['a:1', 'a:2', 'a:3', 'b:1', 'c:1', 'd:1']) q.add(key);
    await q.idle();
    expect(maxPerHost).toBe(1);
    expect(maxGlobal).toBe(3);
    // b, c started before a's second key: host a being busy did not block them.
    expect(order.indexOf('b:1')).toBeLessThan(order.indexOf('a:2'));
    expect(order.indexOf('c:1')).toBeLessThan(order.indexOf('a:2'));
  });

  it('backs off exponentially with jitter: first retry under a second, capped', () => {
    const q = new WorkQueue({ handler: async () => {}, baseDelayMs: 500, maxDelayMs: 300_000 });
    const delays = Array.from({ length: 20 }, (_, i) => q.backoffDelay(i + 1));
    expect(delays[0]).toBeGreaterThanOrEqual(250);
    expect(delays[0]).toBeLessThan(1000);
    for (const d of delays) expect(d).toBeLessThanOrEqual(300_000);
    expect(delays[19]).toBeGreaterThanOrEqual(150_000);
    const low = new WorkQueue({ handler: async () => {}, random: () => 0 });
    const high = new WorkQueue({ handler: async () => {}, random: () => 0.999 });
    expect(low.backoffDelay(3)).toBeLessThan(high.backoffDelay(3));
  });

  it('addRateLimited retries later, forget resets the count', async () => {
    const runs: number[] = [];
    const q = new WorkQueue({ handler: async () => void runs.push(Date.now()), baseDelayMs: 20, random: () => 0.5 });
    expect(q.addRateLimited('k')).toBe(15);
    expect(q.addRateLimited('k')).toBeGreaterThan(15);
    expect(q.failureCount('k')).toBe(2);
    await tick(60);
    expect(runs.length).toBe(1); // one scheduled run: the earliest schedule wins, the key is not duplicated
    q.forget('k');
    expect(q.failureCount('k')).toBe(0);
  });

  it('shutdown waits for running work, then aborts it after the drain time', async () => {
    let aborted = false;
    const q = new WorkQueue({
      handler: (_key, signal) =>
        new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve()))),
    });
    q.add('slow');
    await tick(1);
    const t0 = Date.now();
    await q.shutdown(50);
    expect(aborted).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    q.add('after'); // ignored after shutdown
    expect(q.depth).toBe(0);
  });

  it('drift runs a converged key at once, but a key whose last run failed or stalled only at its backoff', async () => {
    const runs: string[] = [];
    let fail = true;
    let selfDrift = 3; // the first runs change something, and their watch fires while they run
    const q: WorkQueue = new WorkQueue({
      baseDelayMs: 60_000,
      handler: async (key) => {
        runs.push(key);
        await tick(1);
        if (selfDrift-- > 0) q.addRespectingBackoff(key);
        await tick(1);
        if (fail) q.addRateLimited(key);
        else q.forget(key);
      },
    });
    q.add('K/flip');
    await q.idle(); // would never resolve if drift bypassed the backoff
    expect(runs).toEqual(['K/flip']);
    q.addRespectingBackoff('K/flip'); // more drift while it waits for its retry
    await q.idle();
    expect(runs).toEqual(['K/flip']);
    expect(q.pendingKeys()).toEqual([]);

    selfDrift = 1;
    fail = false;
    q.add('K/flip'); // a spec change or `homeostat reconcile` runs it at once
    await q.idle(); // and its own drift during this converging run: once more, at once
    expect(runs).toEqual(['K/flip', 'K/flip', 'K/flip']);

    q.countFailure('K/stalled');
    q.addRespectingBackoff('K/stalled');
    await tick(5);
    expect(runs.filter((k) => k === 'K/stalled')).toEqual([]);
    await q.shutdown(0);
  });
});
