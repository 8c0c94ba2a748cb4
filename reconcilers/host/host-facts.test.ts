import { describe, expect, it } from 'vitest';
import { LocalHost } from './local.js';
import { forgetHostFact, sharedHostFact } from './host-facts.js';

describe('sharedHostFact', () => {
  it('shares one read among askers, keeps it for the TTL, and reads again after forget or expiry', async () => {
    const host = new LocalHost({ name: 'h' });
    const other = new LocalHost({ name: 'h' });
    let reads = 0;
    const read = async () => ++reads;
    const together = await Promise.all([1, 2, 3].map(() => sharedHostFact(host, 'k', 60_000, read)));
    expect(together).toEqual([1, 1, 1]);
    expect(await sharedHostFact(host, 'k', 60_000, read)).toBe(1);
    expect(await sharedHostFact(other, 'k', 60_000, read)).toBe(2);
    forgetHostFact(host, 'k');
    expect(await sharedHostFact(host, 'k', 60_000, read)).toBe(3);
    expect(await sharedHostFact(host, 'short', 0, read)).toBe(4);
    await new Promise((r) => setTimeout(r, 5));
    expect(await sharedHostFact(host, 'short', 0, read)).toBe(5);
    await host.close();
    await other.close();
  });

  it('never keeps a failed read, and a forget during a read is not undone by it', async () => {
    const host = new LocalHost({ name: 'h' });
    let calls = 0;
    await expect(sharedHostFact(host, 'k', 60_000, async () => { calls++; throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await sharedHostFact(host, 'k', 60_000, async () => ++calls)).toBe(2);
    forgetHostFact(host, 'k');
    let release!: (v: string) => void;
    const slow = sharedHostFact(host, 'late', 60_000, () => new Promise<string>((r) => (release = r)));
    forgetHostFact(host, 'late');
    const fresh = sharedHostFact(host, 'late', 60_000, async () => 'fresh');
    release('stale');
    expect(await slow).toBe('stale');
    expect(await fresh).toBe('fresh');
    expect(await sharedHostFact(host, 'late', 60_000, async () => 'third')).toBe('fresh');
    await host.close();
  });
});
