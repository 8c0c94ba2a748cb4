/**
 * The outbox's rules with a scripted `deliver` (the real sends are test/notify/): order, retry with backoff,
 * the bound with its counter, health as it changes.
 */
import { describe, expect, it } from 'vitest';
import type { Notification } from './notification.js';
import { backoffMs, Outbox, type OutboxHealth } from './outbox.js';
import type { SendResult } from './send.js';

const n = (reason: string): Notification => ({ kind: 'K', name: 'n', host: 'h', type: 'Warning', reason, message: '', count: 1, time: '' });

function scripted(results: SendResult[]) {
  const delivered: string[] = [];
  const health: OutboxHealth[] = [];
  const outbox = new Outbox({
    deliver: async (x) => {
      delivered.push(x.reason);
      return results.shift() ?? { ok: true, status: 200 };
    },
    onHealth: (h) => health.push(h),
    retry: { baseMs: 20, maxMs: 80 },
    capacity: 3,
  });
  return { outbox, delivered, health };
}

describe('Outbox', () => {
  it('sends in order, one at a time, and retries a failed one with backoff before the next', async () => {
    const { outbox, delivered, health } = scripted([{ ok: false, status: 500, message: 'HTTP 500' }, { ok: false, message: 'ECONNREFUSED' }]);
    outbox.push(n('a'));
    outbox.push(n('b'));
    await outbox.idle();
    expect(delivered).toEqual(['a', 'a', 'a', 'b']);
    expect(health.map((h) => h.state).filter((s, i, all) => s !== all[i - 1])).toEqual(['idle', 'failing', 'ok']);
    expect(health.find((h) => h.state === 'failing')?.message).toBe('HTTP 500');
    expect(outbox.state).toMatchObject({ state: 'ok', sent: 2, failed: 2, dropped: 0, queued: 0 });
    outbox.close();
  });

  it('keeps at most `capacity`: the oldest are dropped and counted', async () => {
    const { outbox, delivered } = scripted([{ ok: false, message: 'down' }]);
    for (const r of ['a', 'b', 'c', 'd', 'e']) outbox.push(n(r));
    await outbox.idle();
    expect(outbox.state.dropped).toBe(2);
    expect(delivered).toEqual(['a', 'c', 'd', 'e']); // a was in flight when dropped; b never went
    outbox.close();
  });

  it('backoff doubles from the base to the cap, with ±20 % jitter', () => {
    const policy = { baseMs: 1000, maxMs: 300_000 };
    expect([1, 2, 3, 10, 40].map((f) => backoffMs(f, policy, () => 0.5))).toEqual([1000, 2000, 4000, 300_000, 300_000]);
    expect(backoffMs(1, policy, () => 0)).toBe(800);
    expect(backoffMs(1, policy, () => 1)).toBe(1200);
  });

  it('close drops what waits and stops retrying', async () => {
    const { outbox, delivered } = scripted([{ ok: false, message: 'down' }, { ok: false, message: 'down' }]);
    outbox.push(n('a'));
    await new Promise((r) => setTimeout(r, 5));
    outbox.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(delivered).toEqual(['a']);
  });
});
