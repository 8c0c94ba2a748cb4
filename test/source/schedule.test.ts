/**
 * SyncSchedule with a recording sync in place of a fetch: one sync at a time, requests during one share the one
 * after it, syncs start at least minGapMs apart, the interval ticks, and close() aborts the running sync.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SyncSchedule } from '../../controller/source/schedule.js';

const schedules: SyncSchedule[] = [];
afterEach(async () => {
  for (const s of schedules.splice(0)) await s.close();
});

function recorder(opts: { intervalMs?: number; minGapMs?: number; syncMs?: number } = {}) {
  const starts: number[] = [];
  let running = 0;
  let overlapped = false;
  const schedule = new SyncSchedule(
    async (signal) => {
      starts.push(Date.now());
      if (++running > 1) overlapped = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.syncMs ?? 30);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      running--;
    },
    { intervalMs: opts.intervalMs ?? 3_600_000, minGapMs: opts.minGapMs ?? 0, onError: () => undefined },
  );
  schedules.push(schedule);
  return { schedule, starts, overlapped: () => overlapped };
}

describe('SyncSchedule', () => {
  it('runs one sync at a time; the requests during it share one more', async () => {
    const { schedule, starts, overlapped } = recorder();
    await Promise.all(Array.from({ length: 10 }, () => schedule.request()));
    expect(starts).toHaveLength(2);
    expect(overlapped()).toBe(false);
  });

  it('starts syncs at least minGapMs apart', async () => {
    const { schedule, starts } = recorder({ minGapMs: 150, syncMs: 5 });
    for (let i = 0; i < 4; i++) await schedule.request();
    expect(starts).toHaveLength(4);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(148);
  });

  it('ticks on the interval once started, and close() aborts the running sync', async () => {
    const { schedule, starts } = recorder({ intervalMs: 40, syncMs: 5 });
    schedule.startTicking();
    await new Promise((r) => setTimeout(r, 300));
    expect(starts.length).toBeGreaterThanOrEqual(3);
    const long = recorder({ syncMs: 60_000 });
    const pending = long.schedule.request();
    await new Promise((r) => setTimeout(r, 20));
    await long.schedule.close();
    await pending;
    expect(long.starts).toHaveLength(1);
    expect(await long.schedule.request()).toBeUndefined(); // closed: nothing runs
    expect(long.starts).toHaveLength(1);
  });
});
