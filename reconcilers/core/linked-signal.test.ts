import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { withLinkedSignal } from './linked-signal.js';

describe('withLinkedSignal', () => {
  it('aborts with any source; a long-lived source keeps one listener however many runs there are, at once or after', async () => {
    const longLived = new AbortController();
    const together = Array.from({ length: 50 }, () => withLinkedSignal([longLived.signal], () => new Promise((r) => setTimeout(r, 5))));
    expect(getEventListeners(longLived.signal, 'abort')).toHaveLength(1);
    await Promise.all(together);
    for (let i = 0; i < 1000; i++) {
      const run = new AbortController();
      await withLinkedSignal([longLived.signal, run.signal], async (signal) => {
        expect(signal.aborted).toBe(false);
        if (i === 7) {
          run.abort(new Error('stopped'));
          expect(signal.aborted).toBe(true);
          expect((signal.reason as Error).message).toBe('stopped');
        }
      });
    }
    expect(getEventListeners(longLived.signal, 'abort')).toHaveLength(1);

    const seen = withLinkedSignal([longLived.signal], (signal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason))));
    longLived.abort('shutdown');
    expect(await seen).toBe('shutdown');
    expect(await withLinkedSignal([longLived.signal], async (signal) => signal.aborted)).toBe(true);
  });

  it('lets go of its work when it fails too: a later abort of the source reaches no finished work', async () => {
    const source = new AbortController();
    let finished: AbortSignal | undefined;
    await expect(withLinkedSignal([source.signal], async (signal) => { finished = signal; throw new Error('boom'); })).rejects.toThrow('boom');
    source.abort();
    expect(finished?.aborted).toBe(false);
  });
});
