import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapLimited } from './map-limited.js';

describe('mapLimited', () => {
  it('keeps order and never has more than `limit` calls in flight', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(5), { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), async (delays, limit) => {
        let inFlight = 0;
        let most = 0;
        const out = await mapLimited(delays, limit, async (d, i) => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, d));
          inFlight--;
          return i * 2;
        });
        expect(out).toEqual(delays.map((_, i) => i * 2));
        expect(most).toBeLessThanOrEqual(limit);
        if (delays.length >= limit && delays.every((d) => d > 0)) expect(most).toBe(limit);
      }),
      { numRuns: 30 },
    );
  });

  it('rejects with the first failure', async () => {
    await expect(mapLimited([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('two'); return n; })).rejects.toThrow('two');
  });
});
