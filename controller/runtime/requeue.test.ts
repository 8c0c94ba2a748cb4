/**
 * The one requeue switch and how it lands on a real WorkQueue: backoff grows on failures and stalls and is
 * forgotten on success; a converged key comes back after its wish or a jittered resync; a finalized key is dropped.
 */
import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';
import { requeueAfter, scheduleRequeue, type RequeueOutcome } from './requeue.js';

const policy = { resyncMs: 10_000, random: () => 0.5 };
const failed = { result: 'failed', generation: 'g1', reason: 'X', message: 'm', error: null } as const;

describe('requeueAfter', () => {
  it('decides by outcome', () => {
    expect(requeueAfter(failed, policy)).toEqual({ type: 'backoff' });
    expect(requeueAfter({ result: 'finalizeFailed', message: 'm', error: null }, policy)).toEqual({ type: 'backoff' });
    expect(requeueAfter({ result: 'stalled', generation: 'g1', reason: 'X', message: 'm' }, policy)).toEqual({ type: 'wait' });
    expect(requeueAfter({ result: 'finalized' }, policy)).toEqual({ type: 'drop' });
    expect(requeueAfter({ result: 'converged', generation: 'g1', applied: [], requeueAfterMs: 1500 }, policy)).toEqual({ type: 'after', delayMs: 1500 });
  });

  it('a converged run without a wish resyncs within ±20 % of the period', () => {
    const converged: RequeueOutcome = { result: 'converged', generation: 'g1', applied: [] };
    expect(requeueAfter(converged, { resyncMs: 10_000, random: () => 0 })).toEqual({ type: 'after', delayMs: 8000 });
    expect(requeueAfter(converged, { resyncMs: 10_000, random: () => 0.5 })).toEqual({ type: 'after', delayMs: 10_000 });
    expect(requeueAfter(converged, { resyncMs: 10_000, random: () => 0.999999 })).toEqual({ type: 'after', delayMs: 12_000 });
  });
});

describe('scheduleRequeue on a WorkQueue', () => {
  let now = 0;
  const queue = () => new WorkQueue({ handler: async () => {}, baseDelayMs: 100, maxDelayMs: 10_000, random: () => 1, now: () => now });

  it('backoff grows per failure and per stall (wait); after forgets it once the key goes its ceiling without failing; drop removes the key', async () => {
    const q = queue();
    expect(scheduleRequeue(q, 'K/a', { type: 'backoff' })).toBe(100);
    expect(scheduleRequeue(q, 'K/a', { type: 'backoff' })).toBe(200);
    expect(q.failureCount('K/a')).toBe(2);
    expect(scheduleRequeue(q, 'K/a', { type: 'after', delayMs: 60_000 })).toBe(60_000);
    expect(q.failureCount('K/a')).toBe(2); // converged, but flapping would continue the count
    expect(scheduleRequeue(q, 'K/a', { type: 'backoff' })).toBe(400);
    scheduleRequeue(q, 'K/a', { type: 'after', delayMs: 60_000 });
    now += 399;
    expect(q.failureCount('K/a')).toBe(3);
    now += 1;
    expect(q.failureCount('K/a')).toBe(0);
    scheduleRequeue(q, 'K/a', { type: 'backoff' });
    expect(scheduleRequeue(q, 'K/a', { type: 'wait' })).toBeUndefined();
    expect(q.failureCount('K/a')).toBe(2);
    scheduleRequeue(q, 'K/a', { type: 'after', delayMs: 60_000 });
    scheduleRequeue(q, 'K/a', { type: 'backoff' });
    expect(scheduleRequeue(q, 'K/a', { type: 'drop' })).toBeUndefined();
    expect(q.failureCount('K/a')).toBe(0);
    await q.shutdown(0);
  });

  it('a requeue after a delay runs the key once it is due', async () => {
    const runs: string[] = [];
    const q = new WorkQueue({ handler: async (key) => void runs.push(key) });
    scheduleRequeue(q, 'K/b', { type: 'after', delayMs: 20 });
    expect(runs).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    await q.idle();
    expect(runs).toEqual(['K/b']);
    await q.shutdown(0);
  });
});
