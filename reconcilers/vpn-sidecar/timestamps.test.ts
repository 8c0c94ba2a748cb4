import { describe, expect, it } from 'vitest';
import { startedAtMs, startedAtNs } from './timestamps.js';

describe('Docker start times', () => {
  it('orders nanosecond timestamps exactly, whatever the fraction length', () => {
    const a = startedAtNs('2026-11-28T16:10:33.3220693Z');
    const b = startedAtNs('2026-11-28T16:10:33.322069316Z');
    const c = startedAtNs('2026-11-28T16:10:33.32206932Z');
    expect(a < b && b < c).toBe(true);
    expect(startedAtNs('2026-11-28T16:10:34Z') > c).toBe(true);
    expect(startedAtMs('2026-11-28T16:10:33.322069316Z')).toBe(Date.parse('2026-11-28T16:10:33.322Z'));
  });

  it('never started is zero', () => {
    expect(startedAtNs('0001-01-01T00:00:00Z')).toBe(0n);
    expect(startedAtNs('garbage')).toBe(0n);
  });
});
